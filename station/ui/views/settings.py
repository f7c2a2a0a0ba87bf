"""Settings: scans, printing, idle lock, large fonts, language, data directory, backup, the
enrolment with the township (or the way to enrol)."""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import filedialog
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.preferences import LANGUAGES, PAPER_SIZES
from station.ui.presenters.errors import describe
from station.ui.presenters.settings import SettingsPresenter
from station.ui.worker import Worker


class SettingsView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: SettingsPresenter, worker: Worker,
                 go_home: Callable[[], None], enrol: Callable[[], None]) -> None:
        super().__init__(master, padding=24)
        self._presenter = presenter
        self._worker = worker
        current = presenter.current
        tb.Button(self, text=_("← Home"), bootstyle="link", command=go_home).grid(
            row=0, column=0, sticky="w")
        tb.Label(self, text=_("Settings"), font=("", 18, "bold")).grid(row=0, column=1, sticky="w")
        self.scan_folder = self._entry(1, _("Scan folder of the document camera"),
                                       current.scan_folder)
        tb.Button(self, text=_("Choose…"), command=self._choose_folder).grid(row=1, column=2)
        self.printer = self._entry(2, _("Printer (empty: the system's default)"), current.printer)
        self.paper = self._combo(3, _("Paper size"), PAPER_SIZES, current.paper_size)
        self.idle = self._entry(4, _("Lock after idle minutes"), f"{current.idle_minutes:g}")
        self.language = self._combo(5, _("Language"), LANGUAGES, current.language)
        self.large_font = tk.BooleanVar(value=current.large_font)
        tb.Checkbutton(self, text=_("Large font for older eyes"), variable=self.large_font).grid(
            row=6, column=1, sticky="w", pady=6)
        tb.Label(self, text=_("Data directory")).grid(row=7, column=0, sticky="w")
        tb.Label(self, text=str(presenter.data_dir)).grid(row=7, column=1, sticky="w")
        buttons = tb.Frame(self)
        buttons.grid(row=8, column=1, sticky="w", pady=12)
        self.save_button = tb.Button(buttons, text=_("Save"), bootstyle="primary",
                                     command=self.save)
        self.save_button.pack(side="left")
        self.backup_button = tb.Button(buttons, text=_("Back up now…"), command=self._backup)
        self.backup_button.pack(side="left", padx=12)
        self._build_township(9, enrol)
        self.message = tb.Label(self, text="", wraplength=700)
        self.message.grid(row=10, column=0, columnspan=3, sticky="w", pady=8)
        self.columnconfigure(1, weight=1)

    def _build_township(self, row: int, enrol: Callable[[], None]) -> None:
        """Who the station is at its township, or the way to enrol it (compact: the
        screen must fit 1024x640 in large-font mode)."""
        tb.Label(self, text=_("Township platform")).grid(row=row, column=0, sticky="nw",
                                                        pady=(8, 0))
        panel = tb.Frame(self)
        panel.grid(row=row, column=1, columnspan=2, sticky="ew", pady=(8, 0))
        info = self._presenter.enrolment()
        self.enrol_button: tb.Button | None = None
        if info is None:
            self.enrol_button = tb.Button(panel, text=_("Enrol with the township…"),
                                          bootstyle="primary-outline", command=enrol)
            self.enrol_button.grid(row=0, column=0, sticky="w")
            tb.Label(panel, text=_("Not enrolled yet: the station works offline and keeps "
                                   "every case until it is enrolled."), wraplength=600,
                     justify="left", bootstyle="secondary").grid(row=1, column=0, sticky="w")
            return
        for line, (label, value) in enumerate(info.lines()):
            tb.Label(panel, text=label, bootstyle="secondary").grid(row=line, column=0,
                                                                    sticky="w", padx=(0, 12))
            tb.Label(panel, text=value).grid(row=line, column=1, sticky="w")

    def _entry(self, row: int, label: str, value: str) -> tb.Entry:
        tb.Label(self, text=label).grid(row=row, column=0, sticky="w", pady=4, padx=(0, 12))
        entry = tb.Entry(self, width=50)
        entry.insert(0, value)
        entry.grid(row=row, column=1, sticky="ew", pady=4)
        return entry

    def _combo(self, row: int, label: str, values: tuple[str, ...], value: str) -> tb.Combobox:
        tb.Label(self, text=label).grid(row=row, column=0, sticky="w", pady=4, padx=(0, 12))
        box = tb.Combobox(self, values=values, state="readonly", width=12)
        box.set(value)
        box.grid(row=row, column=1, sticky="w", pady=4)
        return box

    def _choose_folder(self) -> None:
        folder = filedialog.askdirectory(parent=self, title=_("Scan folder"))
        if folder:
            self.scan_folder.delete(0, "end")
            self.scan_folder.insert(0, folder)

    def save(self) -> None:
        try:
            self._presenter.save(
                scan_folder=self.scan_folder.get().strip(), printer=self.printer.get().strip(),
                paper_size=self.paper.get(), idle_minutes=float(self.idle.get()),
                language=self.language.get(), large_font=self.large_font.get(),
            )
        except ValueError:
            self.message.configure(text=_("Type the idle minutes as a number."),
                                   bootstyle="danger")
            return
        except Exception as error:  # noqa: BLE001 - shown in plain words
            self.message.configure(text=describe(error), bootstyle="danger")
            return
        text = _("Saved.")
        if self._presenter.restart_needed:
            text += " " + _("The new language shows after the app is restarted.")
        self.message.configure(text=text, bootstyle="success")

    def _backup(self) -> None:
        name = filedialog.asksaveasfilename(parent=self, title=_("Back up to"),
                                            defaultextension=".zip")
        if name:
            self.backup_to(Path(name))

    def backup_to(self, target: Path) -> None:
        self.backup_button.configure(state="disabled")
        self.message.configure(text=_("Backing up…"), bootstyle="secondary")
        self._worker.submit(lambda: self._presenter.backup(target), self._backed_up, self._failed)

    def _backed_up(self, report) -> None:  # noqa: ANN001 - a BackupReport
        self.backup_button.configure(state="normal")
        self.message.configure(text=self._presenter.backup_done(report), bootstyle="success")

    def _failed(self, error: BaseException) -> None:
        self.backup_button.configure(state="normal")
        self.message.configure(text=describe(error), bootstyle="danger")
