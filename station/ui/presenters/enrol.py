"""Enrolling the station with its township from the window: the township's address and
one-time code typed, the ``vsenrol:`` link pasted, or the link read from the QR picture the
township printed. QR pictures are decoded with zxing-cpp (self-contained wheels for Windows
and Linux, no system library to install on the station's PC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from station import syncstate
from station.clock import to_local
from station.enrolment import (
    BadEnrolmentLinkError,
    Enrolled,
    enrol,
    parse_link,
    read_qr_link,
)
from station.errors import StationError
from station.i18n import _
from station.printing import display
from station.session import Session

_SCHEMES = ("https", "http")


class EnrolInputError(StationError):
    """What was typed cannot be used; ``field`` names the entry to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EnrolmentInfo:
    """The station's enrolment as the enrolment screen and Settings show it: the township's
    name and id, and the name and id the township gave this station."""

    township_name: str
    township_id: str
    station_name: str
    station_id: str
    url: str
    since: datetime

    def summary(self) -> str:
        """``乡镇平台：<name>（<id>）· 本站：<name>（<station id>）`` in Chinese."""
        return _("Township platform: {township} · This station: {station}").format(
            township=f"{self.township_name}（{self.township_id}）",
            station=f"{self.station_name}（{self.station_id}）")

    def lines(self) -> list[tuple[str, str]]:
        return [
            (_("Enrolment"), self.summary()),
            (_("Township address"), self.url),
            (_("Enrolled since"), display.moment(to_local(self.since))),
        ]


@dataclass(frozen=True)
class EnrolTarget:
    """Where to enrol, with what code, trusting which certificates (None: the system's)."""

    url: str
    code: str
    ca_bundle: Path | None = None


def enrolment_info() -> EnrolmentInfo | None:
    """The station's enrolment (in the open store); None when it is not enrolled."""
    row = syncstate.enrolment()
    if row is None:
        return None
    return EnrolmentInfo(row.township_name, row.township_id, row.station_name, row.station_id,
                         row.url, row.enrolled_at)


class EnrolPresenter:
    def __init__(self, session: Session) -> None:
        self._session = session

    def info(self) -> EnrolmentInfo | None:
        return enrolment_info()

    @staticmethod
    def target(address: str, code: str, link: str = "", ca_bundle: str = "") -> EnrolTarget:
        """What the agent typed, checked: a pasted link wins over the address and code.

        Raises EnrolInputError naming the entry to fix.
        """
        if link.strip():
            try:
                url, code = parse_link(link)
            except BadEnrolmentLinkError as error:
                raise EnrolInputError("link", str(error)) from None
        else:
            url, code = _address(address), code.strip()
            if not code:
                raise EnrolInputError("code", _(
                    "Type the one-time enrolment code the township gave you (like ABCD-2345)."))
        return EnrolTarget(url, code, _certificates(ca_bundle))

    @staticmethod
    def read_qr(path: Path) -> str:
        """The enrolment link held by the QR picture at ``path`` (a photo can be large:
        run on the worker). Raises QrPictureError, BadEnrolmentLinkError."""
        return read_qr_link(path)

    def enrol(self, target: EnrolTarget) -> Enrolled:
        """Enrol (network: run on the worker). Raises the EnrolmentError family."""
        return enrol(self._session, target.url, target.code, ca_bundle=target.ca_bundle)

    @staticmethod
    def done_text(enrolled: Enrolled) -> str:
        return _("Enrolled as “{name}” ({station}). Cases now upload by themselves.").format(
            name=enrolled.name, station=enrolled.station_id)


def _address(text: str) -> str:
    """The township's address, ``https://`` added when no scheme was typed.

    Raises EnrolInputError.
    """
    text = text.strip()
    if text and "://" not in text:
        text = "https://" + text
    text = text.rstrip("/")
    try:
        parts = urlsplit(text)
        usable = parts.scheme.lower() in _SCHEMES and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        raise EnrolInputError("address", _(
            "Type the township platform's address as the township gave it (like "
            "https://zhen.example.gov.cn)."))
    return text


def _certificates(text: str) -> Path | None:
    """The certificate file the township gave, if one was chosen. Raises EnrolInputError."""
    if not text.strip():
        return None
    path = Path(text.strip())
    if not path.is_file():
        raise EnrolInputError("ca_bundle", _(
            "The certificate file does not exist: choose it again, or leave the field "
            "empty if the township gave you none."))
    return path
