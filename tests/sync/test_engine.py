"""The sync engine end to end: a real station (SQLCipher store, page files) and a real
township on 127.0.0.1. Cases travel with their pages and come back decided."""

from __future__ import annotations

import hashlib
import os
import threading
import tracemalloc
from datetime import timedelta

from station import syncstate
from station.lifecycle import CaseState
from station.models import Case, OutboxItem, Receipt, SupplementItem
from station.outbox import ItemState
from station.syncside import StationSyncSide, engine_for
from station.ui.presenters.home import sync_status
from sync.engine import Progress, RoundOutcome, RoundStatus, SyncRunner
from sync.messages import read_receipt
from sync.township.decisions import MissingItem, ResultUpload
from tests.sync.conftest import engine_at, queue_case

SIZE_MB = 40


def _station(session) -> str:  # noqa: ANN001
    with session.db.atomic():
        return syncstate.require_enrolment().station_id


def _states(cases: list[Case]) -> list[str]:
    return [Case.get_by_id(case.id).state for case in cases]


def test_fifty_cases_reach_the_township_with_their_pages(enrolled, township, matter, applicant,
                                                         pages) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages[:1]) for _ in range(50)]
    progress: list[Progress] = []
    outcome = engine_for(enrolled).run_round(progress.append)
    assert (outcome.status, outcome.sent, outcome.quarantined) == (RoundStatus.OK, 50, 0)
    assert set(_states(cases)) == {CaseState.UPLOADED}
    pinned = StationSyncSide(enrolled).identity().signing_key
    for item in OutboxItem.select().order_by(OutboxItem.seq):
        receipt = read_receipt(bytes(Receipt.get(Receipt.outbox_item == item).body), pinned)
        assert (receipt.seq, receipt.case, receipt.envelope_sha256) == (
            item.seq, item.case.uuid, syncstate.stored_envelope(item).digest)
    assert (progress[-1].items_done, progress[-1].items_total) == (50, 50)
    assert progress[-1].bytes_sent == progress[-1].bytes_total > 50 * 40_000
    detail = township.service.overview.case(_station(enrolled), cases[7].uuid)
    assert detail.content["case"]["local_number"] == cases[7].local_number
    assert detail.content["applicant"]["id_number"] == "11010519491231002X"
    figures = township.service.overview.figures(_station(enrolled))
    assert (figures.received, figures.ledger_through, figures.missing) == (50, 50, ())


def test_an_item_waits_for_the_earlier_item_of_its_case(enrolled, township, matter, applicant,
                                                       pages) -> None:
    """The next item is prepared while one travels, but not one of the same case: the
    material brought later is built after the submission's receipt made the case uploaded,
    as a one-by-one push would build it."""
    case = queue_case(enrolled, matter, applicant, pages[:1])
    enrolled.materials.receive_deferred(case.uuid, "hukou", pages[1:])
    queue_case(enrolled, matter, applicant, pages[:1])
    assert engine_at(enrolled, township.url).run_round().sent == 3
    detail = township.service.overview.case(_station(enrolled), case.uuid)
    assert [(e.seq, e.kind) for e in detail.envelopes] == [(1, "submission"), (2, "materials")]
    assert detail.content["case"]["state"] == CaseState.UPLOADED
    assert detail.content["transitions"][-1]["to"] == CaseState.UPLOADED


def test_a_second_round_has_nothing_to_send(enrolled, township, matter, applicant,
                                           pages) -> None:
    queue_case(enrolled, matter, applicant, pages)
    engine = engine_for(enrolled)
    assert engine.run_round().sent == 1
    again = engine.run_round()
    assert (again.status, again.sent, again.events_applied) == (RoundStatus.OK, 0, 0)


def test_township_decisions_are_applied_once_even_when_pulled_twice(
        enrolled, township, matter, applicant, pages) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages) for _ in range(4)]
    engine = engine_at(enrolled, township.url)
    engine.run_round()
    station, decide = _station(enrolled), township.service.decisions
    result = b"%PDF-1.7 decision " * 500
    decide.accept(station, cases[0].uuid)
    decide.return_case(station, cases[1].uuid, "材料不全",
                       [MissingItem("hukou", "户口簿", "缺户主页")])
    decide.refuse(station, cases[2].uuid, "不符合条件")
    decide.accept(station, cases[3].uuid)
    decide.complete(station, cases[3].uuid, True, "准予办理",
                    ResultUpload("决定书.pdf", "application/pdf", result))
    decide.message(station, "请于周五前补齐材料", cases[1].uuid)
    outcome = engine.run_round()
    assert (outcome.status, outcome.events_applied, outcome.events_quarantined) == (
        RoundStatus.OK, 6, 0)
    expected = ["accepted", "returned", "refused", "completed"]
    assert _states(cases) == expected
    with enrolled.db.atomic():
        syncstate.set_counter(syncstate.EVENTS_CURSOR, 0, enrolled.ctx.clock.now())
    again = engine.run_round()
    assert (again.events_applied, again.events_quarantined) == (0, 0)
    assert _states(cases) == expected
    assert SupplementItem.select().count() == 1
    [stored] = syncstate.result_files(Case.get_by_id(cases[3].id))
    plain = b"".join(enrolled.blobs.open(stored.blob_name, bytes(stored.blob_key)))
    assert hashlib.sha256(plain).hexdigest() == hashlib.sha256(result).hexdigest()
    [message] = syncstate.received_events(kind="message")
    assert message.payload["text"] == "请于周五前补齐材料"


