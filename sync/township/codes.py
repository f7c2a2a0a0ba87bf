"""One-time enrolment codes: 8 characters of Crockford base32, shown as ``XXXX-XXXX``,
stored only as an HMAC-SHA256 keyed with a secret of the township's keys (a copy of the
database alone does not let anyone recover a code that is still valid)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_IGNORED = str.maketrans("", "", "- ")


def new_code() -> str:
    """A fresh code in its display form ``XXXX-XXXX``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise(text: str) -> str | None:
    """The code as typed, in canonical form; None when it cannot be a code.

    Case, hyphens and spaces do not matter, and I/L/O are read as 1/1/0 (Crockford).
    """
    if not isinstance(text, str):
        return None
    code = text.upper().translate(_IGNORED).translate(_READ_AS)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_hash(secret: bytes, code: str) -> str:
    """The stored form of a normalised code."""
    return hmac.new(secret, code.encode("ascii"), hashlib.sha256).hexdigest()
