"""Home: the counts that need attention, each opening its list."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import ttkbootstrap as tb

from station.caselist import CaseFilter
from station.i18n import _
from station.ui.presenters.home import HomePresenter


class HomeView(tb.Frame):
    def __init__(
        self,
        master: tk.Misc,
        presenter: HomePresenter,
        open_list: Callable[[str, CaseFilter], None],
        new_case: Callable[[], None],
        settings: Callable[[], None],
        ledger: Callable[[], None],
    ) -> None:
        super().__init__(master, padding=24)
        self._presenter = presenter
        self._open_list = open_list
        top = tb.Frame(self)
        top.pack(fill="x")
        tb.Label(top, text=presenter.greeting(), font=("", 16, "bold")).pack(side="left")
        self.new_case = tb.Button(top, text=_("New case (Ctrl+N)"), bootstyle="primary",
                                  command=new_case)
        self.new_case.pack(side="right")
        self.settings = tb.Button(top, text=_("Settings"), bootstyle="link", command=settings)
        self.settings.pack(side="right", padx=8)
        self.ledger = tb.Button(top, text=_("Ledger"), bootstyle="link", command=ledger)
        self.ledger.pack(side="right")
        self.grid_frame = tb.Frame(self)
        self.grid_frame.pack(fill="both", expand=True, pady=16)
        self.tiles: dict[str, tb.Button] = {}
        self.refresh()

    def refresh(self) -> None:
        for child in self.grid_frame.winfo_children():
            child.destroy()
        for position, tile in enumerate(self._presenter.tiles()):
            style = "danger" if tile.urgent and tile.count else "secondary"
            button = tb.Button(
                self.grid_frame,
                text=f"{tile.count}\n{tile.label}",
                bootstyle=f"{style}-outline",
                width=22,
                command=lambda t=tile: self._open_list(t.label, t.criteria),
            )
            button.grid(row=position // 3, column=position % 3, padx=8, pady=8, sticky="nsew",
                        ipady=18)
            self.tiles[tile.key] = button
        for column in range(3):
            self.grid_frame.columnconfigure(column, weight=1)
