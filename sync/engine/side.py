"""What the sync engine needs of the station (:class:`StationSide`) and what passes
between them: the identity, pending items, built envelopes and their blobs, the ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from forms.i18n import _
from sync.envelope import digest as envelope_digest
from sync.errors import SyncError
from sync.messages import Event, LedgerEntry
from sync.transport import Transport

CHUNK_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class SyncConfig:
    """Limits and timings of the engine and the runner (seconds)."""

    chunk_size: int = CHUNK_SIZE
    events_page: int = 100
    envelope_attempts: int = 3
    offset_retries: int = 3
    first_delay: tuple[float, float] = (30.0, 60.0)
    max_delay: float = 3600.0
    interval: float = 300.0
    probe_interval: float = 30.0


@dataclass(frozen=True)
class Identity:
    """Who the station is and what it pinned at enrolment."""

    station: str
    key: Ed25519PrivateKey = field(repr=False)
    signing_key: Ed25519PublicKey
    sealing_key: bytes
    suite: str


@dataclass(frozen=True)
class PendingItem:
    """An outbox item to send; ``upload_bytes`` is what its page files weigh (for progress)."""

    seq: int
    case: str
    revision: int
    kind: str
    upload_bytes: int = 0


@dataclass(frozen=True)
class BlobSource:
    """A page file as stored: its SHA-256 and size, and how to open it for reading."""

    sha256: str
    size: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class BuiltEnvelope:
    data: bytes
    blobs: tuple[BlobSource, ...]

    @property
    def digest(self) -> str:
        return envelope_digest(self.data)


@dataclass(frozen=True)
class LedgerState:
    """Every settled item (receipt or quarantine), in order, and the township's ``through``."""

    entries: tuple[LedgerEntry, ...]
    through: int


class EventResult(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


# Opens result file (id, sha256, size) as a checked binary stream.
Fetch = Callable[[str, str, int], AbstractContextManager[Any]]


class ItemError(SyncError):
    """An outbox item cannot be sent as it is (a page file is gone, say); it is set aside
    with ``reason``, a code like the township's."""

    def __init__(self, reason: str) -> None:
        super().__init__(_("This upload item cannot be sent and was set aside."))
        self.reason = reason


class StationSide(Protocol):
    """What the engine needs of the station's store. Each method is its own transaction."""

    def identity(self) -> Identity: ...

    def pending(self) -> list[PendingItem]:
        """Items still to send, in sequence order."""

    def mark_sending(self, seq: int) -> None: ...

    def envelope(self, seq: int) -> BuiltEnvelope:
        """The item's envelope, built at the first call and the same bytes ever after.
        Raises ItemError."""

    def mark_failed(self, seq: int, error: str) -> None: ...

    def quarantine(self, seq: int, reason: str) -> None: ...

    def mark_sent(self, seq: int, receipt: bytes, township_number: str) -> None: ...

    def cursor(self) -> int: ...

    def set_cursor(self, cursor: int) -> None: ...

    def apply_event(self, event: Event, data: bytes, fetch: Fetch) -> EventResult:
        """Apply a verified event once (its id is the idempotency key); keep one that
        cannot be applied as quarantined. TransportError from ``fetch`` propagates."""

    def requeue(self, seqs: Sequence[int]) -> list[int]:
        """Send these sent items again (same envelope); the ones re-queued."""

    def flag_mismatched(self, seqs: Sequence[int]) -> None: ...

    def ledger(self) -> LedgerState: ...

    def set_ledger_through(self, through: int) -> None: ...

    def heartbeat(self) -> dict[str, Any]:
        """queue, quarantined, app_version, catalog_version, free_disk, highest_seq."""

    def mark_synced(self) -> None:
        """Record that a round has just succeeded (the last sync the agent is shown)."""


class RoundStep(Protocol):
    """Work that rides on a successful round (the app-update check): it gets the round's
    transport (identified as the station), the identity and the round's cancel event. It
    deals with its own errors; one that escapes is logged by type and changes nothing."""

    def __call__(self, transport: Transport, identity: Identity,
                 cancel: threading.Event) -> None: ...
