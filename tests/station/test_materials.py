"""Pages, deferred materials, the retention purge and the orphan sweep: real store, real blobs."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from station import settings
from station.blobstore import MaterialWriteError
from station.cases import CaseEditError, StatusEvent
from station.lifecycle import Transition
from station.maintenance import run_maintenance, sweep
from station.materials import (
    MaterialError,
    NoOpenDeferralError,
    PageNotFoundError,
    PurgeReport,
    ReceiveNotAllowedError,
    UnsupportedFileError,
)
from station.models import (
    AuditEvent,
    Case,
    DeferredMaterial,
    MaterialFile,
    MaterialRequirement,
    OutboxItem,
)
from tests.station.conftest import COMPLETE_ANSWERS


def _pages(case: Case, code: str | None = None) -> list[MaterialFile]:
    query = MaterialFile.select().where(MaterialFile.case == case)
    if code is not None:
        query = query.join(MaterialRequirement).where(MaterialRequirement.code == code)
    return list(query.order_by(MaterialFile.position))


def _deferral(case: Case, code: str) -> DeferredMaterial | None:
    return (
        DeferredMaterial.select()
        .join(MaterialRequirement)
        .where((MaterialRequirement.case == case) & (MaterialRequirement.code == code))
        .first()
    )


def _files(session) -> set[str]:
    """Every file under the blob store's root (blobs and temp files), relative."""
    root = session.blobs.root
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _last_audit() -> AuditEvent:
    return AuditEvent.select().order_by(AuditEvent.id.desc()).get()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(session, page: MaterialFile) -> bytes:
    return b"".join(session.materials.read_page(page.uuid))


# --- attaching ------------------------------------------------------------------------------


def test_attach_stores_every_source_as_a_page_in_order(session, draft, scans) -> None:
    pages = session.materials.attach_pages(draft.uuid, "id_card", scans)
    assert [p.position for p in pages] == [1, 2, 3]
    assert [p.media_type for p in pages] == ["image/jpeg", "image/png", "application/pdf"]
    assert [(p.digest, p.size) for p in pages] == [(_sha256(s), s.stat().st_size) for s in scans]
    assert {session.blobs.path_of(p.blob_name).exists() for p in pages} == {True}
    assert set(session.blobs.names()) == {p.blob_name for p in pages}
    last = _last_audit()
    assert (last.action, last.object_id, last.detail) == (
        "create", draft.uuid, {"material": "id_card", "n": 3}
    )


def test_later_pages_follow_the_earlier_ones(session, draft, scans) -> None:
    session.materials.attach_pages(draft.uuid, "id_card", scans[:2])
    session.materials.attach_pages(draft.uuid, "hukou", scans[2:])
    added = session.materials.attach_pages(draft.uuid, "id_card", scans[2:])
    assert added[0].position == 3
    assert [p.position for p in _pages(draft, "id_card")] == [1, 2, 3]
    assert [p.position for p in _pages(draft, "hukou")] == [1]


def _not_a_scan(path: Path) -> Path:
    path.write_bytes(b"GIF89a" + bytes(100))
    return path


def _missing(path: Path) -> Path:
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize(
    "make_second, error",
    [
        (_not_a_scan, UnsupportedFileError),
        (_missing, MaterialWriteError),
        (_directory, MaterialWriteError),
    ],
)
def test_bad_second_source_adds_nothing(
    session, draft, scans, tmp_path, make_second, error
) -> None:
    sources = [scans[0], make_second(tmp_path / "second"), scans[2]]
    audit_before = AuditEvent.select().count()
    with pytest.raises(error) as raised:
        session.materials.attach_pages(draft.uuid, "id_card", sources)
    assert "second" not in str(raised.value)
    assert _pages(draft) == []
    assert _files(session) == set()
    assert AuditEvent.select().count() == audit_before


def test_unknown_material_removes_the_blobs_already_written(session, draft, scans) -> None:
    with pytest.raises(MaterialError):
        session.materials.attach_pages(draft.uuid, "no_such_material", scans)
    assert _pages(draft) == []
    assert _files(session) == set()


def test_attaching_nothing_changes_nothing(session, draft) -> None:
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1))
    audit_before = AuditEvent.select().count()
    assert session.materials.attach_pages(draft.uuid, "hukou", []) == []
    assert _deferral(draft, "hukou").fulfilled_at is None
    assert AuditEvent.select().count() == audit_before


