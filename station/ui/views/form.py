"""A matter's form rendered from its definition: one widget per field, groups as row frames.

The view only reads widgets and calls the :class:`FormPresenter`; everything it shows comes
from the returned :class:`FormState`. A field is committed when it loses focus or on Enter
(which also moves on to the next field), a choice as soon as it is picked.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any

import ttkbootstrap as tb

from forms.model import ADDRESS_PARTS, Field
from station.i18n import _
from station.ui.presenters.form import FieldState, FormPresenter, FormState

_BASE_FONT = 11
_LABEL_WIDTH = 230
_WRAP = 560
_STRETCH = ("text", "long_text", "address")
_WARNING_TYPES = ("credit_code",)
_ENTRY_WIDTHS = {
    "name": 16, "phone": 18, "id_number": 24, "credit_code": 24, "integer": 10,
    "decimal": 14, "money": 16, "date": 14, "choice": 24,
}
_READ_ONLY_BACKGROUND = "#e9ecef"
_BORDER = "#ced4da"
_WARNING_TEXT = "#8a5a00"
_FOCUS_BORDER = "#0a58ca"


class _Look:
    """Fonts and sizes for a scale (1.0 normal, 1.5 for the large-font mode)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.size = round(_BASE_FONT * scale)
        self.font = ("", self.size)
        self.small = ("", max(self.size - 1, 8))
        self.bold = ("", self.size, "bold")
        self.heading = ("", round(self.size * 1.2), "bold")
        self.label_width = round(_LABEL_WIDTH * scale)
        self.wrap = round(_WRAP * scale)
        self._style = tb.Style()
        self.read_only = "FormReadOnly.TEntry"
        self._style.configure(self.read_only, fieldbackground=_READ_ONLY_BACKGROUND)
        self._style.map(self.read_only, fieldbackground=[("readonly", _READ_ONLY_BACKGROUND)])

    def styled(self, widget: tk.Widget, base: str | None = None) -> tk.Widget:
        """Give a ttk ``widget`` (or its style ``base``) this look's font; returns it."""
        base = base or str(widget.cget("style")) or widget.winfo_class()
        name = f"Form{self.size}.{base}"
        self._style.configure(name, font=self.font)
        if base.endswith("TLabelframe"):
            self._style.configure(f"{name}.Label", font=self.font)
        widget.configure(style=name)
        return widget


class _Input:
    """The widgets of one field, built into the row's ``line``; ``focusables`` in tab order."""

    focusables: list[tk.Widget]

    def read(self) -> Any:
        raise NotImplementedError

    def show(self, state: FieldState) -> None:
        """Show the value of ``state`` (replacing what the agent typed)."""

    def mark(self, invalid: bool) -> None:
        for widget in self.focusables:
            if isinstance(widget, (tb.Entry, tb.Combobox)):
                widget.state(["invalid" if invalid else "!invalid"])


def _set_entry(entry: tb.Entry, text: str) -> None:
    readonly = str(entry.cget("state")) == "readonly"
    if readonly:
        entry.configure(state="normal")
    if entry.get() != text:
        entry.delete(0, "end")
        entry.insert(0, text)
    if readonly:
        entry.configure(state="readonly")


class _EntryInput(_Input):
    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        money = field.type == "money"
        self.entry = tb.Entry(line, font=look.font, width=_ENTRY_WIDTHS.get(field.type, 40),
                              justify="right" if money else "left")
        self.entry.grid(row=0, column=0, sticky="ew" if field.type in _STRETCH else "w")
        if money:
            tb.Label(line, text=_("yuan"), font=look.font).grid(row=0, column=1, padx=(4, 0))
        self.focusables = [self.entry]
        if field.calculate is not None:
            self.entry.configure(state="readonly", takefocus=0, style=look.read_only)
            self.focusables = []

    def read(self) -> str:
        return self.entry.get()

    def show(self, state: FieldState) -> None:
        _set_entry(self.entry, state.text)


class _TextInput(_Input):
    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        self.text = tk.Text(line, height=3, width=40, font=look.font, wrap="char", undo=True,
                            relief="flat", borderwidth=0, highlightthickness=1, padx=6, pady=4,
                            highlightbackground=_BORDER, highlightcolor=_FOCUS_BORDER)
        self.text.grid(row=0, column=0, sticky="ew")
        self.focusables = [self.text]

    def read(self) -> str:
        return self.text.get("1.0", "end-1c")

    def show(self, state: FieldState) -> None:
        if self.read() != state.text:
            self.text.delete("1.0", "end")
            self.text.insert("1.0", state.text)


