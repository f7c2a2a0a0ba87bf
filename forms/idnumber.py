"""Citizen ID numbers (居民身份证号码), GB 11643-1999.

An 18-character number: a 6-digit GB/T 2260 region code, the date of birth (YYYYMMDD), a
3-digit sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character
(0-9 or X). Legacy 15-digit numbers (YYMMDD in the 20th century, no check character) are
converted to 18. Residence permits of Hong Kong, Macao and Taiwan residents (prefixes
810000, 820000, 830000) follow the same scheme and are accepted.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from forms.errors import ValidationError
from forms.i18n import _
from forms.regions import is_known_region, region_name

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_RESIDENCE_PERMITS = {
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
    "830000": "台湾地区",
}
_MASK_KEEP_HEAD = 6
_MASK_KEEP_TAIL = 4


class InvalidIdNumberError(ValidationError):
    """An ID number breaks a rule; ``code`` is one of length, charset, region, birth_date,
    checksum. The message never contains the number."""


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid ID number says about its holder."""

    number: str
    birth_date: dt.date
    sex: str
    region_code: str
    region_name: str | None

    def age(self, on: dt.date) -> int:
        """Whole years of age on the day ``on``."""
        had_birthday = (on.month, on.day) >= (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - (0 if had_birthday else 1)


def check_id_number(text: str, *, today: dt.date | None = None) -> IdNumberInfo:
    """Validate and normalise an 18- or 15-character ID number.

    Full-width characters, whitespace and a lower-case ``x`` are normalised.
    Raises InvalidIdNumberError (``.code`` names the failed rule).
    """
    number = _normalise(text)
    if len(number) == 15:
        number = _upgrade_legacy(number)
    if len(number) != 18:
        raise InvalidIdNumberError(_("An ID number has 18 characters."), "length")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidIdNumberError(
            _("An ID number has 17 digits followed by a digit or X."), "charset"
        )
    region = number[:6]
    _check_region(region)
    birth_date = _birth_date(number[6:14], today or dt.date.today())
    if id_check_char(number[:17]) != number[17]:
        raise InvalidIdNumberError(
            _("The ID number is mistyped: its last character does not match."), "checksum"
        )
    sex = "M" if int(number[16]) % 2 else "F"
    return IdNumberInfo(number, birth_date, sex, region, _region_display_name(region))


def id_check_char(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits ``body``."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def format_id_number(number: str, mask: bool = True) -> str:
    """Show an ID number as receipts do: first 6 and last 4 kept, the rest as ``*``.

    With ``mask=False`` the normalised number is returned whole.
    """
    text = _normalise(number)
    if not mask:
        return text
    hidden = len(text) - _MASK_KEEP_HEAD - _MASK_KEEP_TAIL
    if hidden <= 0:
        return "*" * len(text)
    return text[:_MASK_KEEP_HEAD] + "*" * hidden + text[-_MASK_KEEP_TAIL:]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def _upgrade_legacy(number: str) -> str:
    if not number.isdigit() or not number.isascii():
        raise InvalidIdNumberError(_("A 15-digit ID number has digits only."), "charset")
    body = f"{number[:6]}19{number[6:]}"
    return body + id_check_char(body)


def _check_region(region: str) -> None:
    if region not in _RESIDENCE_PERMITS and not is_known_region(region):
        raise InvalidIdNumberError(
            _("The ID number does not start with a known region code."), "region"
        )


def _birth_date(digits: str, today: dt.date) -> dt.date:
    try:
        birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        birth = None
    if birth is None or not _EARLIEST_BIRTH <= birth <= today:
        raise InvalidIdNumberError(
            _("The ID number does not contain a real date of birth."), "birth_date"
        )
    return birth


def _region_display_name(region: str) -> str | None:
    return _RESIDENCE_PERMITS.get(region) or region_name(region)
