"""Sync through a misbehaving network (``docs/protocol.md`` section 5): a proxy between a
real station and a real township drops connections (before forwarding, or mid-body),
answers 500/502/503, cuts answers short after the township acted, delays past the
station's timeout and plays a captive portal, on every kind of request. Rounds run until
the queue drains; then every case is at the township exactly once, every receipt verifies
and names its item, nothing is pending, the ledger agrees with no gaps, the accepted
cases were applied once and a chunk that broke off cost at most one chunk again.

"Cut short after the township acted" (TRUNCATE) also stands for an answer lost on the way
back: the proxy has no fault that forwards and then sends nothing, and to the station a
receipt cut in half is no receipt. The helpers :class:`Delivered`, :func:`delivered` and
:func:`check_delivered` are shared with the SIGKILL harness (``test_sync_crash.py``).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pytest
from peewee import JOIN

from station import syncstate
from station.models import Case, OutboxItem, Receipt
from station.sync_models import SyncEnvelope
from station.syncside import StationSyncSide
from sync.engine import RoundOutcome, SyncEngine
from sync.messages import read_receipt
from sync.signed import unverified
from sync.township import models as held
from sync.transport import Transport, TransportConfig
from tests.sync.conftest import CONFIG, engine_at, queue_case
from tests.sync.faultproxy import Fault, FaultProxy, Plan, Request
from tests.township.server import RunningTownship

ACCEPTED = 3  # cases sent before the faults start, whose acceptance comes back through them
CASES = 10  # cases sent through the faults
# Only the scenario with late answers shortens the station's read timeout: an ordinary
# answer never comes that late, so a timeout there is the planned one.
READ_TIMEOUT = 1.0
LATE = 2.0  # a delay past READ_TIMEOUT: the township acts after the station gave up
KINDS = ("hello", "create", "chunk", "envelope", "events", "heartbeat", "ledger")
# Which occurrence of each kind a fault hits: mid-stream, not only the first request.
AT = {"hello": 1, "create": 3, "chunk": 4, "envelope": 2, "events": 1, "heartbeat": 1,
      "ledger": 1}
_PATHS = {"hello": "hello", "blobs": "create", "envelopes": "envelope", "events": "events",
          "heartbeat": "heartbeat", "ledger": "ledger"}


def kind_of(request: Request) -> str:
    """The protocol request a proxied request is: one of KINDS."""
    if request.method == "PATCH":
        return "chunk"
    return _PATHS[request.path.split("?")[0].removeprefix("/api/v1/")]


class Schedule:
    """A planner for FaultProxy: the fault for the n-th request of a kind (``any`` counts
    every request); records the kind each fault hit."""

    def __init__(self, faults: Mapping[tuple[str, int], Plan]) -> None:
        self.faults = dict(faults)
        self.fired: dict[tuple[str, int], str] = {}
        self._counts: Counter[str] = Counter()
        self._late_until = 0.0

    def __call__(self, request: Request) -> Plan:
        kind = kind_of(request)
        self._counts.update([kind, "any"])
        for key in ((kind, self._counts[kind]), ("any", self._counts["any"])):
            if key in self.faults:
                self.fired[key] = kind
                return self._note(self.faults[key])
        return Plan()

    def _note(self, plan: Plan) -> Plan:
        if plan.fault is Fault.DELAY:
            self._late_until = max(self._late_until, time.monotonic() + plan.seconds)
        return plan

    def settle(self) -> None:
        """Wait until every delayed request has been passed on (they outlive the round)."""
        time.sleep(max(0.0, self._late_until + 0.2 - time.monotonic()))


def _each_kind(*plans: Plan) -> dict[tuple[str, int], Plan]:
    """``plans`` on consecutive requests of each kind, from its occurrence in AT."""
    return {(kind, AT[kind] + n): plan for kind in KINDS for n, plan in enumerate(plans)}


_LATE = Plan(Fault.DELAY, seconds=LATE)
_ROTATION = (Plan(Fault.DROP), Plan(Fault.DROP_MID_BODY), Plan(Fault.STATUS, status=502),
             Plan(Fault.TRUNCATE), Plan(Fault.PORTAL), Plan(Fault.DELAY, seconds=0.05),
             Plan(Fault.STATUS, status=500))
SCENARIOS = {
    "500, 502, 503 on each kind": _each_kind(*(Plan(Fault.STATUS, status=status)
                                               for status in (500, 502, 503))),
    "dropped before forwarding, each kind": _each_kind(Plan(Fault.DROP)),
    "dropped mid-body, each kind": _each_kind(Plan(Fault.DROP_MID_BODY)),
    "answer cut short after the township acted, each kind": _each_kind(Plan(Fault.TRUNCATE)),
    "captive portal, each kind": _each_kind(Plan(Fault.PORTAL)),
    "chunks of one blob dropped mid-body twice": {
        ("chunk", 2): Plan(Fault.DROP_MID_BODY), ("chunk", 3): Plan(Fault.DROP_MID_BODY)},
    "first and tenth receipts lost after the township stored them": {
        ("envelope", 1): Plan(Fault.TRUNCATE), ("envelope", 10): Plan(Fault.TRUNCATE)},
    "chunk and envelope answered after the station gave up": {
        ("chunk", 5): _LATE, ("envelope", 3): _LATE},
    "a fault every sixth request, delays among them": {
        ("any", n): _ROTATION[n // 6 % len(_ROTATION)] for n in range(3, 48, 6)},
}


@dataclass(frozen=True)
class Delivered:
    """An outbox item as the station holds it (no personal data)."""

    seq: int
    case: str
    revision: int
    state: str
    envelope_sha256: str | None
    receipt: bytes | None
    blobs: tuple[str, ...]


def delivered() -> list[Delivered]:
    """Every outbox item of the open station store, in sequence order."""
    query = (OutboxItem.select(OutboxItem.seq, Case.uuid, OutboxItem.revision,
                               OutboxItem.state, SyncEnvelope.digest, SyncEnvelope.data,
                               Receipt.body)
             .join(Case).switch(OutboxItem)
             .join(SyncEnvelope, JOIN.LEFT_OUTER, on=SyncEnvelope.outbox_item == OutboxItem.id)
             .join(Receipt, JOIN.LEFT_OUTER, on=Receipt.outbox_item == OutboxItem.id)
             .order_by(OutboxItem.seq).tuples())
    return [Delivered(seq, case, revision, state, digest,
                      None if receipt is None else bytes(receipt), _blobs(envelope))
            for seq, case, revision, state, digest, envelope, receipt in query]


def _blobs(envelope: bytes | None) -> tuple[str, ...]:
    if envelope is None:
        return ()
    return tuple(ref["sha256"] for ref in unverified(bytes(envelope), "envelope")["blobs"])


def check_delivered(township: RunningTownship, station: str, items: Sequence[Delivered],
                    new: Sequence[Delivered] | None = None) -> None:
    """Every item sent with the very receipt the township keeps for it; the township holding
    each (station, seq) and each case revision exactly once, with no gap and a ledger agreed
    through the last sequence. Of ``new`` (default: every item), each receipt verifies
    against the township's key and names its item, and each page file is whole."""
    assert [item.state for item in items] == ["sent"] * len(items)
    rows = (held.Envelope.select(held.Envelope, held.Case).join(held.Case)
            .where(held.Envelope.station == station).order_by(held.Envelope.seq))
    assert [(row.seq, row.case.case_uuid, row.revision, row.digest, bytes(row.receipt))
            for row in rows] == [(item.seq, item.case, item.revision, item.envelope_sha256,
                                  item.receipt) for item in items]
    cases = held.Case.select().where(held.Case.station == station).count()
    assert cases == len({item.case for item in items})
    figures = township.service.overview.figures(station)
    assert (figures.received, figures.gaps, figures.missing, figures.mismatched,
            figures.ledger_through) == (len(items), (), (), (), len(items))
    new = items if new is None else new
    _check_receipts(township, station, new)
    _check_blobs(township, station, {sha for item in new for sha in item.blobs})


