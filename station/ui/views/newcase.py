"""The new-case screen: one tab per step, keyboard first, every step saved at once."""

from __future__ import annotations

import tkinter as tk
from datetime import date
from pathlib import Path
from typing import Callable

import ttkbootstrap as tb

from station.applicants import ApplicantInput
from station.i18n import _
from station.ui.presenters.errors import describe
from station.ui.presenters.newcase import NewCasePresenter, id_feedback
from station.ui.views.materials import MaterialsStep
from station.ui.views.printout import send_and_report
from station.ui.worker import Worker

_ADDRESS = ("province", "city", "county", "township", "village", "detail")


def _address_labels() -> dict[str, str]:
    return {"province": _("Province"), "city": _("City"), "county": _("County"),
            "township": _("Township"), "village": _("Village"), "detail": _("Detail")}


def build_form_tab(master: tk.Misc, presenter: NewCasePresenter, scale: float = 1.0) -> tk.Widget:
    """The matter's form for the draft, saving every change into it."""
    from station.ui.presenters.form import FormPresenter
    from station.ui.views.form import FormView

    case, matter = presenter.case, presenter.matter
    form = FormPresenter(matter, dict(case.answers), dict(case.overrides),
                         today=presenter.today(), on_change=presenter.save_answers)
    return FormView(master, form, scale=scale)


