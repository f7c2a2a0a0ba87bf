"""First-run wizard: the station, the first agent, the recovery code shown once, then on to
the login, and from there to the enrolment with the township if the agent chose it."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.errors import describe
from station.ui.presenters.firstrun import FIELDS, FirstRunForm, FirstRunPresenter
from station.ui.worker import Worker


def _labels() -> dict[str, str]:
    return {
        "code": _("Station code"),
        "name": _("Station name"),
        "township": _("Township"),
        "login": _("Your login name"),
        "display_name": _("Your full name"),
        "password": _("Password"),
        "confirm": _("Password again"),
    }


class FirstRunView(tb.Frame):
    """Step 1: the form; step 2: the recovery code and the way on: log in, then enrol with
    the township or not (``on_finished(enrol)``)."""

    def __init__(
        self,
        master: tk.Misc,
        presenter: FirstRunPresenter,
        worker: Worker,
        on_finished: Callable[[bool], None],
    ) -> None:
        super().__init__(master, padding=30)
        self._presenter = presenter
        self._worker = worker
        self._on_finished = on_finished
        self.entries: dict[str, tb.Entry] = {}
        self.errors: dict[str, tb.Label] = {}
        self._build_form()

    def _build_form(self) -> None:
        tb.Label(self, text=_("Set up this station"), font=("", 20, "bold")).grid(
            row=0, column=0, columnspan=3, sticky="w", pady=(0, 18)
        )
        for row, (key, label) in enumerate(_labels().items(), start=1):
            tb.Label(self, text=label).grid(row=row, column=0, sticky="w", padx=(0, 12), pady=4)
            entry = tb.Entry(self, width=36, show="•" if key in ("password", "confirm") else "")
            entry.grid(row=row, column=1, sticky="ew", pady=4)
            entry.bind("<Return>", lambda _event, k=key: self._next(k))
            error = tb.Label(self, text="", bootstyle="danger")
            error.grid(row=row, column=2, sticky="w", padx=8)
            self.entries[key], self.errors[key] = entry, error
        row = len(FIELDS) + 1
        self.create_button = tb.Button(
            self, text=_("Create the station"), bootstyle="primary", command=self.submit
        )
        self.create_button.grid(row=row, column=1, sticky="ew", pady=(16, 6))
        self.message = tb.Label(self, text="", bootstyle="danger", wraplength=520)
        self.message.grid(row=row + 1, column=0, columnspan=3, sticky="w", pady=8)
        self.columnconfigure(1, weight=1)
        self.entries["code"].focus_set()

    def _next(self, key: str) -> None:
        position = FIELDS.index(key)
        if position + 1 < len(FIELDS):
            self.entries[FIELDS[position + 1]].focus_set()
        else:
            self.submit()

    def form(self) -> FirstRunForm:
        return FirstRunForm({key: entry.get() for key, entry in self.entries.items()})

    def submit(self) -> None:
        form = self.form()
        problems = self._presenter.problems(form)
        for key, label in self.errors.items():
            label.configure(text=problems.get(key, ""))
        if problems:
            self.entries[next(k for k in FIELDS if k in problems)].focus_set()
            return
        self.create_button.configure(state="disabled")
        self.message.configure(text=_("Creating the station…"), bootstyle="secondary")
        self._worker.submit(lambda: self._presenter.create(form), self._show_code, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.create_button.configure(state="normal")
        self.message.configure(text=describe(error), bootstyle="danger")

    def _show_code(self, code: str) -> None:
        for child in self.winfo_children():
            child.destroy()
        tb.Label(self, text=_("Write down the recovery code"), font=("", 20, "bold")).pack(
            anchor="w", pady=(0, 12)
        )
        tb.Label(self, wraplength=560, justify="left", text=_(
            "If every password is forgotten, this code opens the station. It is shown only "
            "this once: write it on paper and keep it locked away, not on this computer."
        )).pack(anchor="w")
        self.code_label = tb.Label(self, text=code, font=("Courier", 22, "bold"))
        self.code_label.pack(pady=24)
        self.confirmed = tk.BooleanVar(value=False)
        tb.Checkbutton(self, text=_("I have written the code down"), variable=self.confirmed,
                       command=self._toggle).pack(anchor="w")
        tb.Label(self, text=self._presenter.enrolment_note(), wraplength=560,
                 justify="left").pack(anchor="w", pady=(16, 0))
        self.enrol_button = tb.Button(
            self, text=_("Log in, then enrol with the township"), state="disabled",
            bootstyle="primary", command=lambda: self._on_finished(True))
        self.enrol_button.pack(fill="x", pady=(16, 0))
        self.continue_button = tb.Button(
            self, text=_("Continue to log in (enrol later)"), state="disabled",
            bootstyle="secondary", command=lambda: self._on_finished(False))
        self.continue_button.pack(fill="x", pady=8)

    def _toggle(self) -> None:
        state = "normal" if self.confirmed.get() else "disabled"
        for button in (self.enrol_button, self.continue_button):
            button.configure(state=state)