# --- reading, removing, ordering, rotating --------------------------------------------------


def test_read_page_returns_the_exact_bytes_and_records_a_view(session, draft, scans) -> None:
    pages = session.materials.attach_pages(draft.uuid, "id_card", scans)
    for page, scan in zip(pages, scans):
        assert _read(session, page) == scan.read_bytes()
        last = _last_audit()
        assert (last.action, last.object_type, last.object_id) == ("view", "page", draft.uuid)
        assert last.detail == {"page": page.uuid}


def test_read_unknown_page(session) -> None:
    with pytest.raises(PageNotFoundError):
        session.materials.read_page("no-such-page")


def test_remove_page_deletes_row_and_blob(session, draft, scans) -> None:
    first, second, third = session.materials.attach_pages(draft.uuid, "id_card", scans)
    session.materials.remove_page(second.uuid)
    assert [p.uuid for p in _pages(draft)] == [first.uuid, third.uuid]
    assert not session.blobs.path_of(second.blob_name).exists()
    assert set(session.blobs.names()) == {first.blob_name, third.blob_name}
    assert (_last_audit().action, _last_audit().detail) == ("delete", {"page": second.uuid})
    with pytest.raises(PageNotFoundError):
        session.materials.remove_page(second.uuid)


def test_reorder_pages(session, draft, scans) -> None:
    pages = session.materials.attach_pages(draft.uuid, "id_card", scans)
    order = [pages[2].uuid, pages[0].uuid, pages[1].uuid]
    session.materials.reorder_pages(draft.uuid, "id_card", order)
    assert [p.uuid for p in _pages(draft, "id_card")] == order
    assert [p.position for p in _pages(draft, "id_card")] == [1, 2, 3]
    added = session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    assert _pages(draft, "id_card")[-1].uuid == added[0].uuid


@pytest.mark.parametrize(
    "pick",
    [
        lambda u: u[:2],
        lambda u: [u[0], u[0], u[1], u[2]],
        lambda u: [u[0], u[1], u[1]],
        lambda u: [*u, "stranger"],
        lambda u: [],
    ],
    ids=["one-left-out", "one-twice", "one-twice-one-missing", "unknown-page", "empty"],
)
def test_reorder_must_list_every_page_once(session, draft, scans, pick) -> None:
    pages = session.materials.attach_pages(draft.uuid, "id_card", scans)
    uuids = [p.uuid for p in reversed(pages)]
    with pytest.raises(MaterialError):
        session.materials.reorder_pages(draft.uuid, "id_card", pick(uuids))
    assert [p.uuid for p in _pages(draft, "id_card")] == [p.uuid for p in pages]


def test_reorder_cannot_take_pages_of_another_material(session, draft, scans) -> None:
    id_card = session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    hukou = session.materials.attach_pages(draft.uuid, "hukou", scans[1:2])
    with pytest.raises(MaterialError):
        session.materials.reorder_pages(draft.uuid, "id_card", [hukou[0].uuid])
    with pytest.raises(MaterialError):
        session.materials.reorder_pages(draft.uuid, "id_card", [id_card[0].uuid, hukou[0].uuid])


@pytest.mark.parametrize(
    "turns, expected",
    [([1], 90), ([1, 1], 180), ([3], 270), ([1, 3], 0), ([2, 2, 1], 90), ([-1], 270), ([5], 90)],
)
def test_rotate_page(session, draft, scans, turns, expected) -> None:
    (page,) = session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    for quarter_turns in turns:
        session.materials.rotate_page(page.uuid, quarter_turns)
    assert MaterialFile.get_by_id(page.id).rotation == expected
    assert _read(session, page) == scans[0].read_bytes()


# --- deferred materials ---------------------------------------------------------------------


def test_defer_a_deferrable_material(session, draft) -> None:
    deferral = session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1), "下周带来")
    stored = _deferral(draft, "hukou")
    assert stored.id == deferral.id
    assert (stored.promised_date, stored.note, stored.fulfilled_at) == (
        date(2026, 12, 1), "下周带来", None
    )
    assert _last_audit().detail == {"deferred": "hukou"}


def test_a_new_deferral_replaces_the_earlier_one(session, draft) -> None:
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1), "first")
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 9))
    rows = list(DeferredMaterial.select())
    assert [(r.promised_date, r.note) for r in rows] == [(date(2026, 12, 9), None)]


