"""Enrolment with the township: the address and the code typed, the link pasted or read
from the township's QR picture; then who the station is at the township.

Enter moves from the address to the code and enrols from the code, the link or the
certificate entry; Escape leaves.
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import filedialog
from typing import Callable

import ttkbootstrap as tb

from station.enrolment import Enrolled, parse_link
from station.i18n import _
from station.ui.presenters.enrol import EnrolInputError, EnrolmentInfo, EnrolPresenter
from station.ui.presenters.errors import describe
from station.ui.worker import Worker


class EnrolView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: EnrolPresenter, worker: Worker, *,
                 on_enrolled: Callable[[], None], leave: Callable[[], None],
                 leave_label: str) -> None:
        super().__init__(master, padding=24)
        self._presenter = presenter
        self._worker = worker
        self._on_enrolled = on_enrolled
        self._leave = leave
        self._leave_label = leave_label
        info = presenter.info()
        if info is None:
            self._build_form()
        else:
            self._show_enrolment(_("This station is already enrolled."), info)

    def _title(self, text: str) -> None:
        top = tb.Frame(self)
        top.grid(row=0, column=0, columnspan=3, sticky="ew", pady=(0, 12))
        self.leave_button = tb.Button(top, text=self._leave_label, bootstyle="link",
                                      command=self._leave)
        self.leave_button.pack(side="left")
        tb.Label(top, text=text, font=("", 18, "bold")).pack(side="left", padx=12)

    def _build_form(self) -> None:
        self._title(_("Enrol with the township"))
        self._wrapped(1, _(
            "Type the township platform's address and the one-time enrolment code, or paste "
            "the enrolment link, or read the QR picture the township printed."))
        self.address = self._entry(2, _("Township address"))
        self.code = self._entry(3, _("Enrolment code"))
        self.link = self._entry(4, _("Or the enrolment link (vsenrol:…)"))
        self._label(5, _("Or the QR picture"))
        self.qr_button = tb.Button(self, text=_("Choose the picture…"), command=self._choose_qr)
        self.qr_button.grid(row=5, column=1, sticky="w", pady=4)
        self.ca_bundle = self._entry(6, _("Certificate file (only if the township gave you one)"))
        tb.Button(self, text=_("Choose…"), command=self._choose_certificates).grid(
            row=6, column=2, sticky="w", padx=(8, 0))
        self.enrol_button = tb.Button(self, text=_("Enrol"), bootstyle="primary",
                                      command=self.submit)
        self.enrol_button.grid(row=7, column=1, sticky="w", pady=12)
        self.message = self._wrapped(8, "")
        self.columnconfigure(1, weight=1)
        self.address.bind("<Return>", lambda _event: self.code.focus_set())
        self.enrol_button.bind("<Return>", lambda _event: self.submit())
        self.qr_button.bind("<Return>", lambda _event: self._choose_qr())
        for entry in (self.code, self.link, self.ca_bundle):
            entry.bind("<Return>", lambda _event: self.submit())
        self.address.focus_set()

    def _label(self, row: int, text: str) -> None:
        tb.Label(self, text=text, wraplength=300, justify="left").grid(
            row=row, column=0, sticky="w", pady=4, padx=(0, 12))

    def _entry(self, row: int, label: str) -> tb.Entry:
        self._label(row, label)
        entry = tb.Entry(self, width=50)
        entry.grid(row=row, column=1, sticky="ew", pady=4)
        entry.bind("<Escape>", lambda _event: self._leave())
        return entry

    def _wrapped(self, row: int, text: str) -> tb.Label:
        label = tb.Label(self, text=text, justify="left")
        label.grid(row=row, column=0, columnspan=3, sticky="ew", pady=4)
        label.bind("<Configure>", lambda event: label.configure(wraplength=max(event.width, 200)))
        return label

    def submit(self) -> None:
        """Check what was typed, then enrol on the worker."""
        try:
            target = self._presenter.target(self.address.get(), self.code.get(),
                                            self.link.get(), self.ca_bundle.get())
        except EnrolInputError as error:
            self._say(str(error), "danger")
            getattr(self, error.field).focus_set()
            return
        self.enrol_button.configure(state="disabled")
        self._say(_("Enrolling: asking the township…"), "secondary")
        self._worker.submit(lambda: self._presenter.enrol(target), self._enrolled, self._failed)

    def _enrolled(self, enrolled: Enrolled) -> None:
        self._on_enrolled()
        info = self._presenter.info()
        for child in self.winfo_children():
            child.destroy()
        self._show_enrolment(self._presenter.done_text(enrolled), info)

    def _failed(self, error: BaseException) -> None:
        self.enrol_button.configure(state="normal")
        self._say(describe(error), "danger")

    def _show_enrolment(self, headline: str, info: EnrolmentInfo | None) -> None:
        self._title(_("Enrolled with the township"))
        self.message = self._wrapped(1, headline)
        for row, (label, value) in enumerate(info.lines() if info else [], start=2):
            tb.Label(self, text=label).grid(row=row, column=0, sticky="w", pady=2, padx=(0, 12))
            tb.Label(self, text=value).grid(row=row, column=1, sticky="w", pady=2)
        self.continue_button = tb.Button(self, text=_("Continue"), bootstyle="primary",
                                         command=self._leave)
        self.continue_button.grid(row=10, column=1, sticky="w", pady=16)
        self.continue_button.bind("<Return>", lambda _event: self._leave())
        self.columnconfigure(1, weight=1)
        self.continue_button.focus_set()

    def _choose_qr(self) -> None:
        name = filedialog.askopenfilename(parent=self, title=_("The township's QR picture"),
                                          filetypes=[(_("Pictures"), "*.png *.jpg *.jpeg"),
                                                     (_("All files"), "*")])
        if name:
            self.read_qr(Path(name))

    def read_qr(self, path: Path) -> None:
        """Read the link from the picture at ``path`` on the worker, then fill the form."""
        self.qr_button.configure(state="disabled")
        self._say(_("Reading the picture…"), "secondary")
        self._worker.submit(lambda: self._presenter.read_qr(path), self._qr_read, self._qr_failed)

    def _qr_read(self, link: str) -> None:
        self.qr_button.configure(state="normal")
        url, code = parse_link(link)
        for entry, value in ((self.link, link), (self.address, url), (self.code, code)):
            entry.delete(0, "end")
            entry.insert(0, value)
        self._say(_("The picture holds the township's address and code: press Enrol."),
                  "success")
        self.enrol_button.focus_set()

    def _qr_failed(self, error: BaseException) -> None:
        self.qr_button.configure(state="normal")
        self._say(describe(error), "danger")

    def _choose_certificates(self) -> None:
        name = filedialog.askopenfilename(parent=self, title=_("Certificate file"))
        if name:
            self.ca_bundle.delete(0, "end")
            self.ca_bundle.insert(0, name)

    def _say(self, text: str, style: str) -> None:
        self.message.configure(text=text, bootstyle=style)
