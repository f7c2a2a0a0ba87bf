"""How printed documents show dates, times, money, phone numbers and material forms,
the way Chinese government forms do: ``2026年11月23日``, ``¥40.00（人民币肆拾元整）``,
``138****8000``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from forms.validators import format_money, format_money_upper
from station.i18n import _, ngettext

_PHONE_KEEP_HEAD = 3
_PHONE_KEEP_TAIL = 4


def day(value: date) -> str:
    """A date as forms write it: ``2026年11月23日``."""
    return _("{year}-{month}-{day}").format(year=value.year, month=value.month, day=value.day)


def moment(value: datetime) -> str:
    """A date and time of day (already in China time): ``2026年11月23日 10:05``."""
    return f"{day(value.date())} {value:%H:%M}"


def promised_day(value: date, provisional: bool) -> str:
    """A promised date, marked as an estimate when the holiday calendar of its year was
    not yet published."""
    if provisional:
        return _("{date} (estimated)").format(date=day(value))
    return day(value)


def money(amount: Decimal) -> str:
    """An amount in figures and capital numerals: ``¥40.00（人民币肆拾元整）``."""
    return _("¥{figures} (RMB {words})").format(
        figures=format_money(amount), words=format_money_upper(amount)
    )


def mask_phone(phone: str) -> str:
    """A phone number with all digits but the first 3 and the last 4 hidden:
    ``138****8000``, ``010-****3456``. Separators stay."""
    positions = [i for i, char in enumerate(phone) if char.isdigit()]
    hidden = positions[_PHONE_KEEP_HEAD : len(positions) - _PHONE_KEEP_TAIL]
    if len(positions) <= _PHONE_KEEP_HEAD + _PHONE_KEEP_TAIL:
        hidden = positions
    chars = list(phone)
    for index in hidden:
        chars[index] = "*"
    return "".join(chars)


def material_form(form: str) -> str:
    """The label of a material's form: original, copy, both, electronic."""
    labels = {
        "original": _("Original"),
        "copy": _("Copy"),
        "original_and_copy": _("Original and copy"),
        "electronic": _("Electronic"),
    }
    return labels.get(form, form)


def copies(count: int) -> str:
    """How many copies are kept; 0 means the original is only shown."""
    if count == 0:
        return _("Shown, returned")
    return ngettext("{n} copy", "{n} copies", count).format(n=count)


def working_days(days: int) -> str:
    return ngettext("{n} working day", "{n} working days", days).format(n=days)