@pytest.mark.parametrize(
    "code, promised, pages",
    [
        ("id_card", date(2026, 12, 1), 0),  # not deferrable
        ("hukou", date(2026, 11, 23), 0),  # today in China
        ("hukou", date(2026, 11, 20), 0),  # in the past
        ("hukou", date(2026, 12, 1), 1),  # already has pages
        ("no_such", date(2026, 12, 1), 0),
    ],
)
def test_defer_refused(session, draft, scans, code, promised, pages) -> None:
    if pages:
        session.materials.attach_pages(draft.uuid, code, scans[:pages])
    with pytest.raises(MaterialError):
        session.materials.defer(draft.uuid, code, promised)
    assert DeferredMaterial.select().count() == 0


def test_defer_counts_today_in_china(session, draft, clock) -> None:
    clock.at = datetime(2026, 11, 23, 17, 0)  # 01:00 on the 24th in China
    with pytest.raises(MaterialError):
        session.materials.defer(draft.uuid, "hukou", date(2026, 11, 24))
    assert session.materials.defer(draft.uuid, "hukou", date(2026, 11, 25))


def test_attaching_pages_fulfils_the_deferral(session, draft, scans, clock) -> None:
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1))
    clock.advance(timedelta(hours=3))
    session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    assert _deferral(draft, "hukou").fulfilled_at is None
    session.materials.attach_pages(draft.uuid, "hukou", scans[1:2])
    assert _deferral(draft, "hukou").fulfilled_at == clock.now()


def test_cancel_deferral(session, draft) -> None:
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1))
    session.materials.cancel_deferral(draft.uuid, "hukou")
    assert _deferral(draft, "hukou") is None
    assert _last_audit().detail == {"undeferred": "hukou"}


# --- edits only while the station owns the case ---------------------------------------------

EDITS = {
    "attach": lambda m, case, pages, scans: m.attach_pages(case.uuid, "hukou", scans[:1]),
    "remove": lambda m, case, pages, scans: m.remove_page(pages[0].uuid),
    "reorder": lambda m, case, pages, scans: m.reorder_pages(
        case.uuid, "id_card", [p.uuid for p in reversed(pages)]
    ),
    "rotate": lambda m, case, pages, scans: m.rotate_page(pages[0].uuid),
    "defer": lambda m, case, pages, scans: m.defer(case.uuid, "hukou", date(2026, 12, 9)),
    "cancel": lambda m, case, pages, scans: m.cancel_deferral(case.uuid, "hukou"),
}


def _snapshot(session, case: Case) -> tuple:
    pages = [(p.uuid, p.position, p.rotation, p.blob_name) for p in _pages(case)]
    deferral = _deferral(case, "hukou")
    return pages, deferral and deferral.promised_date, _files(session), AuditEvent.select().count()


_ROUTES = {
    "queued": [],
    "uploaded": [Transition.UPLOAD],
    "accepted": [Transition.UPLOAD, Transition.ACCEPT],
    "refused": [Transition.UPLOAD, Transition.REFUSE],
}


@pytest.fixture(params=[*_ROUTES, "discarded"])
def locked(request, session, matter, draft, scans) -> Case:
    """A case with two id_card pages and a hukou deferral, no longer editable."""
    session.materials.attach_pages(draft.uuid, "id_card", scans[:2])
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1))
    if request.param == "discarded":
        session.cases.discard(draft.uuid)
    else:
        session.cases.submit(draft.uuid, matter)
        for step in _ROUTES[request.param]:
            session.cases.apply_status_event(draft.uuid, StatusEvent(f"ev-{step}", step))
    return Case.get_by_id(draft.id)


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_edits_refused_outside_draft_and_returned(session, locked, scans, edit) -> None:
    before = _snapshot(session, locked)
    with pytest.raises(CaseEditError):
        edit(session.materials, locked, _pages(locked), scans)
    assert _snapshot(session, locked) == before


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_edits_allowed_on_a_returned_case(session, queued, scans, edit) -> None:
    session.cases.apply_status_event(queued.uuid, StatusEvent("ev-1", Transition.UPLOAD))
    session.cases.apply_status_event(queued.uuid, StatusEvent("ev-2", Transition.RETURN))
    before = _snapshot(session, queued)
    edit(session.materials, queued, _pages(queued), scans)
    assert _snapshot(session, queued) != before


# --- a deferred material brought after submission ------------------------------------------

_LATER = {
    "queued": [],
    "uploaded": [Transition.UPLOAD],
    "accepted": [Transition.UPLOAD, Transition.ACCEPT],
}


