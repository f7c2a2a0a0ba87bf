"""Enrolling the station with its township (``docs/protocol.md`` section 8).

The station makes its Ed25519 identity key, sends it with the one-time code, verifies the
township's signed answer and pins the township's signing and sealing keys together with
the identity key, in the encrypted store. Used by ``station enrol`` and the first-run
wizard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station import __version__, syncstate
from station.audit import Action
from station.errors import StationError
from station.i18n import _
from sync.errors import MalformedError, SealError, SignatureError
from sync.messages import Enrolment, read_enrolment
from sync.signed import b64encode, raw_public_key
from sync.transport import RefusedError, Transport, TransportConfig, TransportError

if TYPE_CHECKING:
    from station.session import Session

log = logging.getLogger(__name__)
LINK_SCHEME = "vsenrol:"


class EnrolmentError(StationError):
    """The station could not be enrolled; nothing was stored."""


class AlreadyEnrolledError(EnrolmentError):
    def __init__(self) -> None:
        super().__init__(_("This station is already enrolled with a township."))


class EnrolmentRefusedError(EnrolmentError):
    def __init__(self) -> None:
        super().__init__(
            _("The township refused the enrolment code: it is wrong, used or expired. "
              "Ask the township for a new code.")
        )


class TownshipUnreachableError(EnrolmentError):
    def __init__(self) -> None:
        super().__init__(
            _("The township platform cannot be reached: check the address and the network, "
              "then try again.")
        )


class BadEnrolmentAnswerError(EnrolmentError):
    def __init__(self) -> None:
        super().__init__(
            _("The township's answer could not be verified; nothing was stored. Check the "
              "address and ask the township.")
        )


class BadEnrolmentLinkError(EnrolmentError):
    def __init__(self) -> None:
        super().__init__(_("This is not an enrolment link of a township."))


class QrPictureError(EnrolmentError):
    """The chosen file holds no readable QR code."""


@dataclass(frozen=True)
class Enrolled:
    """What the township said the station is (its id and name there) and who it is."""

    station_id: str
    township_id: str
    name: str
    township_name: str


def read_qr_link(path: Path) -> str:
    """The enrolment link held by the QR picture at ``path``, decoded with zxing-cpp
    (self-contained wheels, no system library on the station's PC). A photo can be large:
    call it off the UI thread. Raises QrPictureError, BadEnrolmentLinkError."""
    import zxingcpp
    from PIL import Image

    try:
        with Image.open(path) as image:
            found = zxingcpp.read_barcodes(image.convert("L"),
                                           formats=zxingcpp.BarcodeFormat.QRCode)
    except (OSError, Image.DecompressionBombError):
        raise QrPictureError(_(
            "This file is not a picture that can be read: choose the PNG picture the "
            "township printed.")) from None
    texts = [code.text.strip() for code in found]
    for text in texts:
        if text.startswith(LINK_SCHEME):
            parse_link(text)
            return text
    if texts:
        raise BadEnrolmentLinkError()
    raise QrPictureError(_(
        "No QR code was found in this picture: choose the picture the township printed, "
        "or type the address and the code."))


def parse_link(text: str) -> tuple[str, str]:
    """The URL and code of a ``vsenrol:<url>#<code>`` link (the QR code's text).

    Raises BadEnrolmentLinkError.
    """
    text = text.strip()
    if not text.startswith(LINK_SCHEME) or "#" not in text:
        raise BadEnrolmentLinkError()
    url, _sep, code = text[len(LINK_SCHEME):].rpartition("#")
    if not url.startswith(("https://", "http://")) or not code:
        raise BadEnrolmentLinkError()
    return url, code


def enrol(session: Session, url: str, code: str, *, ca_bundle: Path | None = None,
          transport: Transport | None = None) -> Enrolled:
    """Enrol the station of ``session`` with the township at ``url`` using ``code``.

    Raises AlreadyEnrolledError, EnrolmentRefusedError, TownshipUnreachableError,
    BadEnrolmentAnswerError; then nothing is stored.
    """
    code = code.strip()
    if not code:
        raise EnrolmentRefusedError()
    with session.db.atomic():
        if syncstate.enrolment() is not None:
            raise AlreadyEnrolledError()
        station_code = session.ctx.station.code
    key = Ed25519PrivateKey.generate()
    request = {"code": code, "station_key": b64encode(raw_public_key(key)),
               "station_code": station_code, "app_version": __version__}
    client = transport or Transport(TransportConfig(url, ca_bundle))
    try:
        answer = _answer(client, request)
    finally:
        if transport is None:
            client.close()
    with session.db.atomic():
        if syncstate.enrolment() is not None:
            raise AlreadyEnrolledError()
        syncstate.save_enrolment(answer, url, key, session.ctx.clock.now(), ca_bundle)
        session.ctx.record(Action.ADMIN, "station", session.ctx.station.code,
                           {"what": "enrol", "station": answer.station})
    log.info("station enrolled as %s", answer.station)
    return Enrolled(answer.station, answer.township, answer.name, answer.township_name)


def _answer(transport: Transport, request: dict[str, str]) -> Enrolment:
    """Send ``request``; the township's answer once it verifies."""
    try:
        data = transport.enrol(request)
    except RefusedError as error:
        if error.code == "enrolment_refused":
            raise EnrolmentRefusedError() from None
        raise BadEnrolmentAnswerError() from None
    except TransportError:
        raise TownshipUnreachableError() from None
    try:
        return read_enrolment(data)
    except (MalformedError, SignatureError, SealError):
        raise BadEnrolmentAnswerError() from None
