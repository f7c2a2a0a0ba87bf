"""A case's answers laid out by its matter's form: each answered field under its label, a
group as a table, choices by their labels; answers the form does not name (or every answer,
when the matter is unknown) under their raw field ids.

The content was sealed by the station and is read defensively: a value of an unexpected
shape is shown as compact JSON, never trusted to be what its field's type says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.i18n import _
from forms.model import ADDRESS_PARTS, Field, Matter
from forms.values import is_unanswered


@dataclass(frozen=True)
class AnswerRow:
    id: str
    label: str
    value: str
    kind: str = "row"


@dataclass(frozen=True)
class AnswerTable:
    id: str
    label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: str = "table"


@dataclass(frozen=True)
class Answers:
    """``laid_out`` is False when the matter was not found (all answers are in ``other``)."""

    items: tuple[AnswerRow | AnswerTable, ...]
    other: tuple[AnswerRow, ...]
    laid_out: bool


def lay_out(matter: Matter | None, answers: Any) -> Answers:
    """The answers of ``answers`` (the content's ``case.answers``) by ``matter``'s form."""
    given: Mapping[str, Any] = answers if isinstance(answers, dict) else {}
    if matter is None:
        return Answers((), _raw_rows(given, set()), False)
    items = tuple(_item(field, given[field.id]) for field in matter.fields
                  if field.id in given and not is_unanswered(given[field.id]))
    return Answers(items, _raw_rows(given, {field.id for field in matter.fields}), True)


def overrides(matter: Matter | None, values: Any) -> tuple[AnswerRow, ...]:
    """The warnings the agent overrode, each with the reason given, by field label."""
    if not isinstance(values, dict):
        return ()
    index = matter.field_index if matter is not None else {}
    return tuple(AnswerRow(str(path), index[path].label if path in index else str(path),
                           display(None, reason)) for path, reason in sorted(values.items()))


def display(field: Field | None, value: Any) -> str:
    """One answer as text, by ``field``'s type (raw when there is no field)."""
    kind = field.type if field is not None else None
    if field is not None and kind == "choice" and isinstance(value, str):
        return field.choice_label(value) or value
    if field is not None and kind == "multi_choice" and isinstance(value, list):
        return "、".join(field.choice_label(str(v)) or str(v) for v in value)
    if kind == "address" and isinstance(value, dict):
        return "".join(str(value[part]) for part in ADDRESS_PARTS if value.get(part))
    if kind == "money" and isinstance(value, (str, int)) and not isinstance(value, bool):
        return _("{amount} yuan").format(amount=value)
    if field is not None and kind == "group" and isinstance(value, list):
        return "; ".join(" / ".join(_cells(field, row)) for row in value)
    return _raw(value)


def _item(field: Field, value: Any) -> AnswerRow | AnswerTable:
    if field.type == "group" and isinstance(value, list):
        columns = tuple(sub.label for sub in field.fields)
        rows = tuple(tuple(_cells(field, row, keep_blank=True)) for row in value)
        return AnswerTable(field.id, field.label, columns, rows)
    return AnswerRow(field.id, field.label, display(field, value))


def _cells(group: Field, row: Any, keep_blank: bool = False) -> list[str]:
    if not isinstance(row, dict):
        return [_raw(row)]
    cells = [display(sub, row.get(sub.id)) if not is_unanswered(row.get(sub.id)) else ""
             for sub in group.fields]
    return cells if keep_blank else [cell for cell in cells if cell]


def _raw_rows(given: Mapping[str, Any], named: set[str]) -> tuple[AnswerRow, ...]:
    return tuple(AnswerRow(str(key), str(key), _raw(value)) for key, value in given.items()
                 if key not in named and not is_unanswered(value))


def _raw(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
