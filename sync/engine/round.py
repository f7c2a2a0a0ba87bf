"""One round of the protocol between the station and the township (``docs/protocol.md``
sections 4-7): ``hello`` (learn the township's clock), push (each pending outbox item: the
blobs the township lacks by tus, then the envelope, acting on the answer as section 5
says), pull events (verify, apply, advance the cursor), heartbeat, ledger (re-queue what
the township lacks). A round can be cancelled from another thread: it stops between
items, blob chunks and event pages, and leaves an interrupted item "sending" with its kept
envelope, as a dropped connection would, for the next round to finish."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from sync.engine.outcome import Progress, RoundOutcome, RoundStatus, status_of
from sync.engine.side import (
    BlobSource,
    BuiltEnvelope,
    EventResult,
    Fetch,
    Identity,
    ItemError,
    PendingItem,
    RoundStep,
    StationSide,
    SyncConfig,
)
from sync.errors import MalformedError, SignatureError, SyncError
from sync.messages import Ledger, Receipt, ledger_digest, make_ledger, read_event, read_receipt
from sync.signed import PROTOCOL_VERSION
from sync.transport import RefusedError, Transport, TransportError


log = logging.getLogger(__name__)


class _CancelledError(Exception):
    """The round was asked to stop; it ends as ``cancelled``."""


class SyncEngine:
    """Runs rounds of the protocol between ``side`` and the township behind ``transport``."""

    def __init__(self, side: StationSide, transport: Transport,
                 config: SyncConfig = SyncConfig(), after: Sequence[RoundStep] = ()) -> None:
        self._side = side
        self._transport = transport
        self._config = config
        self._after = tuple(after)
        self.last_error: str | None = None

    def probe(self) -> bool:
        """Whether the township answers ``hello`` (cheap; no state changes)."""
        try:
            self._transport.hello()
        except SyncError:
            return False
        return True

    def close(self) -> None:
        """Close the transport's connections (the engine is not used afterwards)."""
        self._transport.close()

    def run_round(self, progress: Callable[[Progress], None] | None = None,
                  cancel: threading.Event | None = None) -> RoundOutcome:
        """One full round; never raises the protocol's errors, returns what happened.

        Once ``cancel`` is set the round ends before its next item, blob chunk or event
        page, as ``cancelled``; a success is recorded with the side (the last sync).
        """
        identity = self._side.identity()
        self._transport.identify(identity.station, identity.key)
        tally = _Round(identity, progress or (lambda _p: None), cancel or threading.Event())
        try:
            self._hello()
            self._push(tally)
            self._pull(tally)
            self._heartbeat()
            self._reconcile(tally)
            if self._side.pending():
                self._push(tally)
        except TransportError as error:
            return self._finish(tally, status_of(error.code), error.code)
        except RefusedError as error:
            return self._finish(tally, _refused_status(error), error.code)
        except _CancelledError:
            return self._finish(tally, RoundStatus.CANCELLED, None)
        self._side.mark_synced()
        self._run_after(identity, tally)
        return self._finish(tally, RoundStatus.OK, None)

    def _run_after(self, identity: Identity, tally: _Round) -> None:
        """The steps that ride on a successful round; their failures stay theirs."""
        for step in self._after:
            try:
                step(self._transport, identity, tally.cancel)
            except Exception as error:  # noqa: BLE001 - a step never fails the round
                log.error("a step after the sync round failed: %s", type(error).__name__)

    def _finish(self, tally: _Round, status: RoundStatus, error: str | None) -> RoundOutcome:
        if status is RoundStatus.OK:
            error = tally.last_refusal
        if status is not RoundStatus.CANCELLED:  # a stop tells nothing about the township
            self.last_error = error if status is not RoundStatus.OK else None
        return RoundOutcome(status, tally.sent, tally.quarantined, tally.applied,
                            tally.events_quarantined, tuple(tally.requeued),
                            tuple(tally.mismatched), error)

    def _hello(self) -> None:
        hello = self._transport.hello()
        if PROTOCOL_VERSION not in hello.protocols:
            raise RefusedError(426, "protocol_unsupported", {})

    def _push(self, tally: _Round) -> None:
        """Send the pending items in sequence order, one behind the other on a sender
        thread: while an item travels (blobs, then envelope) this thread settles the one
        before it and prepares the one after it (marked sending, envelope built), so the
        store's work overlaps the network's. Envelopes still go out one at a time, in
        order; an item waits for an earlier one of its case to settle first, so its
        envelope is what a one-by-one push would have built."""
        items = self._side.pending()
        tally.start_push(items)
        flights: deque[_Flight] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-send") as sender:
            try:
                for item in items:
                    tally.check_cancel()
                    while any(flight.item.case == item.case for flight in flights):
                        self._settle(tally, flights.popleft())
                    built = self._prepare(tally, item)
                    if built is not None:
                        future = sender.submit(self._deliver, tally, built)
                        flights.append(_Flight(item, built, future))
                    while len(flights) > 1:
                        self._settle(tally, flights.popleft())
                while flights:
                    self._settle(tally, flights.popleft())
            except BaseException:
                tally.abort()
                self._settle_quietly(tally, flights)
                raise

    def _prepare(self, tally: _Round, item: PendingItem) -> BuiltEnvelope | None:
        """Mark ``item`` sending and build its envelope; None when it was set aside."""
        side = self._side
        side.mark_sending(item.seq)
        try:
            built = side.envelope(item.seq)
        except ItemError as error:
            self._set_aside(tally, item, error.reason)
            return None
        tally.adjust(item, built)
        return built

    def _settle(self, tally: _Round, flight: _Flight) -> None:
        """Act on how ``flight`` ended (protocol section 5): keep its verified receipt, set
        it aside when the township refuses it as it is, else mark it failed and raise."""
        item, side = flight.item, self._side
        try:
            answer = flight.future.result()
            receipt = _verify_receipt(tally.identity, answer, item, flight.built)
        except ItemError as error:
            self._set_aside(tally, item, error.reason)
            return
        except RefusedError as error:
            if error.code != "conflict" and error.status not in (413, 422):
                side.mark_failed(item.seq, error.code)
                raise
            self._set_aside(tally, item, error.code)
            return
        except TransportError as error:
            side.mark_failed(item.seq, error.code)
            raise
        side.mark_sent(item.seq, answer, receipt.township_number)
        tally.sent += 1
        tally.item_done()

    def _settle_quietly(self, tally: _Round, flights: deque[_Flight]) -> None:
        """After the push stopped: settle what is still travelling (a receipt that arrives
        is kept); an item the sender never finished stays sending, as after a dropped
        connection, for the next round."""
        while flights:
            try:
                self._settle(tally, flights.popleft())
            except Exception:  # noqa: BLE001 - the error that stopped the push is raised
                continue

    def _set_aside(self, tally: _Round, item: PendingItem, reason: str) -> None:
        self._side.quarantine(item.seq, reason)
        tally.set_aside(reason)
        tally.item_done()

    def _deliver(self, tally: _Round, built: BuiltEnvelope) -> bytes:
        """Upload the blobs the township lacks, post the envelope; its answer (on the sender
        thread: no store access here)."""
        wanted: Iterable[BlobSource] = built.blobs
        for _attempt in range(self._config.envelope_attempts):
            for blob in wanted:
                tally.check_cancel()
                self._upload(tally, blob)
            tally.check_cancel()
            try:
                return self._transport.post_envelope(built.data)
            except RefusedError as error:
                if error.code != "blobs_missing":
                    raise
                missing = set(error.fields.get("missing") or ())
                wanted = [blob for blob in built.blobs if blob.sha256 in missing]
        raise TransportError("blobs_missing")

    def _upload(self, tally: _Round, blob: BlobSource) -> None:
        """Send the part of ``blob`` the township lacks, in checked chunks (tus). Announcing
        the upload tells how much the township already holds: one request, not HEAD+POST."""
        offset = self._transport.create_blob(blob.sha256, blob.size)
        tally.skipped(min(offset, blob.size))
        if offset >= blob.size:
            return
        with blob.open() as source:
            self._send_from(tally, blob, source, offset)

    def _send_from(self, tally: _Round, blob: BlobSource, source: BinaryIO, offset: int) -> None:
        retries = 0
        while offset < blob.size:
            tally.check_cancel()
            source.seek(offset)
            chunk = source.read(min(self._config.chunk_size, blob.size - offset))
            if not chunk:
                raise ItemError("page_missing")
            try:
                new_offset = self._transport.upload_chunk(blob.sha256, offset, chunk)
            except RefusedError as error:
                retries += 1
                if error.code == "blob_digest_mismatch":
                    raise ItemError(error.code) from None
                if retries > self._config.offset_retries or error.code not in (
                        "offset_mismatch", "checksum_mismatch"):
                    raise
                if error.code == "offset_mismatch" and error.offset is not None:
                    tally.skipped(error.offset - offset)
                    offset = error.offset
                continue
            tally.sent_bytes(new_offset - offset)
            offset = new_offset

    def _pull(self, tally: _Round) -> None:
        """Apply events page by page until the township has no more (or a page moves
        nothing forward, which would otherwise repeat for ever)."""
        cursor = self._side.cursor()
        fetch = self._transport.download
        while True:
            tally.check_cancel()
            before = cursor
            page = self._transport.events(cursor, self._config.events_page)
            for data in page.events:
                cursor = self._apply(tally, data, cursor, fetch)
            if page.next > cursor:
                cursor = page.next
                self._side.set_cursor(cursor)
            if not page.more or cursor == before:
                return

    def _apply(self, tally: _Round, data: bytes, cursor: int, fetch: Fetch) -> int:
        identity = tally.identity
        try:
            event = read_event(data, identity.signing_key)
        except (MalformedError, SignatureError):
            raise TransportError("bad_event") from None
        if event.station != identity.station or event.cursor <= cursor:
            raise TransportError("bad_event")
        result = self._side.apply_event(event, data, fetch)
        if result is EventResult.APPLIED:
            tally.applied += 1
        elif result is EventResult.QUARANTINED:
            tally.events_quarantined += 1
        self._side.set_cursor(event.cursor)
        return event.cursor

    def _heartbeat(self) -> None:
        facts = dict(self._side.heartbeat())
        facts["last_error"] = self.last_error
        self._transport.heartbeat(facts)

    def _reconcile(self, tally: _Round) -> None:
        state = self._side.ledger()
        entries = state.entries
        ledger = Ledger(
            station=tally.identity.station,
            highest_seq=max((e.seq for e in entries), default=0),
            count=len(entries),
            digest=ledger_digest(entries),
            entries=tuple(e for e in entries if e.seq > state.through),
        )
        answer = self._transport.ledger(make_ledger(ledger, tally.identity.key))
        tally.requeued += self._side.requeue(answer.missing)
        if answer.mismatched:
            self._side.flag_mismatched(answer.mismatched)
        tally.mismatched += list(answer.mismatched)
        self._side.set_ledger_through(answer.through)


