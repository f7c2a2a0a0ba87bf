"""Value validators of the form field types, and the personal-name check.

The checks of ID numbers, credit codes, phone numbers and money live in their own modules
and are re-exported here, so callers import everything from ``forms.validators``.

Personal names (``check_name``) take one of two shapes:

- a Chinese name: 2-20 Han characters (any CJK block, including the extension blocks
  used for rare name characters, and 〇), optionally split by the middle dot ``·`` of
  minority and transliterated names. Look-alike dots (``•``, ``．``, ``・``, ``.``, ...)
  become ``·``; spaces are dropped. No digits, no Latin letters.
- a name in Latin letters, for foreign residents (as on the foreign permanent resident ID
  card): ASCII letters, words separated by a space, hyphen, apostrophe, comma or period,
  2-80 characters; runs of spaces collapse to one and full-width letters become ASCII.
  Letter case is kept.

A name mixing both scripts is rejected.
"""

from __future__ import annotations

import re
import unicodedata

from forms.creditcode import (
    CreditCodeResult,
    InvalidCreditCodeError,
    check_credit_code,
    credit_check_char,
)
from forms.errors import ValidationError
from forms.i18n import _
from forms.idnumber import (
    IdNumberInfo,
    InvalidIdNumberError,
    check_id_number,
    format_id_number,
    id_check_char,
)
from forms.money import InvalidMoneyError, format_money, format_money_upper, parse_money
from forms.phone import InvalidPhoneError, check_phone

__all__ = [
    "CreditCodeResult",
    "IdNumberInfo",
    "InvalidCreditCodeError",
    "InvalidIdNumberError",
    "InvalidMoneyError",
    "InvalidNameError",
    "InvalidPhoneError",
    "check_credit_code",
    "check_id_number",
    "check_name",
    "check_phone",
    "credit_check_char",
    "format_id_number",
    "format_money",
    "format_money_upper",
    "id_check_char",
    "parse_money",
]

_HAN = (
    "\u3007"  # 〇
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0003134f"  # extensions B-G and compatibility supplement
    "\U00031350-\U000323af"  # extension H
)
_CHINESE_NAME = re.compile(f"[{_HAN}]+(?:·[{_HAN}]+)*")
_DOT_VARIANTS = re.compile("[\u2022\u2027\u2219\u22c5\u30fb\uff0e\uff65\u00b7.]")
_LATIN_NAME = re.compile(r"[A-Za-z]+(?:(?:[ \-']|[,.] ?)[A-Za-z]+)*\.?")
_MIN_HAN, _MAX_HAN = 2, 20
_MIN_LATIN, _MAX_LATIN = 2, 80


class InvalidNameError(ValidationError):
    """Not a personal name; ``code`` is ``length`` or ``charset``."""


def check_name(text: str) -> str:
    """Return the normalised personal name.

    Raises InvalidNameError (``length`` for too short or too long, ``charset`` otherwise).
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidNameError(_("Enter a name."), "length")
    if re.search(f"[{_HAN}]", stripped):
        return _chinese_name(stripped)
    return _latin_name(stripped)


def _chinese_name(text: str) -> str:
    name = _DOT_VARIANTS.sub("·", re.sub(r"\s+", "", text))
    if not _CHINESE_NAME.fullmatch(name):
        raise InvalidNameError(
            _("A name has Chinese characters only, parts separated by a middle dot (·)."),
            "charset",
        )
    if not _MIN_HAN <= len(name.replace("·", "")) <= _MAX_HAN:
        raise InvalidNameError(_("A Chinese name has 2 to 20 characters."), "length")
    return name


def _latin_name(text: str) -> str:
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
    if not _LATIN_NAME.fullmatch(name):
        raise InvalidNameError(
            _("Enter the name in Chinese characters, or in Latin letters for a foreigner."),
            "charset",
        )
    if not _MIN_LATIN <= len(name) <= _MAX_LATIN:
        raise InvalidNameError(_("A name in Latin letters has 2 to 80 characters."), "length")
    return name
