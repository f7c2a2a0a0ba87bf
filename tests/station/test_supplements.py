"""The township's checklist of a returned case (补正): kept with the return event, read back,
settled by pages or by the agent's note, enforced on resubmission, printed on the notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.cases import MissingItem, StatusEvent, SubmissionIncompleteError
from station.lifecycle import CaseState, Transition
from station.models import AuditEvent, Case, OutboxItem, SupplementItem
from station.printing import DocumentKind, build_notice
from station.supplements import (
    AlreadyResolvedError,
    ChecklistItemNotFoundError,
    NotReturnedError,
    ResolutionNoteError,
    SupplementService,
)
from tests.station.conftest import COMPLETE_ANSWERS
from tests.station.test_printing import make, pdf_text, printer  # noqa: F401 - shared fixture

HUKOU = MissingItem("hukou", "户口簿复印件", "复印件不清晰，请重新复印")
ID_CARD = MissingItem("id_card", "居民身份证", "身份证已过有效期")
GENERAL = MissingItem(None, "申请表", "家庭人口一栏填写有误")
UNKNOWN = MissingItem("marriage_cert", "结婚证", "需补充结婚证")


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Messages are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


@pytest.fixture
def supplements(session) -> SupplementService:
    return SupplementService(session.ctx)


def _return(session, case, clock, *missing: MissingItem, event: str = "ev-return",
            reason: str | None = "材料需补正") -> Case:
    """Upload (if needed) and return ``case`` with ``missing``; the clock moves on after."""
    if Case.get_by_id(case.id).state == CaseState.QUEUED:
        session.cases.apply_status_event(case.uuid, StatusEvent(f"{event}-up", Transition.UPLOAD))
    returned = StatusEvent(event, Transition.RETURN, reason=reason, missing=tuple(missing))
    case = session.cases.apply_status_event(case.uuid, returned)
    clock.advance(timedelta(minutes=5))
    return case


def _points(supplements, case, **kw) -> list[tuple]:
    return [(e.requirement_code, e.name, e.reason) for e in supplements.checklist(case.uuid, **kw)]


# --- the checklist arrives with the return --------------------------------------------------


def test_return_keeps_the_checklist_in_the_township_order(
    session, supplements, queued, clock
) -> None:
    case = _return(session, queued, clock, HUKOU, GENERAL, ID_CARD)
    assert case.state == CaseState.RETURNED
    assert _points(supplements, case) == [
        ("hukou", "户口簿复印件", "复印件不清晰，请重新复印"),
        (None, "申请表", "家庭人口一栏填写有误"),
        ("id_card", "居民身份证", "身份证已过有效期"),
    ]
    entries = supplements.checklist(case.uuid)
    assert [e.requirement_name for e in entries] == ["户口簿", None, "居民身份证"]
    assert [e.blocking for e in entries] == [True, False, True]


def test_return_applied_twice_keeps_one_set_of_items(session, supplements, queued, clock):
    _return(session, queued, clock, HUKOU, GENERAL)
    before = (SupplementItem.select().count(), AuditEvent.select().count())
    again = StatusEvent("ev-return", Transition.RETURN, reason="x", missing=(HUKOU, GENERAL))
    assert session.cases.apply_status_event(queued.uuid, again).state == CaseState.RETURNED
    assert before[0] == 2
    assert (SupplementItem.select().count(), AuditEvent.select().count()) == before
    assert len(supplements.checklist(queued.uuid)) == 2


@pytest.mark.parametrize(
    "transition", [Transition.UPLOAD, Transition.ACCEPT, Transition.REFUSE, Transition.COMPLETE]
)
def test_only_a_return_may_list_missing_items(session, queued, transition) -> None:
    event = StatusEvent("ev-1", transition, missing=(HUKOU,))
    with pytest.raises(ValueError, match="only a return"):
        session.cases.apply_status_event(queued.uuid, event)
    assert Case.get_by_id(queued.id).state == CaseState.QUEUED
    assert SupplementItem.select().count() == 0


def test_a_refused_return_leaves_no_items(session, queued) -> None:
    """A return that the lifecycle refuses (the case was never uploaded) keeps nothing."""
    from station.lifecycle import InvalidTransitionError

    event = StatusEvent("ev-1", Transition.RETURN, missing=(HUKOU,))
    with pytest.raises(InvalidTransitionError):
        session.cases.apply_status_event(queued.uuid, event)
    assert SupplementItem.select().count() == 0


def test_the_checklist_is_that_of_the_latest_return(
    session, supplements, matter, queued, scans, clock
) -> None:
    _return(session, queued, clock, HUKOU, event="first")
    session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    session.cases.submit(queued.uuid, matter, reason="补正")
    _return(session, queued, clock, GENERAL, event="second")
    assert _points(supplements, queued) == [(None, "申请表", "家庭人口一栏填写有误")]
    earlier = SupplementItem.get(SupplementItem.event_id == "first")
    with pytest.raises(ChecklistItemNotFoundError):
        supplements.mark_resolved(queued.uuid, earlier.id, "已处理")


def test_a_return_without_a_list_has_an_empty_checklist(session, supplements, matter, queued,
                                                         clock) -> None:
    _return(session, queued, clock, reason="请补充材料")
    assert supplements.checklist(queued.uuid) == []
    assert session.cases.submit(queued.uuid, matter).state == CaseState.QUEUED


def test_a_case_never_returned_has_no_checklist(supplements, queued) -> None:
    assert supplements.checklist(queued.uuid) == []


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(st.builds(
    MissingItem,
    st.sampled_from([None, "id_card", "hukou", "income_proof", "no_such"]),
    st.text(min_size=1, max_size=20),
    st.text(min_size=1, max_size=60),
), max_size=6))
def test_any_checklist_reads_back_as_sent(session, supplements, matter, applicant, scans,
                                          clock, points) -> None:
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:1])
    session.materials.attach_pages(case.uuid, "hukou", scans[1:2])
    session.cases.submit(case.uuid, matter)
    _return(session, case, clock, *points, event=f"ev-{case.uuid}")
    assert _points(supplements, case) == [(p.requirement_code, p.name, p.reason) for p in points]


# --- resubmitting waits for the points that name a material ---------------------------------


def test_resubmit_is_refused_until_pages_are_added_since_the_return(
    session, matter, queued, scans, clock
) -> None:
    _return(session, queued, clock, HUKOU, ID_CARD, GENERAL)
    with pytest.raises(SubmissionIncompleteError) as raised:
        session.cases.submit(queued.uuid, matter)
    blocked = [p for p in raised.value.problems if "Returned by the township" in p]
    assert len(blocked) == 2
    assert "户口簿复印件" in blocked[0] and "复印件不清晰" in blocked[0]
    assert Case.get_by_id(queued.id).state == CaseState.RETURNED
    assert OutboxItem.select().count() == 1
    session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    with pytest.raises(SubmissionIncompleteError, match="居民身份证"):
        session.cases.submit(queued.uuid, matter)
    session.materials.attach_pages(queued.uuid, "id_card", scans[:1])
    assert session.cases.submit(queued.uuid, matter).state == CaseState.QUEUED


def test_pages_from_before_the_return_do_not_settle_a_point(
    session, supplements, queued, scans, clock
) -> None:
    """The ID card pages were there at intake; the township wants them again."""
    _return(session, queued, clock, ID_CARD)
    (entry,) = supplements.checklist(queued.uuid)
    assert entry.blocking and not entry.pages_added


def test_a_removed_page_unsettles_the_point(session, supplements, queued, scans, clock):
    _return(session, queued, clock, HUKOU)
    (page,) = session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    assert supplements.checklist(queued.uuid)[0].pages_added
    session.materials.remove_page(page.uuid)
    assert supplements.checklist(queued.uuid)[0].blocking


def test_marked_resolved_with_a_note_unblocks(session, supplements, matter, queued, clock):
    _return(session, queued, clock, ID_CARD)
    (entry,) = supplements.checklist(queued.uuid)
    resolved = supplements.mark_resolved(queued.uuid, entry.item_id, "  已核对身份证有效期  ")
    assert (resolved.resolved, resolved.blocking, resolved.resolution_note) == (
        True, False, "已核对身份证有效期")
    assert supplements.checklist(queued.uuid) == []
    assert supplements.checklist(queued.uuid, include_resolved=True) == [resolved]
    row = SupplementItem.get_by_id(entry.item_id)
    assert (row.resolved_at, row.resolved_by.login) == (clock.now(), "wang")
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (last.action, last.object_id, last.detail) == (
        "edit", queued.uuid, {"supplement_item": entry.item_id})
    assert "核对" not in str(last.detail)
    assert session.cases.submit(queued.uuid, matter).state == CaseState.QUEUED


def test_a_point_naming_an_unknown_material_needs_a_note(session, supplements, matter,
                                                         queued, clock) -> None:
    _return(session, queued, clock, UNKNOWN)
    (entry,) = supplements.checklist(queued.uuid)
    assert (entry.requirement_name, entry.blocking) == (None, True)
    with pytest.raises(SubmissionIncompleteError, match="结婚证"):
        session.cases.submit(queued.uuid, matter)
    supplements.mark_resolved(queued.uuid, entry.item_id, "申请人未婚，无需结婚证")
    assert session.cases.submit(queued.uuid, matter).state == CaseState.QUEUED


@pytest.mark.parametrize(
    "note, pick, error",
    [
        ("", lambda e: e.item_id, ResolutionNoteError),
        ("   ", lambda e: e.item_id, ResolutionNoteError),
        ("已处理", lambda e: e.item_id + 1000, ChecklistItemNotFoundError),
    ],
    ids=["empty-note", "blank-note", "unknown-item"],
)
def test_mark_resolved_refused(session, supplements, queued, clock, note, pick, error) -> None:
    _return(session, queued, clock, ID_CARD)
    (entry,) = supplements.checklist(queued.uuid)
    audit_before = AuditEvent.select().count()
    with pytest.raises(error):
        supplements.mark_resolved(queued.uuid, pick(entry), note)
    assert SupplementItem.get_by_id(entry.item_id).resolved_at is None
    assert AuditEvent.select().count() == audit_before


def test_mark_resolved_twice_is_refused(session, supplements, queued, clock) -> None:
    _return(session, queued, clock, ID_CARD)
    (entry,) = supplements.checklist(queued.uuid)
    supplements.mark_resolved(queued.uuid, entry.item_id, "first")
    with pytest.raises(AlreadyResolvedError):
        supplements.mark_resolved(queued.uuid, entry.item_id, "second")
    assert SupplementItem.get_by_id(entry.item_id).resolution_note == "first"


def test_mark_resolved_only_while_returned(session, supplements, matter, queued, scans, clock):
    _return(session, queued, clock, ID_CARD, GENERAL)
    session.materials.attach_pages(queued.uuid, "id_card", scans[:1])
    session.cases.submit(queued.uuid, matter)
    general = SupplementItem.get(SupplementItem.requirement_code.is_null())
    with pytest.raises(NotReturnedError):
        supplements.mark_resolved(queued.uuid, general.id, "已更正")
    assert SupplementItem.get_by_id(general.id).resolved_at is None


def test_an_item_of_another_case_is_not_found(session, supplements, matter, applicant, queued,
                                              scans, clock) -> None:
    _return(session, queued, clock, ID_CARD)
    other = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(other.uuid, "id_card", scans[:1])
    session.materials.attach_pages(other.uuid, "hukou", scans[1:2])
    session.cases.submit(other.uuid, matter)
    _return(session, other, clock, event="ev-other")
    (entry,) = supplements.checklist(queued.uuid)
    with pytest.raises(ChecklistItemNotFoundError):
        supplements.mark_resolved(other.uuid, entry.item_id, "已处理")


# --- the one-time notice --------------------------------------------------------------------


def test_notice_lists_the_open_points_with_reasons(session, queued, matter, scans, clock):
    _return(session, queued, clock, HUKOU, GENERAL, ID_CARD, reason="请按清单补正")
    notice = build_notice(session.ctx, queued.uuid, matter)
    assert notice.township_remarks == "请按清单补正" and not notice.complete
    assert [(p.name, p.reason) for p in notice.township_points] == [
        ("户口簿复印件", "复印件不清晰，请重新复印"),
        ("申请表", "家庭人口一栏填写有误"),
        ("居民身份证", "身份证已过有效期"),
    ]
    session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    general = SupplementItem.get(SupplementItem.requirement_code.is_null())
    SupplementService(session.ctx).mark_resolved(queued.uuid, general.id, "已更正申请表")
    notice = build_notice(session.ctx, queued.uuid, matter)
    assert [p.name for p in notice.township_points] == ["居民身份证"]


def test_printed_notice_shows_the_township_points(
    printer, session, queued, matter, clock, tmp_path  # noqa: F811
) -> None:
    _return(session, queued, clock, HUKOU, GENERAL, reason=None)
    text = pdf_text(make(printer, DocumentKind.NOTICE, queued, matter, tmp_path).path)
    flat = "".join(text.split())
    for expected in ("户口簿复印件", "复印件不清晰，请重新复印", "申请表", "家庭人口一栏填写有误"):
        assert expected in flat, expected


def test_notice_of_a_case_no_longer_returned_has_no_points(session, queued, matter, scans,
                                                           clock) -> None:
    _return(session, queued, clock, HUKOU)
    session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    session.cases.submit(queued.uuid, matter)
    assert build_notice(session.ctx, queued.uuid, matter).township_points == ()
