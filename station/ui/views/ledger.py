"""Ledger (台账): a period to xlsx with progress and cancel; today's summary."""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import filedialog
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.errors import describe
from station.ui.presenters.ledger import LedgerPresenter, parse_day
from station.ui.worker import Worker


class LedgerView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: LedgerPresenter, worker: Worker,
                 go_home: Callable[[], None]) -> None:
        super().__init__(master, padding=24)
        self._presenter = presenter
        self._worker = worker
        tb.Button(self, text=_("← Home"), bootstyle="link", command=go_home).grid(
            row=0, column=0, sticky="w")
        tb.Label(self, text=_("Ledger"), font=("", 18, "bold")).grid(row=0, column=1, sticky="w")
        start, end = presenter.this_month()
        tb.Label(self, text=_("From (YYYY-MM-DD)")).grid(row=1, column=0, sticky="w", pady=4)
        self.start = tb.Entry(self, width=14)
        self.start.insert(0, start.isoformat())
        self.start.grid(row=1, column=1, sticky="w")
        tb.Label(self, text=_("To (YYYY-MM-DD)")).grid(row=2, column=0, sticky="w", pady=4)
        self.end = tb.Entry(self, width=14)
        self.end.insert(0, end.isoformat())
        self.end.grid(row=2, column=1, sticky="w")
        self.export_button = tb.Button(self, text=_("Export to Excel…"), bootstyle="primary",
                                       command=self._choose_file)
        self.export_button.grid(row=3, column=1, sticky="w", pady=8)
        self.cancel_button = tb.Button(self, text=_("Cancel"), command=presenter.cancel,
                                       state="disabled")
        self.cancel_button.grid(row=3, column=2, sticky="w", padx=8)
        self.progress = tb.Progressbar(self, length=400, maximum=1)
        self.progress.grid(row=4, column=1, columnspan=2, sticky="w")
        tb.Label(self, text=_("Today"), font=("", 14, "bold")).grid(
            row=5, column=0, sticky="w", pady=(20, 4))
        self.today = tb.Label(self, text=presenter.day_text(presenter.day()), justify="left")
        self.today.grid(row=6, column=0, columnspan=3, sticky="w")
        self.message = tb.Label(self, text="", wraplength=700)
        self.message.grid(row=7, column=0, columnspan=3, sticky="w", pady=8)

    def _choose_file(self) -> None:
        try:
            start, end = parse_day(self.start.get()), parse_day(self.end.get())
        except ValueError:
            self.message.configure(text=_("Type the dates as YYYY-MM-DD."), bootstyle="danger")
            return
        name = filedialog.asksaveasfilename(
            parent=self, defaultextension=".xlsx",
            initialfile=self._presenter.suggested_name(start, end))
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Export the typed period to ``path`` off the UI thread."""
        try:
            start, end = parse_day(self.start.get()), parse_day(self.end.get())
        except ValueError:
            self.message.configure(text=_("Type the dates as YYYY-MM-DD."), bootstyle="danger")
            return
        self.export_button.configure(state="disabled")
        self.cancel_button.configure(state="normal")
        self.message.configure(text=_("Exporting…"), bootstyle="secondary")

        def progress(done: int, total: int) -> None:
            self._worker.report(lambda: self.progress.configure(maximum=max(total, 1),
                                                                value=done))

        self._worker.submit(lambda: self._presenter.export(start, end, path, progress),
                            self._done, self._failed)

    def _done(self, report) -> None:  # noqa: ANN001 - a LedgerReport
        self._idle()
        self.message.configure(text=_("{n} cases written to {path}.").format(
            n=report.rows, path=report.path), bootstyle="success")

    def _failed(self, error: BaseException) -> None:
        self._idle()
        self.message.configure(text=describe(error), bootstyle="danger")

    def _idle(self) -> None:
        self.export_button.configure(state="normal")
        self.cancel_button.configure(state="disabled")
