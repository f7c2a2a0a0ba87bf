"""The state of a matter's form on screen: answers, conversion, evaluation, rows, overrides.

The presenter turns what a widget gives (text, a bool, a list of choices, an address
mapping) into the stored answer form of docs/forms.md, runs :func:`forms.evaluate` once per
change and returns a :class:`FormState` with everything a view shows for every field
instance. Text that is not a valid value of its field is stored as typed (so a draft never
loses typing) and comes back as the field's error. Paths name group rows by position:
``members[0].member_name``.
"""

from __future__ import annotations

import copy
import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import forms
from forms.errors import ValidationError
from forms.model import ADDRESS_PARTS, Field, Matter
from forms.validators import check_id_number
from forms.values import is_unanswered, read_value, to_stored
from station.errors import StationError
from station.i18n import _

OnChange = Callable[[dict[str, Any], dict[str, str]], None]
_SEGMENT = re.compile(r"([a-z][a-z0-9_]*)(?:\[([0-9]+)\])?")
_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


class FormPathError(LookupError):
    """A path that names no field instance of the form, or one that cannot be set."""


class RowLimitError(StationError):
    """Adding or removing a row would break the group's ``min_items``/``max_items``."""


@dataclass(frozen=True)
class FieldState:
    """What the view shows for one field instance.

    ``value`` is the stored answer, or the default or calculated value when the field is
    unanswered; ``text`` is the same as display text. ``warning`` is set for an overridable
    issue whether or not it has been overridden; ``override_reason`` holds the reason.
    ``error`` is the message to show now: a missing required answer is only reported once
    the field was committed or after :meth:`FormPresenter.reveal_problems`; ``problem`` is
    true whenever the field keeps the form from being complete. ``info`` is derived
    information (birth date, sex and age of an ID number). ``rows``, ``can_add`` and
    ``can_remove`` describe groups.
    """

    path: str
    field: Field
    visible: bool
    required: bool
    read_only: bool
    value: Any
    text: str
    error: str = ""
    problem: bool = False
    warning: str = ""
    override_reason: str = ""
    info: str = ""
    rows: int = 0
    can_add: bool = False
    can_remove: bool = False


@dataclass(frozen=True)
class FormState:
    """Every field instance in definition order (group rows expanded), and the verdict."""

    fields: Mapping[str, FieldState]
    ok: bool
    evaluation: forms.Evaluation

    def __getitem__(self, path: str) -> FieldState:
        return self.fields[path]

    @property
    def first_problem(self) -> str | None:
        """The path of the first visible field with an error or an unaccepted warning."""
        return next((path for path, state in self.fields.items() if state.problem), None)


@dataclass(frozen=True)
class IdDetails:
    """What a valid citizen ID number tells about its holder."""

    birth_date: datetime.date
    sex: str
    age: int

    def describe(self) -> str:
        sex = _("male") if self.sex == "M" else _("female")
        return _("Born {date} · {sex} · {age} years old").format(
            date=self.birth_date.isoformat(), sex=sex, age=self.age
        )


