"""Offline bundles on the station's side (``docs/protocol.md`` section 9).

Export writes every unsettled outbox item exactly as an online attempt would send it: the
item is marked sending and its envelope built once and kept, so a later online resend is
byte-identical and gets the same receipt. Import reads the township's return bundle, which
must verify as a whole first, and then applies it as a pull would, in one transaction:
each receipt settles the item it names, each event is applied once, and the cursor only
moves forward over events without a gap. An event whose result file must be downloaded
is left, with those after it, for the next online sync.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO, NoReturn, Protocol

from sync.bundle import (DEFAULT_LIMITS, BundleLimits, Manifest, MaterialFileError,
                         MaterialFileProblem, read_return, write_outbound)
from sync.engine.side import (BlobSource, BuiltEnvelope, EventResult, Identity, ItemError,
                              StationSide)
from sync.messages import Receipt, read_event, read_receipt
from sync.transport import TransportError

PathLike = str | os.PathLike[str]
# The code an item is set aside with, as the online path would, for each page-file problem.
_SET_ASIDE = {MaterialFileProblem.MISSING: "page_missing",
              MaterialFileProblem.ALTERED: "blob_digest_mismatch"}


@dataclass(frozen=True)
class ItemRecord:
    """What the station holds for one outbox item: the digest of its kept envelope (None
    before its first attempt), whether a receipt would settle it (pending or sending), and
    its kept receipt once sent."""

    seq: int
    case: str
    revision: int
    envelope_sha256: str | None
    awaiting: bool
    receipt: bytes | None


class BundleSide(StationSide, Protocol):
    """What bundles need of the station's store beyond what a round needs."""

    def item(self, seq: int) -> ItemRecord | None:
        """The outbox item ``seq``; None when the station has none."""

    def exported(self, seqs: Sequence[int]) -> None:
        """Record that these items left the station in a bundle (audit)."""

    def batch(self) -> AbstractContextManager[object]:
        """One transaction around the application of a verified return bundle; the side's
        own methods nest inside it."""


@dataclass(frozen=True)
class ExportOutcome:
    """What an export wrote: the sequences in the bundle, the items set aside with their
    reason codes, the number of page files and the bundle's size in bytes. Nothing is
    written when ``seqs`` is empty."""

    seqs: tuple[int, ...]
    set_aside: tuple[tuple[int, str], ...]
    blobs: int = 0
    size: int = 0


class ReceiptResult(StrEnum):
    APPLIED = "applied"
    HELD = "held"  # the item is settled with a receipt for this very envelope already
    UNKNOWN = "unknown"  # no outbox item of that sequence here
    UNMATCHED = "unmatched"  # names other content, or the item was set aside


@dataclass(frozen=True)
class ImportOutcome:
    """What an import applied: receipt sequences by result, and event counts; ``events_left``
    wait for the next online sync (a result file to download, or earlier events missing)."""

    receipts: dict[ReceiptResult, tuple[int, ...]]
    events: dict[EventResult, int]
    events_left: int

    def seqs(self, result: ReceiptResult) -> tuple[int, ...]:
        return self.receipts.get(result, ())

    def count(self, result: ReceiptResult) -> int:
        return len(self.seqs(result))

    @property
    def changed(self) -> bool:
        return bool(self.count(ReceiptResult.APPLIED) or self.events.get(EventResult.APPLIED)
                    or self.events.get(EventResult.QUARANTINED))


def export_bundle(side: BundleSide, path: PathLike) -> ExportOutcome:
    """Write every pending or sending item, in sequence order, with its page files.

    An item whose envelope cannot be built, or whose page file is missing or altered, is
    set aside (quarantined) as the online path would, and the others are written. Raises
    BundleWriteError (then nothing is left under ``path``), MaterialFileError when a page
    file fails before any was opened (which the bundle writer does not do), and what
    ``side`` raises.
    """
    identity = side.identity()
    items, aside = _built_items(side)
    while items:
        openers = _Openers()
        try:
            manifest = _write(path, identity, items, openers)
        except MaterialFileError as error:
            dropped = _set_aside(side, items, openers.last, _SET_ASIDE[error.reason])
            if not dropped:
                raise
            aside += dropped
            continue
        side.exported(list(items))
        blobs = sum(1 for member in manifest.members if member.kind == "blob")
        return ExportOutcome(tuple(items), tuple(aside), blobs, os.stat(path).st_size)
    return ExportOutcome((), tuple(aside))


