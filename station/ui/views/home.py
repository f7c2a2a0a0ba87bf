"""Home: the counts that need attention, each opening its list; sync now; the items sync
set aside and the township's messages."""

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
        *,
        sync_now: Callable[[], object],
        open_sync_items: Callable[[str], None],
    ) -> None:
        super().__init__(master, padding=24)
        self._presenter = presenter
        self._open_list = open_list
        self._open_sync_items = open_sync_items
        top = tb.Frame(self)
        top.pack(fill="x")
        tb.Label(top, text=presenter.greeting(), font=("", 16, "bold")).pack(side="left")
        self.new_case = tb.Button(top, text=_("New case (Ctrl+N)"), bootstyle="primary",
                                  command=new_case)
        self.new_case.pack(side="right")
        self.sync_now = tb.Button(top, text=_("Sync now (F5)"), bootstyle="primary-outline",
                                  command=sync_now)
        self.sync_now.pack(side="right", padx=8)
        self.settings = tb.Button(top, text=_("Settings"), bootstyle="link", command=settings)
        self.settings.pack(side="right")
        self.ledger = tb.Button(top, text=_("Ledger"), bootstyle="link", command=ledger)
        self.ledger.pack(side="right")
        self.sync_hint = tb.Label(self, text="", bootstyle="secondary")
        self.sync_hint.pack(anchor="e")
        self.update_bar = tb.Frame(self)
        self.update_text = tb.Label(self.update_bar, text="", bootstyle="info")
        self.update_text.pack(side="left")
        self.update_button = tb.Button(self.update_bar, text="", bootstyle="info-outline")
        self.update_button.pack(side="left", padx=8)
        self.grid_frame = tb.Frame(self)
        self.grid_frame.pack(fill="both", expand=True, pady=16)
        self.tiles: dict[str, tb.Button] = {}
        self.refresh()

    def offer_update(self, version: str | None, choose: Callable[[str], None]) -> None:
        """Offer the app version sync installed (None: offer nothing); ``choose`` is the
        agent's yes."""
        if version is None:
            self.update_bar.pack_forget()
            return
        self.update_text.configure(text=_(
            "Version {version} of the station app is ready.").format(version=version))
        self.update_button.configure(text=_("Use it from the next start"),
                                     command=lambda: choose(version))
        self.update_bar.pack(anchor="w", before=self.grid_frame, pady=(8, 0))

    def update_chosen(self, version: str) -> None:
        """The agent said yes: say when the new version starts."""
        self.update_text.configure(text=_(
            "Version {version} starts the next time the app is opened.").format(
            version=version))
        self.update_button.pack_forget()

    def refresh(self) -> None:
        """Count again (after a sync round changed cases, say)."""
        for child in self.grid_frame.winfo_children():
            child.destroy()
        status = self._presenter.sync_status()
        entries = [(tile.key, f"{tile.count}\n{tile.label}", tile.urgent and tile.count > 0,
                    lambda t=tile: self._open_list(t.label, t.criteria))
                   for tile in self._presenter.tiles()]
        entries += [(link.key, f"{link.count}\n{link.label}", link.urgent,
                     lambda key=link.key: self._open_sync_items(key))
                    for link in self._presenter.sync_links(status)]
        for position, (key, text, urgent, command) in enumerate(entries):
            button = tb.Button(self.grid_frame, text=text, width=22, command=command,
                               bootstyle="danger-outline" if urgent else "secondary-outline")
            button.grid(row=position // 3, column=position % 3, padx=8, pady=8, sticky="nsew",
                        ipady=18)
            self.tiles[key] = button
        for column in range(3):
            self.grid_frame.columnconfigure(column, weight=1)
        self.sync_now.configure(state="normal" if status.enrolled else "disabled")
        self.sync_hint.configure(text="" if status.enrolled else _(
            "Enrol the station with the township in Settings to sync."))