def test_an_identical_resend_gets_the_same_receipt(enrolled, township, matter, applicant,
                                                   pages) -> None:
    queue_case(enrolled, matter, applicant, pages)
    engine = engine_at(enrolled, township.url)
    engine.run_round()
    first = bytes(Receipt.get().body)
    township.service.decisions.request_resend(_station(enrolled), [1])
    outcome = engine.run_round()
    assert (outcome.status, outcome.events_applied, outcome.sent) == (RoundStatus.OK, 1, 1)
    assert bytes(Receipt.get().body) == first
    assert township.service.overview.figures(_station(enrolled)).received == 1


def test_a_seq_the_township_lacks_is_sent_again(enrolled, township, matter, applicant,
                                                pages) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages) for _ in range(3)]
    engine = engine_at(enrolled, township.url)
    engine.run_round()
    _lose_at_the_township(cases[1])
    with enrolled.db.atomic():
        syncstate.set_counter(syncstate.LEDGER_THROUGH, 0, enrolled.ctx.clock.now())
    outcome = engine.run_round()
    assert (outcome.status, outcome.requeued, outcome.sent) == (RoundStatus.OK, (2,), 1)
    assert township.service.overview.case(_station(enrolled), cases[1].uuid)
    assert engine.run_round().requeued == ()
    assert township.service.overview.figures(_station(enrolled)).ledger_through == 3
    assert OutboxItem.get(OutboxItem.seq == 2).state == ItemState.SENT


def test_the_last_sync_is_the_last_round_that_succeeded(enrolled, township, relay, matter,
                                                       applicant, pages, clock) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages) for _ in range(2)]
    assert syncstate.last_synced() is None
    assert engine_at(enrolled, township.url).run_round().sent == 2
    synced = clock.now()
    assert syncstate.last_synced() == sync_status(enrolled).last_sync == synced
    _lose_at_the_township(cases[1])
    with enrolled.db.atomic():
        syncstate.set_counter(syncstate.LEDGER_THROUGH, 0, enrolled.ctx.clock.now())
    clock.advance(timedelta(hours=1))
    # The ledger is reached and re-queues the lost item, whose resend then fails.
    broken = relay(lambda method, path, body: (503, {}, b"") if path.endswith("/envelopes")
                   else None)
    outcome = engine_at(enrolled, broken.url).run_round()
    assert (outcome.status, outcome.requeued, outcome.error) == (
        RoundStatus.FAILED, (2,), "server_error")
    assert syncstate.counter(syncstate.LEDGER_THROUGH) == 1
    assert syncstate.last_synced() == sync_status(enrolled).last_sync == synced
    assert engine_at(enrolled, township.url).run_round().ok
    assert syncstate.last_synced() == clock.now() > synced


def _lose_at_the_township(case: Case) -> None:
    """The township loses what it held of ``case`` (a restored backup, say)."""
    from sync.township import models as township_models

    lost = township_models.Case.get(township_models.Case.case_uuid == case.uuid)
    township_models.Envelope.delete().where(township_models.Envelope.case == lost).execute()
    lost.delete_instance()


def test_the_runner_syncs_in_the_background(enrolled, township, matter, applicant,
                                            pages) -> None:
    case = queue_case(enrolled, matter, applicant, pages)
    done = threading.Semaphore(0)
    seen: list[RoundOutcome] = []

    def report(outcome: RoundOutcome) -> None:
        seen.append(outcome)
        done.release()

    runner = SyncRunner(engine_at(enrolled, township.url), on_outcome=report)
    runner.start()
    done.acquire()
    runner.stop()
    assert [(o.status, o.sent) for o in seen] == [(RoundStatus.OK, 1)]
    assert Case.get_by_id(case.id).state == CaseState.UPLOADED


def test_a_large_page_is_never_held_whole_in_memory(enrolled, township, matter, applicant,
                                                    tmp_path) -> None:
    big = tmp_path / "big.pdf"
    with open(big, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        for _ in range(SIZE_MB):
            handle.write(os.urandom(1024 * 1024))
    queue_case(enrolled, matter, applicant, [big])
    engine = engine_for(enrolled)
    tracemalloc.start()
    try:
        outcome = engine.run_round()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (outcome.status, outcome.sent) == (RoundStatus.OK, 1)
    assert peak < SIZE_MB * 1024 * 1024
