"""The outbox: gap-free sequence numbers, settling items, and nothing half-done on failure."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from peewee import IntegrityError

from station.audit import AuditLog
from station.cases import EvaluationLevel, EvaluationStage, StatusEvent
from station.lifecycle import Transition
from station.models import Case, CaseTransition, Evaluation, OutboxItem, Receipt
from station.outbox import ItemKind, ItemState, Outbox, OutboxStateError
from tests.station.conftest import COMPLETE_ANSWERS


def _queued(session, matter, applicant, scans) -> Case:
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:1])
    session.materials.defer(case.uuid, "hukou", date(2026, 12, 1))
    return session.cases.submit(case.uuid, matter)


def _township(session, case: Case, *steps: Transition) -> None:
    for step in steps:
        event = StatusEvent(f"{case.uuid}-{step}", step, result_text="准予", approved=True)
        session.cases.apply_status_event(case.uuid, event)


@pytest.fixture
def outbox(session) -> Outbox:
    return session.ctx.outbox


@pytest.fixture
def items(session, matter, applicant, scans) -> list[OutboxItem]:
    """Four pending items of four cases, in sequence order."""
    for _ in range(4):
        _queued(session, matter, applicant, scans)
    return list(OutboxItem.select().order_by(OutboxItem.seq))


def _row(item: OutboxItem) -> tuple:
    row = OutboxItem.get_by_id(item.id)
    return row.state, row.attempts, row.last_error, row.updated_at


def test_sequence_never_repeats_or_skips(session, matter, applicant, scans) -> None:
    first = _queued(session, matter, applicant, scans)
    session.cases.record_evaluation(first.uuid, EvaluationStage.INTAKE, EvaluationLevel.SATISFIED)
    second = _queued(session, matter, applicant, scans)
    session.cases.withdraw(second.uuid, "申请人撤回")
    _township(session, first, Transition.UPLOAD, Transition.ACCEPT, Transition.COMPLETE)
    session.cases.record_delivery(first.uuid)
    session.cases.record_evaluation(first.uuid, EvaluationStage.DELIVERY, "very_satisfied")
    session.cases.close(first.uuid)
    items = OutboxItem.select().order_by(OutboxItem.seq)
    rows = [(i.seq, i.case.uuid, i.revision, i.kind) for i in items]
    assert rows == [
        (1, first.uuid, 1, "submission"),
        (2, first.uuid, 2, "evaluation"),
        (3, second.uuid, 1, "submission"),
        (4, second.uuid, 2, "withdrawal"),
        (5, first.uuid, 3, "delivery"),
        (6, first.uuid, 4, "evaluation"),
    ]
    assert (Case.get_by_id(first.id).revision, Case.get_by_id(second.id).revision) == (4, 2)
    assert Outbox.last_seq() == 6


def test_no_sequence_before_the_first_item(session) -> None:
    assert Outbox.last_seq() == 0
    assert Outbox.pending() == [] and Outbox.counts() == {}


def test_pending_in_sequence_order_with_sending_items(outbox, items) -> None:
    outbox.mark_sending(items[2])
    outbox.mark_sending(items[0])
    outbox.mark_sent(items[0], body=b"receipt", township_number="T-1")
    outbox.quarantine(items[1], "malformed")
    assert [i.seq for i in Outbox.pending()] == [3, 4]
    assert [i.state for i in Outbox.pending()] == ["sending", "pending"]
    assert [i.seq for i in Outbox.pending(limit=1)] == [3]


def test_send_attempts_fail_then_succeed(session, outbox, items, clock) -> None:
    item = items[0]
    outbox.mark_sending(item)
    assert _row(item) == ("sending", 1, None, clock.now())
    assert (item.state, item.attempts) == ("sending", 1)
    clock.advance(timedelta(minutes=5))
    outbox.mark_failed(item, "timeout")
    assert _row(item) == ("pending", 1, "timeout", clock.now())
    clock.advance(timedelta(minutes=5))
    outbox.mark_sending(item)
    assert _row(item) == ("sending", 2, "timeout", clock.now())
    receipt = outbox.mark_sent(item, body=b"\x00signed receipt\xff", township_number="XZ-0042")
    assert _row(item) == ("sent", 2, None, clock.now())
    stored = Receipt.get(Receipt.outbox_item == item)
    assert stored.id == receipt.id
    assert (bytes(stored.body), stored.township_number, stored.received_at) == (
        b"\x00signed receipt\xff", "XZ-0042", clock.now()
    )


def test_quarantine_sets_an_item_aside(outbox, items) -> None:
    outbox.mark_sending(items[0])
    outbox.quarantine(items[0], "schema rejected")
    assert _row(items[0])[:3] == ("quarantined", 1, "schema rejected")
    assert Receipt.select().count() == 0


SETTLE = {
    "sent": lambda o, i: o.mark_sent(i, body=b"r", township_number=None),
    "quarantined": lambda o, i: o.quarantine(i, "bad"),
}
MOVES = {
    "mark_sending": lambda o, i: o.mark_sending(i),
    "mark_failed": lambda o, i: o.mark_failed(i, "late"),
    "mark_sent": lambda o, i: o.mark_sent(i, body=b"again", township_number="T-2"),
    "quarantine": lambda o, i: o.quarantine(i, "late"),
}


@pytest.mark.parametrize("settle", SETTLE.values(), ids=SETTLE.keys())
@pytest.mark.parametrize("move", MOVES.values(), ids=MOVES.keys())
@pytest.mark.parametrize("stale", [False, True], ids=["same-object", "stale-copy"])
def test_a_settled_item_cannot_move(outbox, items, clock, settle, move, stale) -> None:
    copy = OutboxItem.get_by_id(items[0].id)
    outbox.mark_sending(items[0])
    settle(outbox, items[0])
    before = (_row(items[0]), [bytes(r.body) for r in Receipt.select()])
    clock.advance(timedelta(minutes=1))
    with pytest.raises(OutboxStateError):
        move(outbox, copy if stale else items[0])
    assert (_row(items[0]), [bytes(r.body) for r in Receipt.select()]) == before


def test_a_failed_receipt_leaves_the_item_unsettled(outbox, items) -> None:
    outbox.mark_sending(items[0])
    with pytest.raises(IntegrityError):
        outbox.mark_sent(items[0], body=None, township_number="T-1")
    assert _row(items[0])[0] == items[0].state == "sending"
    assert Receipt.select().count() == 0
    outbox.mark_sent(items[0], body=b"r", township_number="T-1")
    assert _row(items[0])[0] == "sent"


def test_counts(outbox, items) -> None:
    outbox.mark_sending(items[0])
    outbox.mark_sending(items[1])
    outbox.mark_sent(items[1], body=b"r", township_number=None)
    outbox.quarantine(items[2], "bad")
    assert Outbox.counts() == {"sending": 1, "sent": 1, "quarantined": 1, "pending": 1}
    assert set(Outbox.counts()) <= {str(s) for s in ItemState}


# --- all or nothing -------------------------------------------------------------------------


class _AuditDown(Exception):
    pass


def _store_state(case: Case) -> tuple:
    row = Case.get_by_id(case.id)
    return (
        row.state,
        row.revision,
        row.delivered_at,
        CaseTransition.select().count(),
        Evaluation.select().count(),
        [(i.seq, i.revision, i.kind) for i in OutboxItem.select().order_by(OutboxItem.seq)],
    )


def test_audit_failure_after_the_outbox_item_rolls_everything_back(
    session, matter, applicant, scans, monkeypatch
) -> None:
    case = _queued(session, matter, applicant, scans)
    before = _store_state(case)
    record = AuditLog.record
    seen_items = []

    def record_then_fail(self, *args, **kwargs):
        seen_items.append(OutboxItem.select().count())
        if seen_items[-1] > len(before[-1]):
            raise _AuditDown()
        return record(self, *args, **kwargs)

    monkeypatch.setattr(AuditLog, "record", record_then_fail)
    with pytest.raises(_AuditDown):
        session.cases.record_evaluation(case.uuid, EvaluationStage.INTAKE, "satisfied")
    assert seen_items == [len(before[-1]) + 1]  # the item existed when the audit write failed
    monkeypatch.undo()
    assert _store_state(case) == before
    session.cases.record_evaluation(case.uuid, EvaluationStage.INTAKE, "satisfied")
    assert [(i.seq, i.revision) for i in OutboxItem.select().order_by(OutboxItem.seq)] == [
        (1, 1), (2, 2)
    ]


CALLS = {
    "submit": lambda s, m, c: s.cases.submit(c.uuid, m),
    "withdraw": lambda s, m, c: s.cases.withdraw(c.uuid, "撤回"),
    "deliver": lambda s, m, c: s.cases.record_delivery(c.uuid),
    "evaluate": lambda s, m, c: s.cases.record_evaluation(c.uuid, "intake", "satisfied"),
}
PREPARE = {
    "submit": (),
    "withdraw": (Transition.UPLOAD, Transition.ACCEPT),
    "deliver": (Transition.UPLOAD, Transition.ACCEPT, Transition.COMPLETE),
    "evaluate": (Transition.UPLOAD,),
}


@pytest.mark.parametrize("name", CALLS)
def test_failed_service_call_consumes_no_sequence_number(
    session, matter, applicant, scans, monkeypatch, name
) -> None:
    if name == "submit":
        case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
        session.materials.attach_pages(case.uuid, "id_card", scans[:1])
        session.materials.defer(case.uuid, "hukou", date(2026, 12, 1))
        _queued(session, matter, applicant, scans)
    else:
        case = _queued(session, matter, applicant, scans)
        _township(session, case, *PREPARE[name])
    before, last = _store_state(case), Outbox.last_seq()

    def fail(*args, **kwargs):
        raise _AuditDown()

    monkeypatch.setattr(AuditLog, "record", fail)
    with pytest.raises(_AuditDown):
        CALLS[name](session, matter, case)
    monkeypatch.undo()
    assert _store_state(case) == before
    CALLS[name](session, matter, case)
    assert Outbox.last_seq() == last + 1
    assert OutboxItem.select().order_by(OutboxItem.seq.desc()).get().case.id == case.id


def test_concurrent_writers_share_one_gap_free_sequence(session, matter, applicant, scans) -> None:
    cases = [_queued(session, matter, applicant, scans) for _ in range(2)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(cases))

    def enqueue_many(case_id: int) -> None:
        try:
            start.wait()
            for _ in range(15):
                with session.db.atomic():
                    session.ctx.outbox.enqueue(Case.get_by_id(case_id), ItemKind.EVALUATION)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
        finally:
            session.db.close()

    threads = [threading.Thread(target=enqueue_many, args=(c.id,)) for c in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [i.seq for i in OutboxItem.select().order_by(OutboxItem.seq)] == list(range(1, 33))
    for case in cases:
        revisions = [i.revision for i in case.outbox_items.order_by(OutboxItem.seq)]
        assert revisions == list(range(1, 17))