class _DateInput(_EntryInput):
    """An entry for YYYY-MM-DD or YYYY年M月D日, with the calendar button beside it."""

    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        self.picker = tb.DateEntry(line, date_format="%Y-%m-%d", value=None, first_weekday=0,
                                   width=_ENTRY_WIDTHS["date"])
        self.entry = self.picker.entry
        self.entry.configure(font=look.font)
        self.picker.button.configure(takefocus=0)
        self.picker.grid(row=0, column=0, sticky="w")
        self.focusables = [self.entry]


class _ChoiceInput(_Input):
    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        labels = [""] + [choice.label for choice in field.choices]
        width = max(_ENTRY_WIDTHS["choice"], *(len(label) * 2 + 4 for label in labels))
        self.box = tb.Combobox(line, values=labels, state="readonly", font=look.font,
                               width=min(width, 60))
        self.box.grid(row=0, column=0, sticky="w")
        self.focusables = [self.box]

    def read(self) -> str:
        return self.box.get()

    def show(self, state: FieldState) -> None:
        self.box.set(state.text)


class _MultiInput(_Input):
    _PER_LINE = 4

    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        box = tb.Frame(line)
        box.grid(row=0, column=0, sticky="w")
        self.vars: dict[str, tk.BooleanVar] = {}
        self.focusables = []
        for position, choice in enumerate(field.choices):
            var = tk.BooleanVar(box, value=False)
            button = look.styled(tb.Checkbutton(box, text=choice.label, variable=var))
            button.grid(row=position // self._PER_LINE, column=position % self._PER_LINE,
                        sticky="w", padx=(0, 18), pady=3)
            self.vars[choice.value] = var
            self.focusables.append(button)

    def read(self) -> list[str]:
        return [value for value, var in self.vars.items() if var.get()]

    def show(self, state: FieldState) -> None:
        chosen = set(state.value) if isinstance(state.value, list) else set()
        for value, var in self.vars.items():
            var.set(value in chosen)


class _YesNoInput(_Input):
    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        box = tb.Frame(line)
        box.grid(row=0, column=0, sticky="w")
        self.var = tk.StringVar(box, value="")
        self.focusables = []
        for column, (value, text) in enumerate((("yes", _("Yes")), ("no", _("No")))):
            button = look.styled(tb.Radiobutton(box, text=text, value=value, variable=self.var))
            button.grid(row=0, column=column, sticky="w", padx=(0, 28), pady=3)
            self.focusables.append(button)

    def read(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.var.get())

    def show(self, state: FieldState) -> None:
        self.var.set({True: "yes", False: "no"}.get(state.value, ""))


class _AddressInput(_Input):
    def __init__(self, line: tb.Frame, field: Field, look: _Look) -> None:
        box = tb.Frame(line)
        box.grid(row=0, column=0, sticky="ew")
        self.entries: dict[str, tb.Entry] = {}
        per_line = 5 if look.scale < 1.2 else 3
        units = (_("province"), _("city"), _("county"), _("township"), _("village"))
        for position, (part, unit) in enumerate(zip(ADDRESS_PARTS, units)):
            row, column = divmod(position, per_line)
            entry = tb.Entry(box, font=look.font, width=8)
            pady = (0 if row == 0 else 6, 0)
            entry.grid(row=row, column=column * 2, sticky="ew", pady=pady)
            tb.Label(box, text=unit, font=look.font).grid(row=row, column=column * 2 + 1,
                                                          sticky="w", padx=(3, 10), pady=pady)
            box.columnconfigure(column * 2, weight=1)
            self.entries[part] = entry
        detail = tb.Frame(line)
        detail.grid(row=1, column=0, sticky="ew", pady=(6, 0))
        tb.Label(detail, text=_("Street and number"), font=look.font).pack(side="left")
        self.entries["detail"] = tb.Entry(detail, font=look.font)
        self.entries["detail"].pack(side="left", fill="x", expand=True, padx=(8, 0))
        self.focusables = [self.entries[part] for part in ADDRESS_PARTS]

    def read(self) -> dict[str, str]:
        return {part: entry.get() for part, entry in self.entries.items()}

    def show(self, state: FieldState) -> None:
        value = state.value if isinstance(state.value, dict) else {}
        for part, entry in self.entries.items():
            _set_entry(entry, value.get(part, ""))


