"""Stopping sync in the middle of a round (the window closing, another agent taking over):
the round ends after the request in flight, before its next item, blob chunk or event page,
as ``cancelled``; the next round finishes the interrupted item once. Real station, real
township, a slow link in between (tests/sync/faultproxy.py); what was sent is measured,
never the time it took."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import requests

from station import syncstate
from station.lifecycle import CaseState
from station.models import Case, OutboxItem
from station.outbox import ItemState, in_flight
from station.syncside import StationSyncSide
from sync.engine import RoundOutcome, RoundStatus, SyncConfig, SyncEngine, SyncRunner
from sync.transport import Transport, TransportConfig
from tests.sync.conftest import CONFIG, engine_at, queue_case
from tests.sync.faultproxy import Fault, FaultProxy, Plan, Request

SLOW = Plan(Fault.DELAY, seconds=0.02)  # a slow 4G link; the tests never depend on it


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _patched(proxy: FaultProxy) -> list[int]:
    """The body sizes of the blob chunks that went through ``proxy``."""
    return [request.body_size for request, _plan in proxy.seen if request.method == "PATCH"]


def _posted_envelopes(proxy: FaultProxy) -> int:
    return sum(1 for request, _plan in proxy.seen if request.path.endswith("/envelopes"))


def _blob_bytes(session) -> int:  # noqa: ANN001
    """What the page files of the station's built envelopes weigh."""
    [item] = StationSyncSide(session).pending()
    return item.upload_bytes


def _stop_at(method: str, nth: int, stop: Callable[[], None]) -> Callable[[Request], Plan]:
    """A slow link that asks to stop when the ``nth`` ``method`` request arrives (that request
    still goes through)."""
    seen = []

    def plan(request: Request) -> Plan:
        if request.method == method:
            seen.append(request)
            if len(seen) == nth:
                stop()
        return SLOW

    return plan


def test_stop_ends_the_round_after_the_chunk_in_flight(enrolled, township, matter, applicant,
                                                       pages) -> None:
    case = queue_case(enrolled, matter, applicant, pages)
    total = _blob_bytes(enrolled)
    outcomes: list[RoundOutcome] = []
    asked = threading.Event()
    runner: SyncRunner | None = None

    def close_the_window() -> None:
        runner.stop(timeout=0)  # the agent closes the window while the chunk travels
        asked.set()

    with FaultProxy(_port(township.url), _stop_at("PATCH", 2, close_the_window)) as proxy:
        runner = SyncRunner(engine_at(enrolled, proxy.url), config=CONFIG,
                            on_outcome=outcomes.append)
        runner.start()
        asked.wait()
        runner.stop()
        assert [(o.status, o.sent, o.error) for o in outcomes] == [
            (RoundStatus.CANCELLED, 0, None)]
        assert _patched(proxy) == [CONFIG.chunk_size] * 2 and _posted_envelopes(proxy) == 0
        assert sum(_patched(proxy)) < total
        item = OutboxItem.get(OutboxItem.seq == 1)
        assert (item.state, item.last_error) == (ItemState.SENDING, None)
        assert syncstate.stored_envelope(item) is not None and in_flight(case)
        first = len(proxy.seen)
        proxy.planner = lambda _request: SLOW
        again = engine_at(enrolled, proxy.url).run_round()
        assert (again.status, again.sent) == (RoundStatus.OK, 1)
        assert sum(_patched(proxy)) == total and _posted_envelopes(proxy) == 1
        assert len(proxy.seen) > first
    assert Case.get_by_id(case.id).state == CaseState.UPLOADED
    station = syncstate.require_enrolment().station_id
    assert township.service.overview.figures(station).received == 1


def test_a_cancelled_round_stops_between_items(enrolled, township, matter, applicant,
                                               pages) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages[:1]) for _ in range(3)]
    cancel = threading.Event()
    with FaultProxy(_port(township.url), _stop_at("POST", 2, cancel.set)) as proxy:
        # POSTs: the first blob's announcement, then the first envelope.
        outcome = engine_at(enrolled, proxy.url).run_round(cancel=cancel)
        assert (outcome.status, outcome.sent) == (RoundStatus.CANCELLED, 1)
        assert _posted_envelopes(proxy) == 1
    assert [Case.get_by_id(case.id).state for case in cases] == [
        CaseState.UPLOADED, CaseState.QUEUED, CaseState.QUEUED]
    # The second item was prepared while the first travelled: it stays sending with its
    # kept envelope, as an interrupted item does; the third was never touched.
    items = list(OutboxItem.select().order_by(OutboxItem.seq))
    assert [item.state for item in items] == [
        ItemState.SENT, ItemState.SENDING, ItemState.PENDING]
    assert [syncstate.stored_envelope(item) is not None for item in items] == [
        True, True, False]
    assert engine_at(enrolled, township.url).run_round().sent == 2


def test_a_cancelled_round_stops_between_event_pages(enrolled, township, matter, applicant,
                                                     pages, clock) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages[:1]) for _ in range(3)]
    assert engine_at(enrolled, township.url).run_round().sent == 3
    synced = syncstate.last_synced()
    clock.advance(timedelta(hours=1))
    station = syncstate.require_enrolment().station_id
    for case in cases:
        township.service.decisions.accept(station, case.uuid)
    cancel = threading.Event()
    paged = SyncConfig(chunk_size=CONFIG.chunk_size, events_page=1)
    with FaultProxy(_port(township.url), _stop_at("GET", 2, cancel.set)) as proxy:
        # GETs: hello, then the first page of events.
        outcome = engine_at(enrolled, proxy.url, paged).run_round(cancel=cancel)
    assert (outcome.status, outcome.events_applied) == (RoundStatus.CANCELLED, 1)
    assert syncstate.counter(syncstate.EVENTS_CURSOR) == 1
    assert syncstate.last_synced() == synced
    again = engine_at(enrolled, township.url, paged).run_round()
    assert (again.status, again.events_applied) == (RoundStatus.OK, 2)
    assert {Case.get_by_id(case.id).state for case in cases} == {CaseState.ACCEPTED}


def test_the_runner_closes_the_engines_connections_when_it_stops(enrolled, township) -> None:
    http = requests.Session()
    engine = SyncEngine(StationSyncSide(enrolled), Transport(TransportConfig(township.url),
                                                             http), CONFIG)
    pooled: list[int] = []
    done = threading.Event()

    def report(outcome: RoundOutcome) -> None:
        pooled.append(len(http.get_adapter(township.url).poolmanager.pools))
        done.set()

    runner = SyncRunner(engine, config=CONFIG, on_outcome=report)
    runner.start()
    done.wait()
    runner.stop()
    assert pooled == [1]
    assert len(http.get_adapter(township.url).poolmanager.pools) == 0
