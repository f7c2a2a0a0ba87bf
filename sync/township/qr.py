"""The enrolment QR image: ``vsenrol:<township URL>#<code>`` (``docs/protocol.md`` §8)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def enrolment_uri(url: str, code: str) -> str:
    return f"vsenrol:{url}#{code}"


def write_enrolment_qr(path: Path, url: str, code: str) -> None:
    """Write the PNG. Raises OSError."""
    image = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    image.add_data(enrolment_uri(url, code))
    image.make(fit=True)
    image.make_image().save(str(path))
