"""Answer values per field type: reading stored answers into engine values and back.

Stored (JSON-compatible) forms are listed in docs/forms.md; the engine uses Decimal for
decimal and money, ``datetime.date`` for dates, and plain str/int/bool/list/dict otherwise.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from forms import validators
from forms.errors import ValidationError
from forms.i18n import _
from forms.model import ADDRESS_PARTS, Field

CREDIT_CODE_CHECKSUM = "credit_code_checksum"
_CENT = Decimal("0.01")
_MAX_DIGITS = 15

Reader = Callable[[Field, Any, datetime.date], Any]


def is_unanswered(raw: Any) -> bool:
    """True for a missing answer: None, blank text, an empty list or mapping."""
    if isinstance(raw, str):
        return not raw.strip()
    return raw is None or raw == [] or raw == {}


def read_value(
    field: Field, raw: Any, today: datetime.date
) -> tuple[Any, ValidationError | None]:
    """The engine value of the answer ``raw`` of ``field``, and a warning if there is one.

    Returns (None, None) for an unanswered value. Raises ValidationError when the answer
    is not a valid value of the field's type.
    """
    if is_unanswered(raw):
        return None, None
    if field.type == "credit_code":
        return _credit_code(raw)
    return _READERS[field.type](field, raw, today), None


def to_stored(field: Field, value: Any) -> Any:
    """The JSON-compatible form of an engine value of ``field``."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if field.type == "money" else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def coerce_calculated(field: Field, value: Any) -> Any:
    """A calculated ``value`` in the form of ``field``'s type; None when it does not fit."""
    if value is None:
        return None
    try:
        return _COERCIONS.get(field.type, _as_is)(field, value)
    except (TypeError, ValueError, ArithmeticError):
        return None


def _text(field: Field, raw: Any, today: datetime.date) -> str:
    if not isinstance(raw, str):
        raise ValidationError(_("Enter text."), "type")
    return raw.strip()


def _checked_text(check: Callable[[str], str]) -> Reader:
    def read(field: Field, raw: Any, today: datetime.date) -> str:
        return check(_text(field, raw, today))

    return read


def _id_number(field: Field, raw: Any, today: datetime.date) -> str:
    return validators.check_id_number(_text(field, raw, today), today=today).number


def _credit_code(raw: Any) -> tuple[str, ValidationError | None]:
    if not isinstance(raw, str):
        raise ValidationError(_("Enter text."), "type")
    result = validators.check_credit_code(raw)
    if result.checksum_ok:
        return result.code, None
    return result.code, ValidationError(
        _(
            "The check character of this unified social credit code does not match. "
            "Compare it with the licence; if the licence shows the same code, record why "
            "you accept it."
        ),
        CREDIT_CODE_CHECKSUM,
    )


def _integer(field: Field, raw: Any, today: datetime.date) -> int:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a whole number."), "type")
    if isinstance(raw, int):
        return raw
    number = _decimal(field, raw, today)
    if number != number.to_integral_value():
        raise ValidationError(_("Enter a whole number."), "type")
    return int(number)


def _decimal(field: Field, raw: Any, today: datetime.date) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ValidationError(_("Enter a number."), "type")
    try:
        number = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise ValidationError(_("Enter a number."), "type") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), "type")
    if number and number.adjusted() > _MAX_DIGITS:
        raise ValidationError(_("The number is too large."), "too_large")
    return number


def _money(field: Field, raw: Any, today: datetime.date) -> Decimal:
    return validators.parse_money(raw)


def _date(field: Field, raw: Any, today: datetime.date) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(_text(field, raw, today))
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), "type") from None


def _choice(field: Field, raw: Any, today: datetime.date) -> str:
    value = _text(field, raw, today)
    if value not in field.choice_values:
        raise ValidationError(_("This is not one of the choices."), "choice")
    return value


def _multi_choice(field: Field, raw: Any, today: datetime.date) -> list[str]:
    if not isinstance(raw, list):
        raise ValidationError(_("Expected a list of choices."), "type")
    chosen = {_choice(field, item, today) for item in raw}
    return [choice.value for choice in field.choices if choice.value in chosen]


def _yes_no(field: Field, raw: Any, today: datetime.date) -> bool:
    if not isinstance(raw, bool):
        raise ValidationError(_("Answer yes or no."), "type")
    return raw


def _address(field: Field, raw: Any, today: datetime.date) -> dict[str, str] | None:
    if not isinstance(raw, dict) or not set(raw) <= set(ADDRESS_PARTS):
        raise ValidationError(
            _("An address has only province, city, county, township, village and detail."),
            "type",
        )
    parts = {key: _text(field, raw[key], today) for key in ADDRESS_PARTS if raw.get(key)}
    return {key: text for key, text in parts.items() if text} or None


def _group(field: Field, raw: Any, today: datetime.date) -> list[dict]:
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise ValidationError(_("Expected a list of rows."), "type")
    return raw


_READERS: dict[str, Reader] = {
    "text": _text,
    "long_text": _text,
    "name": _checked_text(validators.check_name),
    "phone": _checked_text(validators.check_phone),
    "id_number": _id_number,
    "integer": _integer,
    "decimal": _decimal,
    "money": _money,
    "date": _date,
    "choice": _choice,
    "multi_choice": _multi_choice,
    "yes_no": _yes_no,
    "address": _address,
    "group": _group,
}


def _as_is(field: Field, value: Any) -> Any:
    return value


def _round_to(places: Decimal) -> Callable[[Field, Any], Decimal]:
    def coerce(field: Field, value: Any) -> Decimal:
        return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)

    return coerce


def _calculated_choice(field: Field, value: Any) -> str | None:
    return value if value in field.choice_values else None


_COERCIONS: dict[str, Callable[[Field, Any], Any]] = {
    "integer": lambda field, value: int(_round_to(Decimal(1))(field, value)),
    "decimal": lambda field, value: Decimal(value),
    "money": _round_to(_CENT),
    "yes_no": lambda field, value: bool(value),
    "text": lambda field, value: str(value),
    "long_text": lambda field, value: str(value),
    "choice": _calculated_choice,
    "date": lambda field, value: value if isinstance(value, datetime.date) else None,
}