class NewCaseView(tb.Frame):
    """Matter → applicant → form → materials → review; ``form_factory`` builds the form tab."""

    def __init__(
        self,
        master: tk.Misc,
        presenter: NewCasePresenter,
        worker: Worker,
        today: date,
        form_factory: Callable[[tk.Misc, NewCasePresenter], tk.Widget],
        on_submitted: Callable[[str], None],
        scan_folder: Path | None = None,
        go_home: Callable[[], None] | None = None,
        send: Callable[[object], None] | None = None,
    ) -> None:
        super().__init__(master, padding=12)
        self._presenter = presenter
        self._worker = worker
        self._today = today
        self._form_factory = form_factory
        self._on_submitted = on_submitted
        self._send_pdf = send or (lambda _pdf: None)
        self.form_view = None
        if go_home is not None:
            tb.Button(self, text=_("← Home (the draft is kept)"), bootstyle="link",
                      command=self._leaving(go_home)).pack(anchor="w")
        self.steps = tb.Notebook(self)
        self.steps.pack(fill="both", expand=True)
        self.matter_tab = self._build_matter_tab()
        self.applicant_tab = self._build_applicant_tab()
        self.form_tab = tb.Frame(self.steps, padding=8)
        self.materials_step = MaterialsStep(self.steps, presenter.materials, worker, scan_folder,
                                            on_change=self.refresh_review)
        self.review_tab = self._build_review_tab()
        for tab, title in ((self.matter_tab, _("1 Matter")), (self.applicant_tab, _("2 Applicant")),
                           (self.form_tab, _("3 Form")), (self.materials_step, _("4 Materials")),
                           (self.review_tab, _("5 Review and submit"))):
            self.steps.add(tab, text=title)
        for later in (1, 2, 3, 4):
            self.steps.tab(later, state="disabled")
        self.steps.bind("<<NotebookTabChanged>>", lambda _event: self._tab_changed())
        self.message = tb.Label(self, text="", bootstyle="danger", wraplength=900)
        self.message.pack(fill="x", pady=(6, 0))
        self._search_matters()
        self.search.focus_set()

    def _leaving(self, go_home: Callable[[], None]) -> Callable[[], None]:
        def leave() -> None:
            if self.form_view is not None:
                self.form_view.commit()
            go_home()

        return leave

    def _tab_changed(self) -> None:
        """Save what the form holds when the agent leaves it; show the materials fresh."""
        if self.form_view is not None:
            self.form_view.commit()
        if self._presenter.case is not None and self.steps.index("current") >= 3:
            self.materials_step.refresh()

    # --- 1 matter ---------------------------------------------------------------------

    def _build_matter_tab(self) -> tb.Frame:
        tab = tb.Frame(self.steps, padding=8)
        tb.Label(tab, text=_("Search by name, pinyin, initials or code")).grid(
            row=0, column=0, sticky="w")
        self.search = tb.Entry(tab, width=40)
        self.search.grid(row=1, column=0, sticky="ew", pady=4)
        self.search.bind("<KeyRelease>", lambda _event: self._search_matters())
        self.search.bind("<Return>", lambda _event: self._choose_first())
        self.matters = tb.Treeview(tab, columns=("code", "name", "category"), show="headings",
                                   height=18)
        for column, title, width in (("code", _("Code"), 120), ("name", _("Matter"), 300),
                                     ("category", _("Category"), 100)):
            self.matters.heading(column, text=title)
            self.matters.column(column, width=width, anchor="w")
        self.matters.grid(row=2, column=0, sticky="nsew")
        self.matters.bind("<<TreeviewSelect>>", lambda _event: self._show_guide())
        self.matters.bind("<Return>", lambda _event: self._confirm_matter())
        self.guide = tb.Text(tab, wrap="word", width=60, height=22)
        self.guide.grid(row=0, column=1, rowspan=3, sticky="nsew", padx=(12, 0))
        self.choose_button = tb.Button(tab, text=_("Start this case"), bootstyle="primary",
                                       command=self._confirm_matter, state="disabled")
        self.choose_button.grid(row=3, column=1, sticky="e", pady=8)
        tab.columnconfigure(1, weight=1)
        tab.rowconfigure(2, weight=1)
        return tab

    def _search_matters(self) -> None:
        self.matters.delete(*self.matters.get_children())
        for hit in self._presenter.search_matters(self.search.get()):
            self.matters.insert("", "end", iid=hit.code, values=(hit.code, hit.name, hit.category))

    def _choose_first(self) -> None:
        children = self.matters.get_children()
        if children:
            self.matters.selection_set(children[0])
            self.matters.focus(children[0])
            self.matters.focus_set()

    def _show_guide(self) -> None:
        selected = self.matters.selection()
        if not selected:
            return
        self.guide.delete("1.0", "end")
        self.guide.insert("1.0", self._presenter.choose_matter(selected[0]))
        self.choose_button.configure(state="normal")

    def _confirm_matter(self) -> None:
        if self._presenter.matter is None:
            return
        self.steps.tab(1, state="normal")
        self.steps.select(1)
        self.fields["name"].focus_set()

    # --- 2 applicant ------------------------------------------------------------------

    def _build_applicant_tab(self) -> tb.Frame:
        tab = tb.Frame(self.steps, padding=8)
        self.fields: dict[str, tb.Entry] = {}
        labels = {"name": _("Name"), "id_number": _("ID number"), "phone": _("Phone")}
        labels.update(_address_labels())
        for row, (key, label) in enumerate(labels.items()):
            tb.Label(tab, text=label).grid(row=row, column=0, sticky="w", pady=3, padx=(0, 8))
            entry = tb.Entry(tab, width=36)
            entry.grid(row=row, column=1, sticky="ew", pady=3)
            entry.bind("<Return>", lambda _event, e=entry: e.tk_focusNext().focus_set())
            self.fields[key] = entry
        self.id_info = tb.Label(tab, text="", bootstyle="secondary")
        self.id_info.grid(row=1, column=2, sticky="w", padx=8)
        self.fields["id_number"].bind("<KeyRelease>", lambda _event: self._check_id())
        for key in ("name", "id_number"):
            self.fields[key].bind("<FocusOut>", lambda _event: self._lookup(), add="+")
        tb.Label(tab, text=_("Earlier applicants")).grid(row=0, column=3, sticky="w")
        self.earlier = tb.Treeview(tab, columns=("name", "id", "phone"), show="headings", height=8)
        for column, title in (("name", _("Name")), ("id", _("ID number")), ("phone", _("Phone"))):
            self.earlier.heading(column, text=title)
            self.earlier.column(column, width=150)
        self.earlier.grid(row=1, column=3, rowspan=7, sticky="nsew", padx=(12, 0))
        self.earlier.bind("<<TreeviewSelect>>", lambda _event: self._pick_earlier())
        self._earlier_uuid: str | None = None
        self.start_button = tb.Button(tab, text=_("Save the applicant and continue"),
                                      bootstyle="primary", command=self._start)
        self.start_button.grid(row=len(labels), column=1, sticky="ew", pady=10)
        tab.columnconfigure(3, weight=1)
        return tab

    def _check_id(self) -> None:
        valid, text = id_feedback(self.fields["id_number"].get(), self._today)
        self.id_info.configure(text=text, bootstyle="success" if valid else "danger")

    def _lookup(self) -> None:
        text = self.fields["id_number"].get() or self.fields["name"].get()
        self.earlier.delete(*self.earlier.get_children())
        for hit in self._presenter.find_applicants(text):
            self.earlier.insert("", "end", iid=hit.uuid, values=(hit.name, hit.id_number,
                                                                 hit.phone))

    def _pick_earlier(self) -> None:
        selected = self.earlier.selection()
        self._earlier_uuid = selected[0] if selected else None

    def applicant_input(self) -> ApplicantInput:
        values = {key: entry.get().strip() for key, entry in self.fields.items()}
        address = {key: values[key] for key in _ADDRESS if values.get(key)}
        return ApplicantInput(name=values["name"], id_number=values["id_number"] or None,
                              phone=values["phone"] or None, address=address)

    def _start(self) -> None:
        try:
            self._presenter.start(self.applicant_input(), self._earlier_uuid)
        except Exception as error:  # noqa: BLE001 - shown to the agent in plain words
            self.message.configure(text=describe(error))
            return
        self.message.configure(text="")
        self._open_draft()

    def resume(self, case_uuid: str) -> None:
        """Continue a draft or a returned case (supplement) at its form."""
        self._presenter.resume(case_uuid)
        self._open_draft()

    def _open_draft(self) -> None:
        for later in (2, 3, 4):
            self.steps.tab(later, state="normal")
        self.steps.tab(0, state="disabled")
        self.steps.tab(1, state="disabled")
        self.form_view = self._form_factory(self.form_tab, self._presenter)
        self.form_view.pack(fill="both", expand=True)
        self.steps.select(2)
        self.materials_step.refresh()

    def _failed(self, error: BaseException) -> None:
        self.message.configure(text=describe(error), bootstyle="danger")

    # --- 5 review ---------------------------------------------------------------------

    def _build_review_tab(self) -> tb.Frame:
        tab = tb.Frame(self.steps, padding=8)
        tb.Label(tab, text=_("Before submitting")).pack(anchor="w")
        self.problems = tb.Text(tab, height=14, wrap="word")
        self.problems.pack(fill="both", expand=True, pady=6)
        buttons = tb.Frame(tab)
        buttons.pack(fill="x")
        self.notice_button = tb.Button(
            buttons, text=_("Print the one-time notice of what is missing"),
            command=self._print_notice)
        self.notice_button.pack(side="left")
        self.submit_button = tb.Button(buttons, text=_("Submit the case"), bootstyle="success",
                                       command=self._submit)
        self.submit_button.pack(side="right")
        self.printed = []
        return tab

    def print_default(self) -> None:
        """Ctrl+P: the one-time notice, once a draft exists."""
        if self._presenter.case is not None:
            self._print_notice()

    def _print_notice(self) -> None:
        """The one-time notice (一次性告知书) for the applicant to take home."""
        self.message.configure(text=_("Preparing the document…"), bootstyle="secondary")
        self._worker.submit(self._presenter.print_notice, self._notice_ready, self._failed)

    def _notice_ready(self, pdf) -> None:  # noqa: ANN001 - a RenderedPdf
        self.printed.append(pdf)
        send_and_report(pdf, self._send_pdf, self.message)

    def refresh_review(self) -> list[str]:
        problems = self._presenter.problems() if self._presenter.case else []
        self.problems.delete("1.0", "end")
        self.problems.insert("1.0", "\n".join(f"· {p}" for p in problems)
                             or _("Everything is there: the case can be submitted."))
        self.submit_button.configure(state="disabled" if problems else "normal")
        return problems

    def _submit(self) -> None:
        try:
            case = self._presenter.submit()
        except Exception as error:  # noqa: BLE001 - shown to the agent in plain words
            self._failed(error)
            return
        self._on_submitted(case.uuid)