_INPUTS: dict[str, type[_Input]] = {
    "long_text": _TextInput, "date": _DateInput, "choice": _ChoiceInput,
    "multi_choice": _MultiInput, "yes_no": _YesNoInput, "address": _AddressInput,
}


class _FieldRow:
    """Label with the red star in column 0; in column 1 the input line (input, unit, derived
    information), then the hint, the warning with its override reason, the error."""

    def __init__(self, grid: tk.Misc, row: int, field: Field, look: _Look) -> None:
        self.head = tb.Frame(grid)
        self.head.grid(row=row, column=0, sticky="new", padx=(0, 12), pady=(10, 0))
        self.star = tb.Label(self.head, text="*", font=look.bold, bootstyle="danger", width=1)
        self.star.pack(side="left", anchor="n")
        tb.Label(self.head, text=field.label, font=look.font, wraplength=look.label_width,
                 justify="left").pack(side="left", anchor="n")
        self.cell = tb.Frame(grid)
        self.cell.grid(row=row, column=1, sticky="new", pady=(6, 0))
        self.cell.columnconfigure(0, weight=1)
        line = tb.Frame(self.cell)
        line.grid(row=0, column=0, sticky="ew")
        line.columnconfigure(0, weight=1 if field.type in _STRETCH else 0)
        kind = _EntryInput if field.calculate is not None else _INPUTS.get(field.type, _EntryInput)
        self.input = kind(line, field, look)
        self.info = tb.Label(line, text="", font=look.small)
        if field.hint:
            tb.Label(self.cell, text=field.hint, font=look.small, bootstyle="secondary",
                     wraplength=look.wrap, justify="left").grid(row=1, column=0, sticky="w")
        self.warning = _Warning(self.cell, look) if field.type in _WARNING_TYPES else None
        self.error = tb.Label(self.cell, text="", font=look.small, bootstyle="danger",
                              wraplength=look.wrap, justify="left")
        self.shown: FieldState | None = None

    def show(self, state: FieldState, fresh: bool) -> None:
        if state == self.shown and not fresh:
            return
        self.shown = state
        _toggle((self.head, self.cell), state.visible)
        self.star.configure(text="*" if state.required else "")
        if fresh or state.read_only:
            self.input.show(state)
        self.input.mark(bool(state.error))
        if state.read_only:
            self.info.configure(text=_("calculated"), bootstyle="secondary")
        else:
            self.info.configure(text=state.info, bootstyle="success")
        _toggle((self.info,), bool(self.info.cget("text")), row=0, column=2, sticky="w",
                padx=(12, 0))
        if self.warning is not None:
            self.warning.show(state, fresh)
        self.error.configure(text=state.error)
        _toggle((self.error,), bool(state.error), row=3, column=0, sticky="w")


class _Warning:
    """An overridable warning and the entry for the reason to accept it."""

    def __init__(self, cell: tb.Frame, look: _Look) -> None:
        self.box = tb.Frame(cell)
        self.message = tb.Label(self.box, text="", font=look.small, foreground=_WARNING_TEXT,
                                wraplength=look.wrap, justify="left")
        self.message.grid(row=0, column=0, columnspan=2, sticky="w")
        tb.Label(self.box, text=_("Reason to accept:"), font=look.small).grid(
            row=1, column=0, sticky="w")
        self.reason = tb.Entry(self.box, font=look.font, width=40)
        self.reason.grid(row=1, column=1, sticky="ew", padx=(6, 0), pady=(2, 0))
        self.box.columnconfigure(1, weight=1)

    def show(self, state: FieldState, fresh: bool) -> None:
        self.message.configure(text=state.warning)
        if fresh:
            _set_entry(self.reason, state.override_reason)
        _toggle((self.box,), bool(state.warning), row=2, column=0, sticky="ew", pady=(4, 0))


def _toggle(widgets: tuple[tk.Widget, ...], shown: bool, **place: Any) -> None:
    """Grid ``widgets`` (at ``place`` if given, else where they were) or remove them,
    keeping their place in the grid."""
    for widget in widgets:
        if shown:
            widget.grid(**place)
        else:
            widget.grid_remove()


