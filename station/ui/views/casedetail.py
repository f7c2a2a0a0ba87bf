"""One case: summary, form, materials, timeline; print, withdraw, deliver, close, rate."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.lifecycle import Transition
from station.ui.presenters.casedetail import CaseDetailPresenter, Line
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
        tb.Button(top, text=_("← Back"), bootstyle="link", command=go_back).pack(side="left")
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
        self.actions = tb.Frame(self)
        self.actions.pack(fill="x")
        self.reason = tb.Entry(self.actions, width=30)
        self.message = tb.Label(self, text="", wraplength=900, justify="left")
        self.message.pack(fill="x", pady=4)
        self.render()

    def render(self) -> None:
        presenter = self._presenter
        self.title.configure(text=f"{presenter.case.local_number} · {presenter.case.matter_name}")
        for key, lines in (("summary", presenter.summary()), ("answers", presenter.answers()),
                           ("materials", presenter.materials()),
                           ("timeline", presenter.timeline())):
            self._fill(self.tables[key], lines)
        self._build_actions()

    @staticmethod
    def _fill(table: tb.Treeview, lines: list[Line]) -> None:
        table.delete(*table.get_children())
        for line in lines:
            table.insert("", "end", values=(line.label, line.text))

    def _build_actions(self) -> None:
        for child in self.actions.winfo_children():
            if child is not self.reason:
                child.destroy()
        self.reason.pack_forget()
        self.buttons: dict[str, tb.Button] = {}
        presenter = self._presenter
        if presenter.can_edit():
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
            self.message.configure(text=_("Done."), bootstyle="success")
            self._presenter.reload()
            self.render()

        return run

    def print(self, kind) -> None:  # noqa: ANN001 - a DocumentKind
        self.message.configure(text=_("Preparing the document…"), bootstyle="secondary")
        self._worker.submit(lambda: self._presenter.make_pdf(kind), self._printed, self._failed)

    def _printed(self, pdf) -> None:  # noqa: ANN001 - a RenderedPdf
        self.printed.append(pdf)
        send_and_report(pdf, self._send_pdf, self.message)

    def _failed(self, error: BaseException) -> None:
        self.message.configure(text=describe(error), bootstyle="danger")
