"""One case: summary, form, materials, timeline; print, withdraw, deliver, close, rate;
the township's checklist of a returned case; materials accepted missing brought later."""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import filedialog
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.lifecycle import CaseState, Transition
from station.ui.presenters.casedetail import CaseDetailPresenter, ChecklistLine, Line
from station.ui.presenters.errors import describe
from station.ui.views.printout import send_and_report
from station.ui.worker import Worker


class CaseDetailView(tb.Frame):
    def __init__(
        self,
        master: tk.Misc,
        presenter: CaseDetailPresenter,
        worker: Worker,
        *,
        go_back: Callable[[], None],
        edit: Callable[[str], None],
        rate_delivery: Callable[[str], None],
        send: Callable[[object], None],
    ) -> None:
        super().__init__(master, padding=16)
        self._presenter = presenter
        self._worker = worker
        self._send_pdf = send
        self._edit = edit
        self._rate_delivery = rate_delivery
        self.printed = []
        top = tb.Frame(self)
        top.pack(fill="x")
        self.back_button = tb.Button(top, text=_("← Back"), bootstyle="link", command=go_back)
        self.back_button.pack(side="left")
        self.title = tb.Label(top, text="", font=("", 16, "bold"))
        self.title.pack(side="left", padx=12)
        self.tabs = tb.Notebook(self)
        self.tabs.pack(fill="both", expand=True, pady=8)
        self.tables = {}
        for key, label in (("summary", _("Summary")), ("answers", _("Form")),
                           ("materials", _("Materials")), ("timeline", _("Timeline"))):
            table = tb.Treeview(self.tabs, columns=("label", "text"), show="", height=16)
            table.column("label", width=220, anchor="w")
            table.column("text", width=760, anchor="w")
            self.tabs.add(table, text=label)
            self.tables[key] = table
        self._build_checklist_tab()
        self.brought = tb.Frame(self)
        self.brought.pack(fill="x")
        self.actions = tb.Frame(self)
        self.actions.pack(fill="x")
        self.reason = tb.Entry(self.actions, width=30)
        self.message = tb.Label(self, text="", wraplength=900, justify="left")
        self.message.pack(fill="x", pady=4)
        self.render()
        if presenter.state is CaseState.RETURNED:
            self.tabs.select(self.checklist_tab)

    def _build_checklist_tab(self) -> None:
        """The township's checklist: its points, and marking one resolved with a note."""
        self.checklist_tab = tb.Frame(self.tabs, padding=8)
        self.return_reason = tb.Label(self.checklist_tab, text="", wraplength=900,
                                      justify="left")
        self.return_reason.pack(fill="x", pady=(0, 6))
        self.checklist = tb.Treeview(self.checklist_tab, columns=("name", "reason", "status"),
                                     show="headings", height=12, selectmode="browse")
        for column, heading, width in (("name", _("Material or item"), 220),
                                       ("reason", _("Township's reason"), 420),
                                       ("status", _("Status"), 320)):
            self.checklist.heading(column, text=heading, anchor="w")
            self.checklist.column(column, width=width, anchor="w")
        self.checklist.tag_configure("blocking", foreground=tb.Style().colors.danger)
        self.checklist.pack(fill="both", expand=True)
        row = tb.Frame(self.checklist_tab)
        row.pack(fill="x", pady=(8, 0))
        tb.Label(row, text=_("How it was resolved")).pack(side="left", padx=(0, 4))
        self.note = tb.Entry(row, width=40)
        self.note.pack(side="left")
        self.resolve_button = tb.Button(row, text=_("Mark the chosen point resolved"),
                                        bootstyle="primary-outline", command=self.resolve)
        self.resolve_button.pack(side="left", padx=8)
        self.tabs.add(self.checklist_tab, text=_("Township's checklist"))

    def render(self) -> None:
        presenter = self._presenter
        self.title.configure(text=f"{presenter.case.local_number} · {presenter.case.matter_name}")
        for key, lines in (("summary", presenter.summary()), ("answers", presenter.answers()),
                           ("materials", presenter.materials()),
                           ("timeline", presenter.timeline())):
            self._fill(self.tables[key], lines)
        self._fill_checklist(presenter.checklist())
        self._build_actions()
        self._build_brought()

    @staticmethod
    def _fill(table: tb.Treeview, lines: list[Line]) -> None:
        table.delete(*table.get_children())
        for line in lines:
            table.insert("", "end", values=(line.label, line.text))

    def _fill_checklist(self, lines: list[ChecklistLine]) -> None:
        self.checklist.delete(*self.checklist.get_children())
        for line in lines:
            self.checklist.insert("", "end", iid=str(line.item_id),
                                  values=(line.name, line.reason, line.status),
                                  tags=("blocking",) if line.blocking else ())
        reason = self._presenter.return_reason()
        self.return_reason.configure(
            text=_("Reason given: {reason}").format(reason=reason) if reason else "")
        if self._presenter.state is CaseState.RETURNED:
            self.tabs.add(self.checklist_tab)
        else:
            self.tabs.hide(self.checklist_tab)

    def _build_actions(self) -> None:
        for child in self.actions.winfo_children():
            if child is not self.reason:
                child.destroy()
        self.reason.pack_forget()
        self.buttons: dict[str, tb.Button] = {"resolve": self.resolve_button}
        presenter = self._presenter
        if presenter.state is CaseState.RETURNED:
            self._button("edit", _("Supplement: add pages, correct the form"),
                         lambda: self._edit(presenter.case.uuid), style="primary")
        elif presenter.can_edit():
            self._button("edit", _("Continue editing"), lambda: self._edit(presenter.case.uuid))
        for kind, label in presenter.printable():
            self._button(f"print-{kind}", _("Print: {document}").format(document=label),
                         lambda k=kind: self.print(k))
        if presenter.can(Transition.DELIVER):
            self._button("deliver", _("Record delivery"), self._act(presenter.deliver, True))
        if presenter.can(Transition.CLOSE):
            self._button("close", _("Close the case"), self._act(lambda _r: presenter.close()))
        if presenter.can_rate_delivery():
            self._button("rate", _("Rate the delivery"),
                         lambda: self._rate_delivery(presenter.case.uuid))
        if presenter.can(Transition.WITHDRAW):
            self._button("withdraw", _("Withdraw (applicant's request)"),
                         self._act(presenter.withdraw, True), style="danger-outline")
            tb.Label(self.actions, text=_("Reason / note")).pack(side="left", padx=(12, 4))
            self.reason.pack(side="left")

    def _build_brought(self) -> None:
        """One row per material accepted missing, with its "materials brought" action,
        while the case may receive them."""
        for child in self.brought.winfo_children():
            child.destroy()
        if not self._presenter.can_receive():
            return
        tb.Label(self.brought, text=_("Materials accepted missing"),
                 font=("", 11, "bold")).pack(anchor="w")
        for line in self._presenter.open_deferrals():
            row = tb.Frame(self.brought)
            row.pack(fill="x", pady=2)
            label = tb.Label(row, text=f"{line.name} · {line.text}")
            if line.overdue:
                label.configure(bootstyle="danger")
            label.pack(side="left")
            button = tb.Button(row, text=_("Materials brought…"), bootstyle="primary-outline",
                               command=lambda code=line.code: self._choose_brought(code))
            button.pack(side="left", padx=8)
            self.buttons[f"receive-{line.code}"] = button

    def _button(self, key: str, text: str, command: Callable[[], None],
                style: str = "primary-outline") -> None:
        button = tb.Button(self.actions, text=text, bootstyle=style, command=command)
        button.pack(side="left", padx=(0, 8))
        self.buttons[key] = button

    def _act(self, action: Callable[[str], None], uses_reason: bool = False) -> Callable[[], None]:
        def run() -> None:
            try:
                action(self.reason.get() if uses_reason else "")
            except Exception as error:  # noqa: BLE001 - shown in plain words
                self.message.configure(text=describe(error), bootstyle="danger")
                return
            self.reason.delete(0, "end")
            self._done(_("Done."))

        return run

    def _done(self, text: str, style: str = "success") -> None:
        self._presenter.reload()
        self.render()
        self.message.configure(text=text, bootstyle=style)

    def resolve(self) -> None:
        """Mark the chosen checklist point resolved with the note typed beside it."""
        chosen = self.checklist.selection()
        if not chosen:
            self.message.configure(text=_("Choose a point in the checklist first."),
                                   bootstyle="danger")
            return
        try:
            self._presenter.mark_resolved(int(chosen[0]), self.note.get())
        except Exception as error:  # noqa: BLE001 - shown in plain words
            self.message.configure(text=describe(error), bootstyle="danger")
            return
        self.note.delete(0, "end")
        self._done(_("Marked resolved."))

    def _choose_brought(self, code: str) -> None:
        names = filedialog.askopenfilenames(
            parent=self, title=_("Choose the pages the applicant brought"),
            filetypes=[(_("Scans"), "*.jpg *.jpeg *.png *.pdf")])
        if names:
            self.receive(code, [Path(name) for name in names])

    def receive(self, code: str, paths: list[Path]) -> None:
        """Store the brought pages of a material accepted missing, off the UI thread."""
        for child in self.brought.winfo_children():
            for widget in child.winfo_children():
                if isinstance(widget, tb.Button):
                    widget.configure(state="disabled")
        self.message.configure(text=_("Saving the pages…"), bootstyle="secondary")
        self._worker.submit(lambda: self._presenter.receive_deferred(code, paths),
                            self._received, self._receive_failed)

    def _received(self, report) -> None:  # noqa: ANN001 - an importer.ImportReport
        if self.winfo_exists():
            self._done(report.summary(), "success" if report.pages else "warning")

    def _receive_failed(self, error: BaseException) -> None:
        if self.winfo_exists():
            self.render()
            self._failed(error)

    def print_default(self) -> None:
        """Ctrl+P: the first document this case has (the receipt once submitted)."""
        self.print(self._presenter.printable()[0][0])

    def print(self, kind) -> None:  # noqa: ANN001 - a DocumentKind
        self.message.configure(text=_("Preparing the document…"), bootstyle="secondary")
        self._worker.submit(lambda: self._presenter.make_pdf(kind), self._printed, self._failed)

    def _printed(self, pdf) -> None:  # noqa: ANN001 - a RenderedPdf
        self.printed.append(pdf)
        send_and_report(pdf, self._send_pdf, self.message)

    def _failed(self, error: BaseException) -> None:
        self.message.configure(text=describe(error), bootstyle="danger")