def _built_items(side: BundleSide) -> tuple[dict[int, BuiltEnvelope], list[tuple[int, str]]]:
    """Each pending item marked sending with its kept envelope; the ones set aside."""
    built: dict[int, BuiltEnvelope] = {}
    aside: list[tuple[int, str]] = []
    for item in side.pending():
        side.mark_sending(item.seq)
        try:
            built[item.seq] = side.envelope(item.seq)
        except ItemError as error:
            side.quarantine(item.seq, error.reason)
            aside.append((item.seq, error.reason))
    return built, aside


def _set_aside(side: BundleSide, items: dict[int, BuiltEnvelope], sha256: str | None,
               reason: str) -> list[tuple[int, str]]:
    """Quarantine (and drop from ``items``) every item naming the page file ``sha256``."""
    naming = [seq for seq, built in items.items()
              if any(blob.sha256 == sha256 for blob in built.blobs)]
    for seq in naming:
        side.quarantine(seq, reason)
        del items[seq]
    return [(seq, reason) for seq in naming]


class _Openers:
    """Openers of page files that remember which one was opened last, so that the file
    a failed write stopped at is known."""

    def __init__(self) -> None:
        self.last: str | None = None

    def of(self, blob: BlobSource) -> Callable[[], BinaryIO]:
        def open_file() -> BinaryIO:
            self.last = blob.sha256
            try:
                return blob.open()
            except ItemError:
                raise FileNotFoundError("page file") from None

        return open_file


def _write(path: PathLike, identity: Identity, items: dict[int, BuiltEnvelope],
           openers: _Openers) -> Manifest:
    blobs = {blob.sha256: blob for built in items.values() for blob in built.blobs}
    return write_outbound(path, identity.station, identity.key,
                          [(seq, built.data) for seq, built in items.items()],
                          [(b.sha256, b.size, openers.of(b)) for b in blobs.values()])


def import_return(side: BundleSide, path: PathLike, *,
                  limits: BundleLimits = DEFAULT_LIMITS) -> ImportOutcome:
    """Apply the township's return bundle at ``path`` as if it had come online.

    Raises a ``sync.bundle.BundleError`` when the bundle does not verify as a whole (for
    another station, not signed by the pinned township key, damaged, unsafe): then nothing
    is applied. Importing the same bundle again changes nothing.
    """
    identity = side.identity()
    bundle = read_return(path, identity.signing_key, identity.station, limits=limits)
    with side.batch():
        receipts = _settle(side, identity, bundle.receipts)
        events, left = _apply_events(side, identity, bundle.events)
    return ImportOutcome(receipts, events, left)


def _settle(side: BundleSide, identity: Identity,
            documents: Sequence[bytes]) -> dict[ReceiptResult, tuple[int, ...]]:
    found: dict[ReceiptResult, list[int]] = {result: [] for result in ReceiptResult}
    for data in documents:
        receipt = read_receipt(data, identity.signing_key)
        found[_settle_one(side, receipt, data)].append(receipt.seq)
    return {result: tuple(seqs) for result, seqs in found.items()}


def _settle_one(side: BundleSide, receipt: Receipt, data: bytes) -> ReceiptResult:
    """Settle the item ``receipt`` names, as an online receipt would, when it names this
    very item: its case, revision and the digest of the envelope the station kept."""
    record = side.item(receipt.seq)
    if record is None:
        return ReceiptResult.UNKNOWN
    named = (receipt.case, receipt.revision, receipt.envelope_sha256)
    if named != (record.case, record.revision, record.envelope_sha256):
        return ReceiptResult.UNMATCHED
    if record.receipt is not None:
        return ReceiptResult.HELD
    if not record.awaiting:
        return ReceiptResult.UNMATCHED
    side.mark_sent(receipt.seq, data, receipt.township_number)
    return ReceiptResult.APPLIED


def _apply_events(side: BundleSide, identity: Identity,
                  documents: Sequence[bytes]) -> tuple[dict[EventResult, int], int]:
    """Apply events in cursor order; stop at a gap after the station's cursor or at an
    event that needs a download. The counts by result, and how many were left."""
    counts = {result: 0 for result in EventResult}
    cursor = side.cursor()
    for index, data in enumerate(documents):
        event = read_event(data, identity.signing_key)
        if event.cursor > cursor + 1:
            return counts, len(documents) - index
        try:
            counts[side.apply_event(event, data, _no_download)] += 1
        except TransportError:
            return counts, len(documents) - index
        if event.cursor > cursor:
            cursor = event.cursor
            side.set_cursor(cursor)
    return counts, 0


def _no_download(file_id: str, sha256: str, size: int) -> NoReturn:
    """A bundle carries no result files: the event waits for the next online sync."""
    raise TransportError("offline")