@dataclass(frozen=True)
class _Flight:
    """An item handed to the sender thread: its envelope and how its delivery ends."""

    item: PendingItem
    built: BuiltEnvelope
    future: Future[bytes]


class _Round:
    """Counts and progress of one round, and whether it was asked to stop. Progress is
    counted from the round's thread and the sender's, under a lock."""

    def __init__(self, identity: Identity, report: Callable[[Progress], None],
                 cancel: threading.Event) -> None:
        self.identity = identity
        self._report = report
        self._cancel = cancel
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self.sent = self.quarantined = self.applied = self.events_quarantined = 0
        self.requeued: list[int] = []
        self.mismatched: list[int] = []
        self.last_refusal: str | None = None
        self._bytes = self._total = self._done = self._items = 0

    @property
    def cancel(self) -> threading.Event:
        """Set when the round is asked to stop."""
        return self._cancel

    def check_cancel(self) -> None:
        """Raises _CancelledError once the round was asked to stop, or its push stopped."""
        if self._cancel.is_set() or self._abort.is_set():
            raise _CancelledError()

    def abort(self) -> None:
        """Stop the sender at its next item or chunk (the push ended early)."""
        self._abort.set()

    def start_push(self, items: Sequence[PendingItem]) -> None:
        with self._lock:
            self._abort.clear()
            self._bytes = self._done = 0
            self._items = len(items)
            self._total = sum(item.upload_bytes for item in items)
            self._emit()

    def adjust(self, item: PendingItem, built: BuiltEnvelope) -> None:
        """Replace the item's estimate by the size of the blobs its envelope names."""
        with self._lock:
            self._total += sum(blob.size for blob in built.blobs) - item.upload_bytes

    def sent_bytes(self, n: int) -> None:
        with self._lock:
            self._bytes += n
            self._emit()

    skipped = sent_bytes

    def item_done(self) -> None:
        with self._lock:
            self._done += 1
            self._emit()

    def set_aside(self, reason: str) -> None:
        self.quarantined += 1
        self.last_refusal = reason

    def _emit(self) -> None:
        self._report(Progress(self._bytes, self._total, self._done, self._items))


def _verify_receipt(identity: Identity, data: bytes, item: PendingItem,
                    built: BuiltEnvelope) -> Receipt:
    """The receipt in ``data`` if it verifies and names this very item. Raises
    TransportError: ``unexpected_answer`` for anything that is not a receipt (a captive
    portal's page), ``bad_receipt`` for a receipt that does not verify or names another."""
    try:
        receipt = read_receipt(data, identity.signing_key)
    except MalformedError:
        raise TransportError("unexpected_answer") from None
    except SignatureError:
        raise TransportError("bad_receipt") from None
    expected = (identity.station, item.seq, item.case, item.revision, built.digest)
    found = (receipt.station, receipt.seq, receipt.case, receipt.revision,
             receipt.envelope_sha256)
    if found != expected:
        raise TransportError("bad_receipt")
    return receipt


def _refused_status(error: RefusedError) -> RoundStatus:
    if error.status == 401:
        return RoundStatus.STATION_REFUSED
    if error.status == 426:
        return RoundStatus.TOO_OLD
    return RoundStatus.FAILED