def _move(session, case: Case, steps: list[Transition]) -> Case:
    for step in steps:
        session.cases.apply_status_event(case.uuid, StatusEvent(f"{case.uuid}-{step}", step))
    return Case.get_by_id(case.id)


def _outbox(case: Case) -> list[tuple]:
    items = OutboxItem.select().where(OutboxItem.case == case).order_by(OutboxItem.seq)
    return [(i.seq, i.revision, i.kind, i.state) for i in items]


def _received_state(session, case: Case) -> tuple:
    """What receiving a material may change: pages, blobs, deferral, revision, outbox, audit."""
    deferral = _deferral(case, "hukou")
    return (
        _snapshot(session, case),
        deferral and deferral.fulfilled_at,
        Case.get_by_id(case.id).revision,
        _outbox(case),
    )


@pytest.mark.parametrize("state", _LATER)
def test_receive_deferred_after_submission(session, queued, scans, clock, state) -> None:
    case = _move(session, queued, _LATER[state])
    clock.advance(timedelta(days=2))
    pages = session.materials.receive_deferred(case.uuid, "hukou", scans[1:])
    last = _last_audit()
    assert (last.action, last.object_type, last.object_id, last.agent_login) == (
        "create", "page", case.uuid, "wang")
    assert last.detail == {"material": "hukou", "n": 2, "after_submission": True}
    assert [(p.position, p.media_type) for p in pages] == [(1, "image/png"), (2, "application/pdf")]
    assert [_read(session, p) for p in pages] == [s.read_bytes() for s in scans[1:]]
    assert _deferral(case, "hukou").fulfilled_at == clock.now()
    case = Case.get_by_id(case.id)
    assert case.state == state and case.revision == 2
    assert _outbox(case) == [(1, 1, "submission", "pending"), (2, 2, "materials", "pending")]


def test_receive_deferred_seq_follows_other_cases_items(session, matter, applicant, queued,
                                                        scans) -> None:
    other = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(other.uuid, "id_card", scans[:1])
    session.materials.attach_pages(other.uuid, "hukou", scans[1:2])
    session.cases.submit(other.uuid, matter)
    session.materials.receive_deferred(queued.uuid, "hukou", scans[2:])
    assert _outbox(queued)[-1] == (3, 2, "materials", "pending")


_NOT_RECEIVING = {
    "returned": [Transition.UPLOAD, Transition.RETURN],
    "refused": [Transition.UPLOAD, Transition.REFUSE],
    "completed": [Transition.UPLOAD, Transition.ACCEPT, Transition.COMPLETE],
}


def _deferred_draft(session, matter, applicant) -> Case:
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.defer(case.uuid, "hukou", date(2026, 12, 1))
    return case


@pytest.mark.parametrize("state", [*_NOT_RECEIVING, "withdrawn", "draft"])
def test_receive_deferred_refused_in_other_states(
    session, matter, applicant, queued, scans, state
) -> None:
    case = queued
    if state == "draft":
        case = _deferred_draft(session, matter, applicant)
    elif state == "withdrawn":
        session.cases.withdraw(queued.uuid, "申请人撤回")
    else:
        _move(session, queued, _NOT_RECEIVING[state])
    before = _received_state(session, case)
    with pytest.raises(ReceiveNotAllowedError) as raised:
        session.materials.receive_deferred(case.uuid, "hukou", scans[2:])
    assert "queued, uploaded or accepted" in str(raised.value)
    assert _received_state(session, case) == before


@pytest.mark.parametrize(
    "code, error",
    [("id_card", NoOpenDeferralError), ("income_proof", NoOpenDeferralError),
     ("no_such", MaterialError)],
)
def test_receive_needs_an_open_deferral(session, queued, scans, code, error) -> None:
    before = _received_state(session, queued)
    with pytest.raises(error):
        session.materials.receive_deferred(queued.uuid, code, scans[2:])
    assert _received_state(session, queued) == before


def test_a_deferral_is_received_once(session, queued, scans) -> None:
    session.materials.receive_deferred(queued.uuid, "hukou", scans[2:])
    before = _received_state(session, queued)
    with pytest.raises(NoOpenDeferralError):
        session.materials.receive_deferred(queued.uuid, "hukou", scans[:1])
    assert _received_state(session, queued) == before


