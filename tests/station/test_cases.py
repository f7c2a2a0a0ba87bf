"""The case lifecycle through the services: every transition, typed errors, nothing half-done."""

from __future__ import annotations

from datetime import date

import pytest

from station.cases import (
    CaseEditError,
    EvaluationError,
    EvaluationLevel,
    EvaluationStage,
    StatusEvent,
    SubmissionIncompleteError,
)
from station.context import CaseNotFoundError
from station.lifecycle import CaseState, InvalidTransitionError, Transition, allowed, next_state
from station.models import AuditEvent, Case, CaseTransition, OutboxItem
from tests.station.conftest import COMPLETE_ANSWERS


def _event(n: int, transition: Transition, **extra) -> StatusEvent:
    return StatusEvent(event_id=f"ev-{n}", transition=transition, **extra)


def test_local_numbers_count_per_day(session, matter, applicant, clock) -> None:
    first = session.cases.create_draft(matter, 1, applicant)
    second = session.cases.create_draft(matter, 1, applicant)
    assert first.local_number == "TEST01-20261123-0001"
    assert second.local_number == "TEST01-20261123-0002"
    clock.advance(__import__("datetime").timedelta(days=1))
    assert session.cases.create_draft(matter, 1, applicant).local_number.endswith("20261124-0001")


def test_local_number_uses_china_date(session, matter, applicant, clock) -> None:
    clock.at = clock.at.replace(hour=17)  # 01:00 on the 24th in China
    assert "-20261124-" in session.cases.create_draft(matter, 1, applicant).local_number


def test_draft_copies_requirements_and_records_creation(draft, matter) -> None:
    codes = [r.code for r in draft.requirements]
    assert codes == [m.code for m in matter.materials]
    assert draft.state == CaseState.DRAFT
    assert AuditEvent.select().where(AuditEvent.object_id == draft.uuid).count() == 1


def test_submit_refuses_incomplete_case_and_changes_nothing(session, matter, draft) -> None:
    session.cases.update_answers(draft.uuid, {"applicant_name": "欧阳明珠"})
    with pytest.raises(SubmissionIncompleteError) as raised:
        session.cases.submit(draft.uuid, matter)
    assert any("居民身份证" in p for p in raised.value.problems)
    assert len(raised.value.problems) >= 3
    assert Case.get_by_id(draft.id).state == CaseState.DRAFT
    assert OutboxItem.select().count() == 0


def test_relevant_material_is_required_only_when_relevant(session, matter, draft, scans) -> None:
    session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    session.materials.attach_pages(draft.uuid, "hukou", scans[1:2])
    answers = {**COMPLETE_ANSWERS, "has_income": True, "monthly_income": "800.00"}
    session.cases.update_answers(draft.uuid, answers)
    with pytest.raises(SubmissionIncompleteError, match="收入证明"):
        session.cases.submit(draft.uuid, matter)
    session.cases.update_answers(draft.uuid, COMPLETE_ANSWERS)
    assert session.cases.submit(draft.uuid, matter).state == CaseState.QUEUED


def test_submit_queues_with_sequence_and_promised_date(queued) -> None:
    assert queued.state == CaseState.QUEUED
    item = OutboxItem.get(OutboxItem.case == queued)
    assert (item.seq, item.revision, item.kind, item.state) == (1, 1, "submission", "pending")
    # 10 working days from Monday 2026-11-23: no holidays in between.
    assert queued.promised_date == date(2026, 12, 7)
    assert queued.promised_provisional is False


def test_promised_date_into_unknown_year_is_provisional(session, matter, applicant, scans, clock):
    clock.at = clock.at.replace(month=12, day=24)
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:1])
    session.materials.defer(case.uuid, "hukou", date(2027, 1, 10))
    case = session.cases.submit(case.uuid, matter)
    assert case.promised_date.year == 2027
    assert case.promised_provisional is True


def test_full_lifecycle_records_every_transition(session, queued) -> None:
    cases = session.cases
    cases.apply_status_event(queued.uuid, _event(1, Transition.UPLOAD))
    cases.apply_status_event(queued.uuid, _event(2, Transition.ACCEPT, reason="材料齐全"))
    cases.apply_status_event(
        queued.uuid, _event(3, Transition.COMPLETE, result_text="准予补助", approved=True)
    )
    cases.record_delivery(queued.uuid, "本人领取")
    case = cases.close(queued.uuid)
    assert case.state == CaseState.CLOSED
    assert case.result_approved is True
    steps = [(t.from_state, t.to_state) for t in cases.timeline(queued.uuid)]
    assert steps == [
        (None, "draft"),
        ("draft", "queued"),
        ("queued", "uploaded"),
        ("uploaded", "accepted"),
        ("accepted", "completed"),
        ("completed", "delivered"),
        ("delivered", "closed"),
    ]
    by_township = [t for t in cases.timeline(queued.uuid) if t.event_id]
    assert all(t.agent is None for t in by_township) and len(by_township) == 3
    assert all(t.agent is not None for t in cases.timeline(queued.uuid) if not t.event_id)


