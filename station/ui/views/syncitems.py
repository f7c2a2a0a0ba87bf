"""What sync set aside, or the township's messages: a table, the full words of the chosen
line below it; keyboard first (Up/Down choose, Enter opens the case, Escape goes home)."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.syncitems import (
    SyncItemRow,
    SyncItemsPresenter,
    columns,
    widest_when,
)

# Widths in digit widths of the case number and the words (which take what is left);
# the time's is measured.
_COLUMN_CHARS = (21, 50)


class SyncItemsView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: SyncItemsPresenter,
                 go_home: Callable[[], None], open_case: Callable[[str], None]) -> None:
        super().__init__(master, padding=16)
        self._open_case = open_case
        top = tb.Frame(self)
        top.pack(fill="x")
        tb.Button(top, text=_("← Home"), bootstyle="link", command=go_home).pack(side="left")
        tb.Label(top, text=presenter.title, font=("", 16, "bold")).pack(side="left", padx=12)
        self.detail = tb.Label(self, text="", justify="left")
        self.detail.pack(side="bottom", fill="x", pady=(8, 0))
        self.detail.bind("<Configure>", lambda event: self.detail.configure(
            wraplength=max(event.width, 200)))
        self.table = tb.Treeview(self, columns=columns(), show="headings", height=10)
        self._size_columns()
        self.table.pack(fill="both", expand=True, pady=10)
        self.rows = {row.key: row for row in presenter.rows()}
        self._fill(presenter.empty_text())
        self.table.bind("<<TreeviewSelect>>", lambda _event: self._show_detail())
        for sequence in ("<Double-1>", "<Return>"):
            self.table.bind(sequence, self._open)
        self.table.bind("<Escape>", lambda _event: go_home())
        self.table.focus_set()

    def _size_columns(self) -> None:
        """Widths in the table's font (so they grow in large-font mode)."""
        font = tkfont.nametofont("TkDefaultFont")
        digit = font.measure("0")
        widths = (font.measure(widest_when()) + 2 * digit,
                  *(chars * digit for chars in _COLUMN_CHARS))
        for name, width in zip(columns(), widths, strict=True):
            self.table.heading(name, text=name, anchor="w")
            self.table.column(name, width=width, minwidth=4 * digit, anchor="w",
                              stretch=name == columns()[-1])

    def _fill(self, empty_text: str) -> None:
        for row in self.rows.values():
            self.table.insert("", "end", iid=row.key, values=row.cells())
        if not self.rows:
            self.detail.configure(text=empty_text)
            return
        first = next(iter(self.rows))
        self.table.focus(first)
        self.table.selection_set(first)

    def _selected(self) -> SyncItemRow | None:
        key = self.table.focus() or next(iter(self.table.selection()), "")
        return self.rows.get(key)

    def _show_detail(self) -> None:
        row = self._selected()
        if row is None:
            return
        text = row.what
        if row.case_uuid is not None:
            text += "\n" + _("Press Enter to open case {number}.").format(number=row.case_number)
        self.detail.configure(text=text)

    def _open(self, _event: object = None) -> str:
        """Open the chosen line's case; "break": the table is gone, its own bindings
        must not run."""
        row = self._selected()
        if row is not None and row.case_uuid is not None:
            self._open_case(row.case_uuid)
        return "break"