@pytest.mark.parametrize(
    "make_second, error",
    [(_not_a_scan, UnsupportedFileError), (_missing, MaterialWriteError),
     (_directory, MaterialWriteError)],
)
def test_receive_with_a_bad_file_adds_nothing(
    session, queued, scans, tmp_path, make_second, error
) -> None:
    before = _received_state(session, queued)
    sources = [scans[2], make_second(tmp_path / "second"), scans[1]]
    with pytest.raises(error) as raised:
        session.materials.receive_deferred(queued.uuid, "hukou", sources)
    assert "second" not in str(raised.value)
    assert _received_state(session, queued) == before


def test_receive_when_the_case_moved_meanwhile_removes_the_blobs(
    session, queued, scans, monkeypatch
) -> None:
    """The township's return lands between the first check and the transaction."""
    before_blobs = _files(session)
    put = session.blobs.put

    def put_then_return(path: Path):
        stored = put(path)
        if Case.get_by_id(queued.id).state != "returned":
            _move(session, queued, [Transition.UPLOAD, Transition.RETURN])
        return stored

    monkeypatch.setattr(session.blobs, "put", put_then_return)
    with pytest.raises(ReceiveNotAllowedError):
        session.materials.receive_deferred(queued.uuid, "hukou", scans[1:])
    assert _files(session) == before_blobs
    assert _pages(queued, "hukou") == []
    assert _deferral(queued, "hukou").fulfilled_at is None
    assert [kind for _s, _r, kind, _st in _outbox(queued)] == ["submission"]


def test_receiving_nothing_checks_and_changes_nothing(session, matter, applicant, queued):
    before = _received_state(session, queued)
    assert session.materials.receive_deferred(queued.uuid, "hukou", []) == []
    assert _received_state(session, queued) == before
    draft = _deferred_draft(session, matter, applicant)
    with pytest.raises(ReceiveNotAllowedError):
        session.materials.receive_deferred(draft.uuid, "hukou", [])


# --- retention purge ------------------------------------------------------------------------


def _accepted(session, matter, applicant, scans) -> Case:
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:2])
    session.materials.attach_pages(case.uuid, "hukou", scans[2:])
    session.cases.submit(case.uuid, matter)
    for step in (Transition.UPLOAD, Transition.ACCEPT):
        session.cases.apply_status_event(case.uuid, StatusEvent(f"{case.uuid}-{step}", step))
    return Case.get_by_id(case.id)


def _deliver(session, matter, applicant, scans, *, close: bool = False) -> Case:
    case = _accepted(session, matter, applicant, scans)
    event = StatusEvent(f"{case.uuid}-done", Transition.COMPLETE, result_text="准予", approved=True)
    session.cases.apply_status_event(case.uuid, event)
    session.cases.record_delivery(case.uuid)
    if close:
        session.cases.close(case.uuid)
    return Case.get_by_id(case.id)


def _ledger(case: Case) -> list[tuple]:
    return [(p.uuid, p.digest, p.size, p.media_type) for p in _pages(case)]


def _refused(session, matter, applicant, scans) -> Case:
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:1])
    session.materials.attach_pages(case.uuid, "hukou", scans[1:2])
    session.cases.submit(case.uuid, matter)
    for step in (Transition.UPLOAD, Transition.REFUSE):
        session.cases.apply_status_event(case.uuid, StatusEvent(f"{case.uuid}-{step}", step))
    return Case.get_by_id(case.id)


def test_purge_takes_only_old_ended_and_discarded_cases(
    session, matter, applicant, scans, clock
) -> None:
    delivered = _deliver(session, matter, applicant, scans)
    closed = _deliver(session, matter, applicant, scans, close=True)
    refused = _refused(session, matter, applicant, scans)
    withdrawn = _accepted(session, matter, applicant, scans)
    session.cases.withdraw(withdrawn.uuid, "申请人撤回")
    accepted = _accepted(session, matter, applicant, scans)
    draft = session.cases.create_draft(matter, 1, applicant)
    session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    discarded = session.cases.create_draft(matter, 1, applicant)
    session.materials.attach_pages(discarded.uuid, "id_card", scans[:1])
    session.cases.discard(discarded.uuid)
    clock.advance(timedelta(days=31))
    recent = _deliver(session, matter, applicant, scans)
    recently_refused = _refused(session, matter, applicant, scans)
    ended = (delivered, closed, refused, withdrawn, discarded)
    ledger = {c.uuid: _ledger(c) for c in ended}
    kept = {p.blob_name for c in (accepted, draft, recent, recently_refused) for p in _pages(c)}

    report = session.materials.purge(30)

    assert report == PurgeReport(cases=5, pages=12)
    for case in ended:
        assert _ledger(case) == ledger[case.uuid]
        assert {(p.blob_name, p.blob_key, p.purged_at) for p in _pages(case)} == {
            (None, None, clock.now())
        }
    assert set(session.blobs.names()) == kept
    assert all(p.purged_at is None for c in (accepted, draft, recent) for p in _pages(c))
    purged_audit = AuditEvent.select().where(AuditEvent.detail == {"purged": "retention"})
    assert {e.object_id for e in purged_audit} == {c.uuid for c in ended}
    assert session.materials.purge(30) == PurgeReport(0, 0)


