"""What a sync round reports: progress while it runs, its outcome, and error codes in
plain words for the agent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from forms.i18n import _


@dataclass(frozen=True)
class Progress:
    bytes_sent: int
    bytes_total: int
    items_done: int
    items_total: int


class RoundStatus(StrEnum):
    OK = "ok"
    OFFLINE = "offline"
    FAILED = "failed"
    STATION_REFUSED = "station_refused"
    TOO_OLD = "too_old"
    CANCELLED = "cancelled"  # stopped on request (the app closing); nothing is lost


@dataclass(frozen=True)
class RoundOutcome:
    """What one round did; ``error`` is the last error code, ``message`` its words."""

    status: RoundStatus
    sent: int = 0
    quarantined: int = 0
    events_applied: int = 0
    events_quarantined: int = 0
    requeued: tuple[int, ...] = ()
    mismatched: tuple[int, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is RoundStatus.OK

    @property
    def message(self) -> str | None:
        return describe(self.error) if self.error else None


_OFFLINE = frozenset({"connection", "timeout", "tls"})
# Codes of the township's refusals that set an item aside (protocol section 5).
_REFUSALS = frozenset({"malformed", "envelope_signature_invalid", "undecryptable",
                       "sequence_invalid", "too_large"})


def describe(code: str) -> str:
    """A sync error code in plain words for the agent."""
    if code in _REFUSALS:
        return _("The township refused this item ({code}); it was set aside: ask the "
                 "township.").format(code=code)
    return _words().get(code) or _("The township answered with an error ({code}); the "
                                   "station will try again.").format(code=code)


def _words() -> dict[str, str]:
    """The words of each code (translated when asked, in the language of the moment)."""
    return {
        "connection": _("The township platform cannot be reached: check the network."),
        "timeout": _("The township platform did not answer in time."),
        "tls": _("The township platform's certificate is not trusted: ask the township."),
        "server_error": _("The township platform has a problem; the station will try again."),
        "rate_limited": _("The township platform is busy; the station will try again."),
        "unexpected_answer": _(
            "The network answered instead of the township platform (a log-in page?); "
            "the station will try again."),
        "bad_receipt": _("The township's receipt did not verify; the item will be sent again."),
        "bad_event": _("A township message did not verify; it was not applied."),
        "internal_error": _("Sync stopped on an unexpected error; it will try again."),
        "signature_invalid": _(
            "The township does not accept this station: it may be revoked, or the "
            "computer's clock is wrong."),
        "protocol_unsupported": _("This app is too old for the township: update it."),
        "conflict": _("The township holds other content for this item; ask the township."),
        "blob_digest_mismatch": _("A page file changed after it was stored; the item was "
                                  "set aside."),
        "page_missing": _("A page file of this item is missing; the item was set aside."),
        "blobs_missing": _("The township is still missing page files; the station will try "
                           "again."),
        "file_mismatch": _("A result file from the township arrived damaged; it will be "
                           "fetched again."),
    }


def status_of(code: str) -> RoundStatus:
    return RoundStatus.OFFLINE if code in _OFFLINE else RoundStatus.FAILED