class _GroupSection:
    """A repeat group: its title, one frame per row, and the button to add a row."""

    def __init__(self, view: FormView, grid: tb.Frame, row: int, field: Field, path: str) -> None:
        look = view.look
        self.view, self.field, self.path = view, field, path
        self.head = tb.Frame(grid)
        self.head.grid(row=row, column=0, columnspan=2, sticky="ew", pady=(16, 4))
        self.star = tb.Label(self.head, text="*", font=look.heading, bootstyle="danger", width=1)
        self.star.pack(side="left")
        tb.Label(self.head, text=field.label, font=look.heading).pack(side="left")
        self.error = tb.Label(self.head, text="", font=look.small, bootstyle="danger")
        self.error.pack(side="left", padx=12)
        self.rows_frame = tb.Frame(grid)
        self.rows_frame.grid(row=row + 1, column=0, columnspan=2, sticky="ew")
        self.rows_frame.columnconfigure(0, weight=1)
        self.add = look.styled(tb.Button(grid, text=_("Add a row"), bootstyle="primary-outline",
                                         command=self._add))
        self.add.grid(row=row + 2, column=0, columnspan=2, sticky="w", pady=(6, 8))
        self.remove_buttons: list[tb.Button] = []
        self.rows = -1

    def show(self, state: FormState) -> None:
        group = state[self.path]
        _toggle((self.head, self.rows_frame, self.add), group.visible)
        self.star.configure(text="*" if group.required else "")
        self.error.configure(text=group.error)
        self.add.configure(state="normal" if group.can_add else "disabled")
        if group.rows != self.rows:
            self._rebuild(group.rows)
        for button in self.remove_buttons:
            button.configure(state="normal" if group.can_remove else "disabled")

    def _rebuild(self, count: int) -> None:
        self.view._forget(self.path + "[")
        for child in self.rows_frame.winfo_children():
            child.destroy()
        self.remove_buttons = []
        look = self.view.look
        for index in range(count):
            frame = tb.Labelframe(self.rows_frame, padding=(12, 4, 12, 10),
                                  text=_("Row {number}").format(number=index + 1))
            look.styled(frame, "TLabelframe")
            frame.grid(row=index, column=0, sticky="ew", pady=(0, 8))
            end = self.view._build(frame, self.field.fields, f"{self.path}[{index}].")
            button = look.styled(tb.Button(frame, text=_("Delete this row"),
                                           bootstyle="danger-link",
                                           command=lambda i=index: self._remove(i)))
            button.grid(row=end, column=1, sticky="e", pady=(6, 0))
            self.remove_buttons.append(button)
        self.rows = count

    def _add(self) -> None:
        self.view.commit()
        self.view._apply(self.view.presenter.add_row(self.path))
        first = f"{self.path}[{self.rows - 1}].{self.field.fields[0].id}"
        self.view.focus_path(first)

    def _remove(self, index: int) -> None:
        self.view.commit()
        self.view._apply(self.view.presenter.remove_row(self.path, index))
        self.add.focus_set()