def _check_receipts(township: RunningTownship, station: str,
                    items: Iterable[Delivered]) -> None:
    key = township.service.keys.signing.public_key()
    for item in items:
        receipt = read_receipt(item.receipt, key)
        assert (receipt.station, receipt.seq, receipt.case, receipt.revision,
                receipt.envelope_sha256) == (station, item.seq, item.case, item.revision,
                                             item.envelope_sha256)


def _check_blobs(township: RunningTownship, station: str, names: set[str]) -> None:
    rows = held.Blob.select().where(held.Blob.station == station,
                                    held.Blob.sha256.in_(list(names)))
    assert {row.sha256 for row in rows if row.complete and row.offset == row.size} == names
    for name in names:
        with township.service.context.blobs.open(station, name) as handle:
            assert hashlib.file_digest(handle, "sha256").hexdigest() == name


@dataclass
class _Setup:
    station: str
    accepted: list[Case]
    queued: list[Case]


@pytest.fixture
def setup(enrolled, township, matter, applicant, pages) -> _Setup:  # noqa: ANN001
    """ACCEPTED cases already sent and accepted (their events wait), CASES queued; each
    case with one page file that travels in three chunks."""
    station = StationSyncSide(enrolled).identity().station
    early = [queue_case(enrolled, matter, applicant, pages[:1]) for _ in range(ACCEPTED)]
    assert engine_at(enrolled, township.url).run_round().sent == ACCEPTED
    for case in early:
        township.service.decisions.accept(station, case.uuid)
    queued = [queue_case(enrolled, matter, applicant, pages[:1]) for _ in range(CASES)]
    return _Setup(station, early, queued)