def test_purge_boundary_is_the_retention_period(session, matter, applicant, scans, clock) -> None:
    case = _deliver(session, matter, applicant, scans)
    clock.advance(timedelta(days=30))
    assert session.materials.purge(30) == PurgeReport(0, 0)
    clock.advance(timedelta(seconds=1))
    assert session.materials.purge(30) == PurgeReport(1, 3)
    with pytest.raises(PageNotFoundError):
        session.materials.read_page(_pages(case)[0].uuid)


# --- the orphan sweep -----------------------------------------------------------------------


def _age(path: Path, clock, age: timedelta) -> None:
    moment = (clock.now() - age).replace(tzinfo=timezone.utc).timestamp()
    os.utime(path, (moment, moment))


def test_sweep_removes_only_old_orphans(session, draft, scans, clock) -> None:
    (page,) = session.materials.attach_pages(draft.uuid, "id_card", scans[:1])
    old_orphan = session.blobs.put(scans[1]).name
    fresh_orphan = session.blobs.put(scans[2]).name
    temp = session.blobs.root / "tmp" / ("0" * 32 + ".part")
    temp.write_bytes(b"partial")
    _age(session.blobs.path_of(page.blob_name), clock, timedelta(days=9))
    _age(session.blobs.path_of(old_orphan), clock, timedelta(hours=2))
    _age(session.blobs.path_of(fresh_orphan), clock, timedelta(minutes=10))
    _age(temp, clock, timedelta(hours=2))

    assert sweep(session, timedelta(hours=1)) == 2

    assert set(session.blobs.names()) == {page.blob_name, fresh_orphan}
    assert not temp.exists()
    assert _read(session, page) == scans[0].read_bytes()


def test_run_maintenance_purges_then_sweeps_and_keeps_the_setting(
    session, matter, applicant, scans, clock
) -> None:
    delivered = _deliver(session, matter, applicant, scans)
    orphan = session.blobs.put(scans[0]).name
    clock.advance(timedelta(days=11))
    _age(session.blobs.path_of(orphan), clock, timedelta(days=1))

    report = run_maintenance(session, retention_days=10)

    assert (report.purged, report.swept) == (PurgeReport(1, 3), 1)
    assert list(session.blobs.names()) == []
    assert all(p.blob_name is None for p in _pages(delivered))
    assert settings.get("retention_days") == 10
    again = run_maintenance(session)
    assert (again.purged, again.swept) == (PurgeReport(0, 0), 0)


def test_run_maintenance_uses_the_default_retention(session, matter, applicant, scans, clock):
    _deliver(session, matter, applicant, scans)
    clock.advance(timedelta(days=settings.DEFAULTS["retention_days"] - 1))
    assert run_maintenance(session).purged == PurgeReport(0, 0)
    clock.advance(timedelta(days=2))
    assert run_maintenance(session).purged == PurgeReport(1, 3)


def test_sweep_removes_scan_working_copies_left_by_a_crash(session, clock) -> None:
    from station.maintenance import SWEEP_GRACE, WORK_DIR, sweep

    old = session.paths.root / WORK_DIR / "scans-old"
    fresh = session.paths.root / WORK_DIR / "scans-fresh"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / "copy.jpg").write_bytes(b"\xff\xd8\xff plain copy")
    stamp = (clock.now() - SWEEP_GRACE - timedelta(minutes=1)).replace(tzinfo=timezone.utc)
    os.utime(old, (stamp.timestamp(), stamp.timestamp()))
    os.utime(fresh, (clock.now().replace(tzinfo=timezone.utc).timestamp(),) * 2)
    assert sweep(session) == 1
    assert not old.exists() and fresh.exists()
