"""Run-time implementations of the expression language's functions.

Each takes already evaluated arguments. Unanswered values arrive as None; the rules for
them are documented per function (and in docs/forms.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from forms import validators
from forms.errors import ValidationError


def blank(value: Any) -> bool:
    """True for an unanswered value: None, "", an empty list or an empty mapping."""
    return value is None or value == "" or value == [] or value == {}


def count_rows(rows: list | None) -> int:
    """Number of rows of a group; a hidden or unanswered group has none."""
    return len(rows) if rows else 0


def count_answered(values: list | None) -> int:
    """Number of answered items in a list."""
    return sum(1 for item in values or () if not blank(item))


def total(values: list | None) -> Any:
    """Sum of the answered numbers in a list; 0 for none."""
    return sum((item for item in values or () if item is not None), 0)


def smallest(values: Iterable[Any]) -> Any:
    """The smallest answered value, None when there is none."""
    present = [item for item in values if item is not None]
    return min(present) if present else None


def largest(values: Iterable[Any]) -> Any:
    """The largest answered value, None when there is none."""
    present = [item for item in values if item is not None]
    return max(present) if present else None


def length(value: str | list | None) -> int:
    """Length of a text or a list; an unanswered value has length 0."""
    return len(value) if value is not None else 0


def birth_date_of(value: datetime.date | str | None) -> datetime.date | None:
    """A date as is, or the birth date inside a citizen ID number; None when there is none."""
    if isinstance(value, datetime.date) or value is None:
        return value
    try:
        return validators.check_id_number(value).birth_date
    except ValidationError:
        return None


def age(value: datetime.date | str | None, today: datetime.date) -> int | None:
    """Whole years from a birth date (or the birth date in an ID number) to ``today``."""
    born = birth_date_of(value)
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def days_between(first: datetime.date | None, second: datetime.date | None) -> int | None:
    """Days from ``first`` to ``second`` (negative when second is earlier); None if either is."""
    if first is None or second is None:
        return None
    return (second - first).days


def selected(answer: list | str | None, choice: str) -> bool:
    """True when ``choice`` is among a multi-choice answer (or equals a choice answer)."""
    if isinstance(answer, list):
        return choice in answer
    return answer == choice


def round_to(value: Any, digits: int) -> Decimal | None:
    """``value`` rounded half up to ``digits`` decimals; None stays None."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
