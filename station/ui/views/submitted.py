"""After submission: print the receipt (and the commitment letter), then the rating."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.errors import describe
from station.ui.presenters.submitted import SubmittedPresenter
from station.ui.views.printout import send_and_report
from station.ui.worker import Worker


class SubmittedView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: SubmittedPresenter, worker: Worker,
                 send: Callable[[object], None], on_continue: Callable[[], None]) -> None:
        super().__init__(master, padding=40)
        self._presenter = presenter
        self._worker = worker
        self._send_pdf = send
        self.printed = []
        tb.Label(self, text=_("Case submitted"), font=("", 20, "bold")).pack(anchor="w")
        tb.Label(self, text=presenter.summary(), wraplength=800, justify="left").pack(
            anchor="w", pady=12)
        self.print_buttons = {}
        for kind, label in presenter.documents():
            button = tb.Button(self, text=_("Print: {document}").format(document=label),
                               bootstyle="primary", command=lambda k=kind: self.print(k))
            button.pack(anchor="w", pady=4, ipadx=12)
            self.print_buttons[kind] = button
        self.continue_button = tb.Button(self, text=_("Continue: the applicant rates the service"),
                                         bootstyle="success", command=on_continue)
        self.continue_button.pack(anchor="w", pady=(20, 4))
        self.message = tb.Label(self, text="", wraplength=800, justify="left")
        self.message.pack(anchor="w", pady=8)
        first = next(iter(self.print_buttons.values()))
        first.focus_set()

    def print_default(self) -> None:
        """Ctrl+P: the intake receipt."""
        self.print(next(iter(self.print_buttons)))

    def print(self, kind) -> None:  # noqa: ANN001 - a DocumentKind
        self.print_buttons[kind].configure(state="disabled")
        self.message.configure(text=_("Preparing the document…"), bootstyle="secondary")
        self._worker.submit(lambda: self._presenter.make_pdf(kind),
                            lambda pdf: self._send(kind, pdf), lambda e: self._failed(kind, e))

    def _send(self, kind, pdf) -> None:  # noqa: ANN001
        self.printed.append(pdf)
        self.print_buttons[kind].configure(state="normal")
        send_and_report(pdf, self._send_pdf, self.message)

    def _failed(self, kind, error: BaseException) -> None:  # noqa: ANN001
        self.print_buttons[kind].configure(state="normal")
        self.message.configure(text=describe(error), bootstyle="danger")