def id_details(text: str, today: datetime.date) -> IdDetails | None:
    """Birth date, sex and age from an ID number; None when it is blank or not valid."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        info = check_id_number(text, today=today)
    except ValidationError:
        return None
    return IdDetails(info.birth_date, info.sex, info.age(today))


class FormPresenter:
    """Holds the answers of one form; every command returns the new :class:`FormState`.

    Groups start with ``min_items`` empty rows. ``on_change(answers, overrides)`` gets
    copies after every change that altered something, for autosaving.
    """

    def __init__(
        self,
        matter: Matter,
        answers: Mapping[str, Any],
        overrides: Mapping[str, str],
        *,
        today: datetime.date,
        on_change: OnChange | None = None,
    ) -> None:
        self.matter = matter
        self.today = today
        self._answers: dict[str, Any] = copy.deepcopy(dict(answers))
        self._overrides = {path: reason for path, reason in overrides.items() if reason}
        self._on_change = on_change
        self._touched: set[str] = set()
        self._reveal = False
        _pad_rows(matter.fields, self._answers)
        self._evaluation = self._run()
        self._state = self._build()

    @property
    def answers(self) -> dict[str, Any]:
        """A copy of the stored answers (hidden fields' answers included)."""
        return copy.deepcopy(self._answers)

    @property
    def overrides(self) -> dict[str, str]:
        """A copy of the warning overrides: path -> reason."""
        return dict(self._overrides)

    def state(self) -> FormState:
        """The state after the last change."""
        return self._state

    def set(self, path: str, raw: Any, *, touch: bool = True) -> FormState:
        """Store what a widget gives for the field at ``path``.

        The field counts as visited (its missing answer is reported) unless ``touch`` is
        false, as when saving whatever the widgets hold. Raises FormPathError for a path
        that names no answerable field instance (unknown, calculated, or a group: use
        add_row/remove_row).
        """
        field, row = self._locate(path)
        if field.calculate is not None or field.type == "group":
            raise FormPathError(f"{path} is not answered directly")
        answer, old = to_answer(field, raw, self.today), row.get(field.id)
        if type(answer) is type(old) and answer == old:
            if touch and path not in self._touched:
                self._touched.add(path)
                self._state = self._build()
            return self._state
        if touch:
            self._touched.add(path)
        if answer is None:
            row.pop(field.id, None)
        else:
            row[field.id] = answer
        self._overrides.pop(path, None)
        return self._changed()

    def override(self, path: str, reason: str) -> FormState:
        """Accept the warning at ``path`` for ``reason``; a blank reason withdraws it."""
        reason = reason.strip() if isinstance(reason, str) else ""
        if reason == self._overrides.get(path, ""):
            return self._state
        if reason:
            self._overrides[path] = reason
        else:
            self._overrides.pop(path, None)
        return self._changed()

    def add_row(self, group_path: str) -> FormState:
        """Append an empty row to the group; raises RowLimitError at ``max_items``."""
        field, row = self._group(group_path)
        rows = row.get(field.id) if isinstance(row.get(field.id), list) else []
        if field.max_items is not None and len(rows) >= field.max_items:
            raise RowLimitError(
                _("This table holds at most {count} row(s).").format(count=field.max_items)
            )
        new_row: dict[str, Any] = {}
        _pad_rows(field.fields, new_row)
        row[field.id] = [*rows, new_row]
        return self._changed()

    def remove_row(self, group_path: str, index: int) -> FormState:
        """Delete row ``index``; raises RowLimitError below ``min_items``, FormPathError
        for a row that does not exist."""
        field, row = self._group(group_path)
        rows = row.get(field.id) if isinstance(row.get(field.id), list) else []
        if not 0 <= index < len(rows):
            raise FormPathError(f"{group_path} has no row {index}")
        if len(rows) <= (field.min_items or 0):
            raise RowLimitError(
                _("This table needs at least {count} row(s).").format(count=field.min_items)
            )
        del rows[index]
        self._overrides = _shift_rows(self._overrides, group_path, index)
        self._touched = set(_shift_rows(dict.fromkeys(self._touched, ""), group_path, index))
        return self._changed()

    def reveal_problems(self) -> FormState:
        """Report every problem from now on, missing answers of untouched fields included
        (for when the agent tries to move on)."""
        self._reveal = True
        self._state = self._build()
        return self._state

    def _changed(self) -> FormState:
        self._evaluation = self._run()
        self._state = self._build()
        if self._on_change is not None:
            self._on_change(self.answers, self.overrides)
        return self._state

    def _run(self) -> forms.Evaluation:
        return forms.evaluate(self.matter, self._answers, overrides=self._overrides,
                              today=self.today)

    def _build(self) -> FormState:
        shown = None if self._reveal else self._touched
        return _Builder(self, self._evaluation, shown).build(self._answers)

    def _group(self, group_path: str) -> tuple[Field, dict[str, Any]]:
        field, row = self._locate(group_path)
        if field.type != "group":
            raise FormPathError(f"{group_path} is not a group")
        return field, row

    def _locate(self, path: str) -> tuple[Field, dict[str, Any]]:
        """The field at ``path`` and the answer row holding its answer."""
        segments = [_SEGMENT.fullmatch(part) for part in path.split(".")]
        if not all(segments):
            raise FormPathError(f"{path} is not a field path")
        ids = [match.group(1) for match in segments if match]
        field = self.matter.field_index.get(ids[-1])
        if field is None or field.groups != tuple(ids[:-1]) or segments[-1].group(2):
            raise FormPathError(f"{path} names no field of {self.matter.code}")
        row = self._answers
        for match in segments[:-1]:
            rows = row.get(match.group(1))
            index = int(match.group(2) or -1)
            if not isinstance(rows, list) or not 0 <= index < len(rows):
                raise FormPathError(f"{path} names a row that does not exist")
            row = rows[index]
        return field, row


class _Builder:
    """Turns one evaluation into the FormState of every field instance."""

    def __init__(
        self, presenter: FormPresenter, evaluation: forms.Evaluation, shown: set[str] | None
    ) -> None:
        self.matter = presenter.matter
        self.today = presenter.today
        self.overrides = presenter.overrides
        self.evaluation = evaluation
        self.shown = shown
        self.pending = {issue.path for issue in evaluation.warnings}
        self.errors = _first_messages(evaluation.errors)
        self.error_codes = {issue.path: issue.code for issue in reversed(evaluation.errors)}
        self.warnings = _first_messages((*evaluation.warnings, *evaluation.overridden))

    def build(self, answers: Mapping[str, Any]) -> FormState:
        states = self._states(self.matter.fields, answers, self.evaluation.values, "")
        return FormState({state.path: state for state in states}, self.evaluation.ok,
                         self.evaluation)

    def _states(
        self, fields: tuple[Field, ...], answers: Mapping, values: Mapping, prefix: str
    ) -> Iterator[FieldState]:
        for field in fields:
            path = prefix + field.id
            yield self._state(field, path, answers, values)
            if field.type == "group":
                value_rows = _rows(values.get(field.id))
                for index, row in enumerate(_rows(answers.get(field.id))):
                    values_row = value_rows[index] if index < len(value_rows) else {}
                    yield from self._states(field.fields, row, values_row, f"{path}[{index}].")

    def _state(self, field: Field, path: str, answers: Mapping, values: Mapping) -> FieldState:
        answer = answers.get(field.id)
        value = values.get(field.id) if field.calculate or is_unanswered(answer) else answer
        visible = path in self.evaluation.visible
        rows = len(_rows(answer)) if field.type == "group" else 0
        return FieldState(
            path=path,
            field=field,
            visible=visible,
            required=path in self.evaluation.required,
            read_only=field.calculate is not None,
            value=value,
            text=display_text(field, value),
            error=self._error(field, path),
            problem=path in self.errors or path in self.pending,
            warning=self.warnings.get(path, ""),
            override_reason=self.overrides.get(path, ""),
            info=_id_info(field, value, self.today) if visible else "",
            rows=rows,
            can_add=field.type == "group" and (field.max_items is None or rows < field.max_items),
            can_remove=field.type == "group" and rows > (field.min_items or 0),
        )

    def _error(self, field: Field, path: str) -> str:
        code = self.error_codes.get(path)
        if code == "required" and self.shown is not None and path not in self.shown:
            return ""
        if field.type == "date" and code == "type":
            return _("Enter a date as YYYY-MM-DD or YYYY年M月D日.")
        return self.errors.get(path, "")


def _id_info(field: Field, value: Any, today: datetime.date) -> str:
    if field.type != "id_number":
        return ""
    details = id_details(value, today)
    return details.describe() if details else ""


def _first_messages(issues: tuple[forms.FieldIssue, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for issue in issues:
        found.setdefault(issue.path, issue.message)
    return found


def _rows(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [row if isinstance(row, dict) else {} for row in value]


def _pad_rows(fields: tuple[Field, ...], row: dict[str, Any]) -> None:
    """Give every group of ``row`` (and of its rows) at least ``min_items`` rows."""
    for field in fields:
        if field.type != "group" or field.calculate is not None:
            continue
        rows = row.get(field.id)
        if rows is not None and not isinstance(rows, list):
            continue
        rows = list(rows or [])
        while len(rows) < (field.min_items or 0):
            rows.append({})
        for item in rows:
            if isinstance(item, dict):
                _pad_rows(field.fields, item)
        if rows:
            row[field.id] = rows


def _shift_rows(by_path: dict[str, str], group_path: str, removed: int) -> dict[str, str]:
    """``by_path`` after row ``removed`` of the group left: its paths dropped, the paths of
    later rows moved up by one."""
    pattern = re.compile(re.escape(group_path) + r"\[([0-9]+)\](\..*)")
    shifted: dict[str, str] = {}
    for path, reason in by_path.items():
        match = pattern.fullmatch(path)
        if match is None:
            shifted[path] = reason
        elif int(match.group(1)) != removed:
            index = int(match.group(1))
            new_index = index - 1 if index > removed else index
            shifted[f"{group_path}[{new_index}]{match.group(2)}"] = reason
    return shifted


def to_answer(field: Field, raw: Any, today: datetime.date) -> Any:
    """The stored answer for what a widget gives for ``field``; None when unanswered.

    A valid value is stored normalised (``"1,234.5"`` -> ``"1234.50"``, a lower-case
    ``x`` in an ID number upper-cased); an invalid one is stored as given, for evaluation
    to report.
    """
    candidate = _CONVERTERS.get(field.type, _as_text)(field, raw)
    if is_unanswered(candidate):
        return None
    try:
        value, _warning = read_value(field, candidate, today)
    except ValidationError:
        return candidate
    return None if value is None else to_stored(field, value)


def display_text(field: Field, value: Any) -> str:
    """The text a widget shows for the stored ``value`` of ``field``."""
    if value is None:
        return ""
    if field.type == "choice":
        return field.choice_label(value) or str(value)
    if field.type == "multi_choice" and isinstance(value, list):
        return "、".join(field.choice_label(item) or str(item) for item in value)
    if field.type == "yes_no" and isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field.type == "address" and isinstance(value, dict):
        return " ".join(value[part] for part in ADDRESS_PARTS if value.get(part))
    if field.type == "group":
        return ""
    return str(value)


def _as_text(field: Field, raw: Any) -> Any:
    return raw.strip() if isinstance(raw, str) else raw


def _number(field: Field, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    return re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", raw))


def _date(field: Field, raw: Any) -> Any:
    if isinstance(raw, datetime.date):
        return (raw.date() if isinstance(raw, datetime.datetime) else raw).isoformat()
    if not isinstance(raw, str):
        return raw
    text = unicodedata.normalize("NFKC", raw).strip()
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        return text
    try:
        return datetime.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return text


def _choice_value(field: Field, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    by_label = {choice.label: choice.value for choice in field.choices}
    return text if text in field.choice_values else by_label.get(text, text)


def _choices(field: Field, raw: Any) -> Any:
    if raw is None:
        return []
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [_choice_value(field, item) for item in raw]
    return raw


def _yes_no(field: Field, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text in ("是", _("Yes")):
        return True
    if text in ("否", _("No")):
        return False
    return text


def _address(field: Field, raw: Any) -> Any:
    if not isinstance(raw, Mapping):
        return raw
    return {
        part: raw[part].strip()
        for part in ADDRESS_PARTS
        if isinstance(raw.get(part), str) and raw[part].strip()
    }


_CONVERTERS: dict[str, Callable[[Field, Any], Any]] = {
    "integer": _number,
    "decimal": _number,
    "date": _date,
    "choice": _choice_value,
    "multi_choice": _choices,
    "yes_no": _yes_no,
    "address": _address,
}