class FormView(tb.Frame):
    """The whole form in a scrollable frame.

    ``scale`` enlarges fonts and label widths (large-font mode). ``on_state`` is called
    with every new :class:`FormState` (after each change), e.g. to enable a Next button.
    """

    def __init__(
        self,
        master: tk.Misc,
        presenter: FormPresenter,
        *,
        scale: float = 1.0,
        on_state: Callable[[FormState], None] | None = None,
    ) -> None:
        super().__init__(master)
        self.presenter = presenter
        self.look = _Look(scale)
        self._on_state = on_state
        self.rows: dict[str, _FieldRow] = {}
        self.groups: dict[str, _GroupSection] = {}
        self._new: set[str] = set()
        self.scroller = tb.ScrolledFrame(self, padding=(24, 12, 24, 24), auto_hide=False)
        self.scroller.pack(fill="both", expand=True)
        self._build(self.scroller, presenter.matter.fields, "")
        self.form_state = presenter.state()
        self._render(self.form_state, fresh=None)

    def commit(self) -> FormState:
        """Store whatever is in every widget (call before leaving the form)."""
        for path in list(self.rows):
            self._commit(path, touch=False)
        return self.form_state

    def focus_path(self, path: str) -> None:
        """Put the keyboard focus on the field at ``path`` (for a group: its button to add
        a row) and scroll it into view."""
        row, group = self.rows.get(path), self.groups.get(path)
        target = group.add if group else None
        if row is not None and row.input.focusables:
            target = row.input.focusables[0]
        if target is not None:
            self.update_idletasks()
            target.focus_set()
            self._reveal(target)

    def show_problems(self) -> bool:
        """Commit, show every problem (missing answers too) and focus the first one;
        return True when there is none."""
        self.commit()
        self._apply(self.presenter.reveal_problems())
        problem = self.form_state.first_problem
        if problem is not None:
            self.focus_path(problem)
        return problem is None

    def _build(self, grid: tk.Misc, fields: tuple[Field, ...], prefix: str) -> int:
        """Build the widgets of ``fields`` in ``grid``; return the next free grid row."""
        grid.columnconfigure(0, minsize=self.look.label_width + 30)
        grid.columnconfigure(1, weight=1)
        row = 0
        for field in fields:
            path = prefix + field.id
            if field.type == "group":
                self.groups[path] = _GroupSection(self, grid, row, field, path)
                row += 3
                continue
            self.rows[path] = _FieldRow(grid, row, field, self.look)
            self._new.add(path)
            self._bind(path, self.rows[path].input)
            if self.rows[path].warning is not None:
                self._bind_reason(path, self.rows[path].warning.reason)
            row += 1
        return row

    def _bind(self, path: str, widgets: _Input) -> None:
        for widget in widgets.focusables:
            widget.bind("<FocusIn>", lambda _event, w=widget: self._reveal(w), add="+")
            if isinstance(widget, tk.Text):
                widget.bind("<Tab>", lambda _event: self._enter(path))
            else:
                widget.bind("<Return>", lambda _event: self._enter(path), add="+")
            if isinstance(widget, (tb.Checkbutton, tb.Radiobutton)):
                widget.configure(command=lambda: self._commit(path))
            elif isinstance(widget, tb.Combobox):
                widget.bind("<<ComboboxSelected>>", lambda _event: self._commit(path), add="+")
            else:
                widget.bind("<FocusOut>", lambda _event: self._commit(path), add="+")
        if isinstance(widgets, _DateInput):
            widgets.picker.bind("<<DateEntrySelected>>", lambda _event: self._commit(path),
                                add="+")

    def _bind_reason(self, path: str, entry: tb.Entry) -> None:
        def commit(_event: tk.Event | None = None) -> None:
            self._apply(self.presenter.override(path, entry.get()), {path})

        entry.bind("<FocusOut>", commit, add="+")
        entry.bind("<Return>", lambda event: (commit(event), self._advance(entry)), add="+")

    def _commit(self, path: str, touch: bool = True) -> None:
        row = self.rows.get(path)
        if row is None or not row.input.focusables or not row.cell.winfo_exists():
            return
        state = self.presenter.set(path, row.input.read(), touch=touch)
        if state is not self.form_state:
            self._apply(state, {path})

    def _enter(self, path: str) -> str:
        self._commit(path)
        row = self.rows.get(path)
        if row is not None:
            self._advance(row.input.focusables[-1])
        return "break"

    def _advance(self, widget: tk.Widget) -> None:
        self.update_idletasks()
        following = widget.tk_focusNext()
        if following is not None:
            following.focus_set()

    def _apply(self, state: FormState, fresh: set[str] | None = None) -> None:
        """Show ``state``; ``fresh`` names the fields whose typed text may be replaced
        (None: all of them)."""
        self.form_state = state
        self._render(state, fresh)
        if self._on_state is not None:
            self._on_state(state)

    def _render(self, state: FormState, fresh: set[str] | None) -> None:
        shown: set[str] = set()
        while pending := [path for path in self.groups if path not in shown]:
            for path in pending:
                shown.add(path)
                if path in self.groups:
                    self.groups[path].show(state)
        for path, row in self.rows.items():
            if path in state.fields:
                row.show(state[path], fresh is None or path in fresh or path in self._new)
        self._new.clear()

    def _forget(self, prefix: str) -> None:
        """Drop the bookkeeping of widgets under ``prefix`` (their rows are rebuilt)."""
        for table in (self.rows, self.groups):
            for path in [path for path in table if path.startswith(prefix)]:
                del table[path]

    def _reveal(self, widget: tk.Widget) -> None:
        """Scroll so that ``widget`` is in view."""
        content = self.scroller
        total = content.winfo_height()
        if total <= 1:
            return
        top = widget.winfo_rooty() - content.winfo_rooty()
        bottom = top + widget.winfo_height()
        first, last = content.yview()
        view_top, view_bottom = first * total, last * total
        margin = 40 * self.look.scale
        if top - margin < view_top:
            content.yview_moveto(max(top - margin, 0) / total)
        elif bottom + margin > view_bottom:
            content.yview_moveto((bottom + margin - (view_bottom - view_top)) / total)
