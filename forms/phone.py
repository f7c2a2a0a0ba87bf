"""Mainland China phone numbers: mobile and landline.

Normal forms: a mobile number is its 11 digits (``13812345678``); a landline is
``area-local`` or ``area-local-extension`` (``010-65123456``, ``0571-8765432-801``).
Accepted input: full-width digits; spaces, hyphens, dots and brackets between digit groups;
a ``+86``/``0086`` country prefix (then a landline's area code may drop its 0); and an
extension after ``转``, ``分机``, ``ext``, ``x``, ``#`` or as a last, hyphenated group.
"""

from __future__ import annotations

import re
import unicodedata

from forms.errors import ValidationError
from forms.i18n import _

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Area codes: 010 and 020-029 have two digits after the 0, all others three; local numbers
# have 7 or 8 digits and never start with 0 or 1.
_LANDLINE = re.compile(r"(0(?:10|2[0-9]|[3-9][0-9]{2}))([2-9][0-9]{6,7})")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*([0-9]{1,6})$", re.IGNORECASE)
_SHAPE = re.compile(r"(?:\+|00)?[0-9]+(?:[\s\-.()（）]+[0-9]+)*")
_COUNTRY_PREFIX = re.compile(r"^(?:\+|00)86")
_MAX_EXTENSION_DIGITS = 6


class InvalidPhoneError(ValidationError):
    """Not a mainland mobile or landline number; ``code`` is ``format``."""


def check_phone(text: str) -> str:
    """Return the normal form of a mobile or landline number.

    Raises InvalidPhoneError.
    """
    raw = re.sub(r"^[\s(（]+|[\s)）]+$", "", unicodedata.normalize("NFKC", text))
    raw, extension = _split_extension(raw)
    if not _SHAPE.fullmatch(raw):
        raise _format_error()
    groups = re.findall(r"[0-9]+", _COUNTRY_PREFIX.sub("", raw))
    digits = "".join(groups)
    if _COUNTRY_PREFIX.match(raw) and not _MOBILE.fullmatch(digits):
        digits = f"0{digits}"
    if extension is None and _MOBILE.fullmatch(digits):
        return digits
    landline = _landline(digits)
    if landline is None and extension is None and len(groups) > 1:
        extension = groups[-1] if len(groups[-1]) <= _MAX_EXTENSION_DIGITS else None
        landline = _landline(digits[: -len(groups[-1])]) if extension else None
    if landline is None:
        raise _format_error()
    return landline if extension is None else f"{landline}-{extension}"


def _split_extension(raw: str) -> tuple[str, str | None]:
    match = _EXTENSION.search(raw)
    if match is None:
        return raw, None
    return raw[: match.start()].rstrip(" -"), match.group(1)


def _landline(digits: str) -> str | None:
    match = _LANDLINE.fullmatch(digits)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def _format_error() -> InvalidPhoneError:
    return InvalidPhoneError(
        _("Enter an 11-digit mobile number or a landline number with its area code."), "format"
    )