def test_status_event_applied_twice_changes_nothing(session, queued) -> None:
    session.cases.apply_status_event(queued.uuid, _event(1, Transition.UPLOAD))
    before = CaseTransition.select().count()
    again = session.cases.apply_status_event(queued.uuid, _event(1, Transition.UPLOAD))
    assert again.state == CaseState.UPLOADED
    assert CaseTransition.select().count() == before


def test_returned_case_is_supplemented_and_requeued(session, matter, queued, scans) -> None:
    cases = session.cases
    cases.apply_status_event(queued.uuid, _event(1, Transition.UPLOAD))
    cases.apply_status_event(queued.uuid, _event(2, Transition.RETURN, reason="户口簿不清晰"))
    session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    case = cases.submit(queued.uuid, matter, reason="补正")
    assert case.state == CaseState.QUEUED
    items = list(OutboxItem.select().order_by(OutboxItem.seq))
    assert [(i.seq, i.revision) for i in items] == [(1, 1), (2, 2)]
    assert case.promised_date == date(2026, 12, 7)  # kept from the first intake


@pytest.mark.parametrize(
    "transition",
    [Transition.ACCEPT, Transition.COMPLETE, Transition.DELIVER, Transition.CLOSE],
)
def test_invalid_transition_from_queued_changes_nothing(session, queued, transition) -> None:
    before = (CaseTransition.select().count(), AuditEvent.select().count())
    with pytest.raises(InvalidTransitionError):
        if transition in (Transition.DELIVER, Transition.CLOSE):
            getattr(
                session.cases, "record_delivery" if transition is Transition.DELIVER else "close"
            )(queued.uuid)
        else:
            session.cases.apply_status_event(queued.uuid, _event(9, transition))
    assert Case.get_by_id(queued.id).state == CaseState.QUEUED
    assert (CaseTransition.select().count(), AuditEvent.select().count()) == before


def test_queued_case_cannot_be_edited(session, queued, scans) -> None:
    with pytest.raises(CaseEditError):
        session.cases.update_answers(queued.uuid, {})
    with pytest.raises(CaseEditError):
        session.materials.attach_pages(queued.uuid, "hukou", scans[:1])


def test_withdraw_queued_case_is_sent_to_township(session, queued) -> None:
    case = session.cases.withdraw(queued.uuid, "申请人撤回")
    assert case.state == CaseState.WITHDRAWN
    kinds = [i.kind for i in OutboxItem.select().order_by(OutboxItem.seq)]
    assert kinds == ["submission", "withdrawal"]
    with pytest.raises(InvalidTransitionError):
        session.cases.withdraw(queued.uuid, "again")


def test_discard_draft(session, draft) -> None:
    assert session.cases.discard(draft.uuid, "录错").state == CaseState.DISCARDED
    with pytest.raises(InvalidTransitionError):
        session.cases.withdraw(draft.uuid, "x")


def test_evaluations(session, draft, queued) -> None:
    with pytest.raises(EvaluationError):
        session.cases.record_evaluation(queued.uuid, EvaluationStage.DELIVERY, "satisfied")
    evaluation = session.cases.record_evaluation(
        queued.uuid, EvaluationStage.INTAKE, EvaluationLevel.VERY_SATISFIED, "很快"
    )
    assert evaluation.level == "very_satisfied"
    with pytest.raises(EvaluationError):
        session.cases.record_evaluation(queued.uuid, EvaluationStage.INTAKE, "satisfied")
    with pytest.raises(ValueError):
        session.cases.record_evaluation(queued.uuid, EvaluationStage.DELIVERY, "great")


def test_unknown_case(session) -> None:
    with pytest.raises(CaseNotFoundError):
        session.cases.open("no-such-case")


def test_open_is_audited_as_a_view(session, draft) -> None:
    session.cases.open(draft.uuid)
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (last.action, last.object_id, last.agent_login) == ("view", draft.uuid, "wang")


def test_transition_table_matches_the_design() -> None:
    assert next_state(CaseState.RETURNED, Transition.QUEUE) == CaseState.QUEUED
    assert set(allowed(CaseState.ACCEPTED)) == {Transition.COMPLETE, Transition.WITHDRAW}
    assert allowed(CaseState.CLOSED) == allowed(CaseState.REFUSED) == []
    assert set(allowed(CaseState.UPLOADED)) == {
        Transition.ACCEPT,
        Transition.RETURN,
        Transition.REFUSE,
    }
