"""The case list: search box, filter bar, table, paging; keyboard first.

Tab goes search box → state → matter → agent → from → to → Apply → Clear → table →
Previous → Next. Enter in the search box searches, anywhere in the filter bar applies.
In a drop-down list Up and Down change the choice, Alt+Down opens the list.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.caselist import CaseFilterError, CaseListPresenter, Choice, Row, columns

# Column widths in digit widths (a CJK character is about two): a case number, a matter name
# (at least; it takes what is left), a person's name, a state, two dates (2026年11月23日).
_COLUMN_CHARS = (21, 20, 9, 10, 14, 14)


class _ChoiceBox(tb.Combobox):
    """A read-only drop-down list of Choices; Up/Down step through it without opening it."""

    def __init__(self, master: tk.Misc, choices: list[Choice], width: int) -> None:
        super().__init__(master, state="readonly", width=width,
                         values=[choice.label for choice in choices])
        self.choices = choices
        self.current(0)
        self.bind("<Down>", lambda _event: self._step(1))
        self.bind("<Up>", lambda _event: self._step(-1))
        self.bind("<Alt-Down>", lambda _event: self._open_list())

    @property
    def value(self) -> str | None:
        return self.choices[max(self.current(), 0)].value

    def choose(self, value: str | None) -> None:
        """Show the choice whose value is ``value`` ("all" when it is not offered)."""
        values = [choice.value for choice in self.choices]
        self.current(values.index(value) if value in values else 0)

    def _step(self, by: int) -> str:
        self.current(min(max(self.current() + by, 0), len(self.choices) - 1))
        return "break"

    def _open_list(self) -> str:
        self.tk.call("ttk::combobox::Post", self)
        return "break"


class CaseListView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: CaseListPresenter,
                 go_home: Callable[[], None], open_case: Callable[[str], None]) -> None:
        super().__init__(master, padding=16)
        self._presenter = presenter
        self._build_top(go_home)
        self._build_filters()
        self.table = tb.Treeview(self, columns=columns(), show="headings", height=8)
        self._size_columns()
        for sequence in ("<Double-1>", "<Return>"):
            self.table.bind(sequence, lambda _event: self._open(open_case))
        self._build_paging()  # packed before the table, so a small window shrinks the table
        self.table.pack(fill="both", expand=True, pady=10)
        self._restore()
        self._show(presenter.load())
        self.search.focus_set()

    def _restore(self) -> None:
        """Show the filter and search the presenter holds (coming back from a case)."""
        chosen = self._presenter.chosen
        self.search.insert(0, self._presenter.search_text)
        for box, value in ((self.state_box, chosen.states[0] if chosen.states else None),
                           (self.matter_box, chosen.matter_code),
                           (self.agent_box, chosen.agent_login)):
            box.choose(None if value is None else str(value))
        for entry, value in ((self.created_from, chosen.created_from),
                             (self.created_to, chosen.created_to)):
            entry.insert(0, value.isoformat() if value else "")

    def _build_top(self, go_home: Callable[[], None]) -> None:
        """The way home and the title; below them the search box, as wide as the window."""
        top = tb.Frame(self)
        top.pack(fill="x")
        tb.Button(top, text=_("← Home"), bootstyle="link", command=go_home).pack(side="left")
        tb.Label(top, text=self._presenter.title, font=("", 16, "bold")).pack(side="left", padx=12)
        line = tb.Frame(self)
        line.pack(fill="x", pady=(8, 0))
        tb.Label(line, text=_("Search name, ID number, phone or case number")).pack(
            side="left", padx=(0, 6))
        self.search = tb.Entry(line)
        self.search.pack(side="left", fill="x", expand=True)
        self.search.bind("<Return>", lambda _event: self._search())

    def _size_columns(self) -> None:
        """Widths in the table's font (so they grow in large-font mode); the matter's takes
        what is left."""
        digit = tkfont.nametofont("TkDefaultFont").measure("0")
        for name, chars in zip(columns(), _COLUMN_CHARS, strict=True):
            self.table.heading(name, text=name)
            self.table.column(name, width=chars * digit, minwidth=4 * digit, anchor="w",
                              stretch=name == columns()[1])

    def _build_filters(self) -> None:
        """Two rows: the three lists (the matter's stretches), then the dates and buttons;
        under them the message for a date that cannot be read."""
        presenter = self._presenter
        lists = tb.Frame(self)
        lists.pack(fill="x", pady=(8, 0))
        lists.columnconfigure(3, weight=1)
        self.state_box = self._labelled(lists, 0, _("State"), presenter.state_choices(), 16)
        self.matter_box = self._labelled(lists, 2, _("Matter"), presenter.matter_choices(), 30)
        self.agent_box = self._labelled(lists, 4, _("Agent"), presenter.agent_choices(), 16)
        self._build_dates()
        for widget in (self.state_box, self.matter_box, self.agent_box, self.created_from,
                       self.created_to, self.apply_button):
            widget.bind("<Return>", lambda _event: self._apply())
        self.clear_button.bind("<Return>", lambda _event: self._clear())
        self.message = tb.Label(self, text="", bootstyle="danger", justify="left")
        self.message.pack(fill="x")
        self.message.bind("<Configure>", lambda event: self.message.configure(
            wraplength=max(event.width, 200)))

    def _build_dates(self) -> None:
        dates = tb.Frame(self)
        dates.pack(fill="x", pady=(8, 0))
        tb.Label(dates, text=_("Received from (YYYY-MM-DD)")).pack(side="left", padx=(0, 6))
        self.created_from = tb.Entry(dates, width=12)
        self.created_from.pack(side="left")
        tb.Label(dates, text=_("to (YYYY-MM-DD)")).pack(side="left", padx=6)
        self.created_to = tb.Entry(dates, width=12)
        self.created_to.pack(side="left")
        self._dates = {"created_from": self.created_from, "created_to": self.created_to}
        self.apply_button = tb.Button(dates, text=_("Apply"), bootstyle="primary",
                                      command=self._apply)
        self.apply_button.pack(side="left", padx=(16, 6))
        self.clear_button = tb.Button(dates, text=_("Clear"), bootstyle="secondary",
                                      command=self._clear)
        self.clear_button.pack(side="left")

    @staticmethod
    def _labelled(master: tk.Misc, column: int, label: str, choices: list[Choice],
                  width: int) -> _ChoiceBox:
        tb.Label(master, text=label).grid(row=0, column=column, sticky="w",
                                          padx=(0 if column == 0 else 16, 6))
        box = _ChoiceBox(master, choices, width)
        box.grid(row=0, column=column + 1, sticky="ew")
        return box

    def _build_paging(self) -> None:
        bottom = tb.Frame(self)
        bottom.pack(side="bottom", fill="x")
        tb.Button(bottom, text=_("Previous"),
                  command=lambda: self._show(self._presenter.previous_page())).pack(side="left")
        tb.Button(bottom, text=_("Next"), command=lambda: self._show(self._presenter.next_page())
                  ).pack(side="left", padx=8)
        self.status = tb.Label(bottom, text="")
        self.status.pack(side="right")

    def _search(self) -> None:
        self._show(self._presenter.search(self.search.get()))

    def _apply(self) -> None:
        """Apply the filter bar; a date that cannot be read is named and focused."""
        state = self.state_box.value
        try:
            rows = self._presenter.apply(
                states=(state,) if state else (), matter_code=self.matter_box.value,
                agent_login=self.agent_box.value, created_from=self.created_from.get(),
                created_to=self.created_to.get())
        except CaseFilterError as error:
            self.message.configure(text=str(error))
            self._dates[error.field].focus_set()
            return
        self._show(rows)

    def _clear(self) -> None:
        for box in (self.state_box, self.matter_box, self.agent_box):
            box.current(0)
        for entry in (self.created_from, self.created_to, self.search):
            entry.delete(0, "end")
        self._show(self._presenter.clear())

    def _open(self, open_case: Callable[[str], None]) -> None:
        selected = self.table.focus() or next(iter(self.table.selection()), "")
        if selected:
            open_case(selected)

    def _show(self, rows: list[Row]) -> None:
        self.message.configure(text="")
        self.table.delete(*self.table.get_children())
        for row in rows:
            self.table.insert("", "end", iid=row.uuid, values=row.cells)
        if rows:  # Tab into the table, then Enter opens the first case
            self.table.focus(rows[0].uuid)
            self.table.selection_set(rows[0].uuid)
        self.status.configure(text=self._presenter.status())