def _drain(engine: SyncEngine, rounds: int) -> list[RoundOutcome]:
    """Rounds until one succeeds (bounded); each fault fails at most one round."""
    outcomes = []
    while len(outcomes) < rounds and not (outcomes and outcomes[-1].ok):
        outcomes.append(engine.run_round())
    return outcomes


def _patched(proxy: FaultProxy) -> int:
    return sum(request.body_size for request, _plan in proxy.seen if request.method == "PATCH")


@pytest.mark.parametrize("faults", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_every_case_arrives_once_through_a_faulty_network(
        enrolled, township, setup: _Setup, faults: dict[tuple[str, int], Plan]) -> None:
    schedule = Schedule(faults)
    port = int(township.url.rsplit(":", 1)[1])
    with FaultProxy(port, schedule) as proxy:
        late = _LATE in faults.values()
        transport = Transport(TransportConfig(proxy.url, read_timeout=READ_TIMEOUT) if late
                              else TransportConfig(proxy.url))
        engine = SyncEngine(StationSyncSide(enrolled), transport, CONFIG)
        outcomes = _drain(engine, rounds=len(faults) + 3)
        quiet = engine.run_round()
        engine.close()
        schedule.settle()
    assert outcomes[-1].ok, [outcome.error for outcome in outcomes]
    assert set(schedule.fired) == set(faults)
    assert (quiet.ok, quiet.sent, quiet.events_applied, quiet.requeued) == (True, 0, 0, ())
    items = delivered()
    check_delivered(township, setup.station, items)
    _check_station(enrolled, setup, items)
    payload = sum(held.Blob.get(held.Blob.station == setup.station, held.Blob.sha256 == sha).size
                  for item in items[ACCEPTED:] for sha in item.blobs)
    # A chunk costs again at most once per fault on a chunk or round cut by a timeout.
    broken = list(schedule.fired.values()).count("chunk") + sum(
        outcome.error == "timeout" for outcome in outcomes)
    assert payload <= _patched(proxy) <= payload + broken * CONFIG.chunk_size


def _check_station(session, setup: _Setup, items: list[Delivered]) -> None:  # noqa: ANN001
    """Nothing pending, the ledger agreed through the last item, each acceptance applied
    once."""
    assert StationSyncSide(session).pending() == []
    assert syncstate.counter(syncstate.LEDGER_THROUGH) == items[-1].seq
    assert [Case.get_by_id(c.id).state for c in setup.accepted + setup.queued] == (
        ["accepted"] * ACCEPTED + ["uploaded"] * CASES)
    assert [e.cursor for e in syncstate.received_events()] == list(range(1, ACCEPTED + 1))
