"""The case list: search box, table, paging; keyboard first."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.caselist import CaseListPresenter, Row, columns


class CaseListView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: CaseListPresenter,
                 go_home: Callable[[], None], open_case: Callable[[str], None]) -> None:
        super().__init__(master, padding=16)
        self._presenter = presenter
        top = tb.Frame(self)
        top.pack(fill="x")
        tb.Button(top, text=_("← Home"), bootstyle="link", command=go_home).pack(side="left")
        tb.Label(top, text=presenter.title, font=("", 16, "bold")).pack(side="left", padx=12)
        self.search = tb.Entry(top, width=30)
        self.search.pack(side="right")
        tb.Label(top, text=_("Search name, ID number, phone or case number")).pack(
            side="right", padx=8)
        self.search.bind("<Return>", lambda _event: self._show(presenter.search(self.search.get())))
        self.table = tb.Treeview(self, columns=columns(), show="headings", height=18)
        for name, width in zip(columns(), (190, 260, 120, 110, 120, 120), strict=True):
            self.table.heading(name, text=name)
            self.table.column(name, width=width, anchor="w")
        self.table.pack(fill="both", expand=True, pady=10)
        for sequence in ("<Double-1>", "<Return>"):
            self.table.bind(sequence, lambda _event: self._open(open_case))
        bottom = tb.Frame(self)
        bottom.pack(fill="x")
        tb.Button(bottom, text=_("Previous"), command=lambda: self._show(presenter.previous_page())
                  ).pack(side="left")
        tb.Button(bottom, text=_("Next"), command=lambda: self._show(presenter.next_page())
                  ).pack(side="left", padx=8)
        self.status = tb.Label(bottom, text="")
        self.status.pack(side="right")
        self._show(presenter.load())
        self.search.focus_set()

    def _open(self, open_case: Callable[[str], None]) -> None:
        selected = self.table.focus() or next(iter(self.table.selection()), "")
        if selected:
            open_case(selected)

    def _show(self, rows: list[Row]) -> None:
        self.table.delete(*self.table.get_children())
        for row in rows:
            self.table.insert("", "end", iid=row.uuid, values=row.cells)
        self.status.configure(text=self._presenter.status())
