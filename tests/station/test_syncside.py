"""The station's side of sync over a real SQCipher store: envelopes built once with the
case content, items settled, township events applied once, the ledger, the lock."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from peewee import SqliteDatabase

from station import models, syncstate
from station.cases import CaseInFlightError, StatusEvent
from station.materials import referenced_blobs
from station.lifecycle import CaseState, Transition
from station.models import Case, MaterialFile, OutboxItem, Receipt
from station.outbox import ItemState, in_flight
from station.streamcrypt import decrypt_stream
from station.sync_models import SYNC_MODELS
from station.syncside import StationSyncSide, engine_for
from sync import envelope as envelopes
from sync.engine import EventResult, ItemError
from sync.messages import (
    Enrolment,
    Event,
    LedgerEntry,
    Receipt as ReceiptDoc,
    make_enrolment,
    make_event,
    make_receipt,
    read_enrolment,
)
from sync.seal import SealingKey
from sync.signed import b64decode
from sync.transport import TransportError
from tests.station.conftest import COMPLETE_ANSWERS

STATION = "s0123456789abcdef"
NOW = datetime(2026, 11, 23, 3, 0, 0)


@pytest.fixture
def township() -> tuple[Ed25519PrivateKey, SealingKey]:
    return Ed25519PrivateKey.generate(), SealingKey.generate()


@pytest.fixture
def side(session, township) -> StationSyncSide:
    signing, sealing = township
    answer = make_enrolment(Enrolment(
        station=STATION, name="测试村便民服务站", township="T1", township_name="测试镇",
        signing_key=signing.public_key(), sealing_key=sealing.public_bytes(),
        suite=sealing.suite, server_time=NOW), signing)
    with session.db.atomic():
        syncstate.save_enrolment(read_enrolment(answer), "http://127.0.0.1:9",
                                 Ed25519PrivateKey.generate(), NOW)
    return StationSyncSide(session)


def _queue(session, matter, applicant, scans) -> Case:
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:2])
    session.materials.defer(case.uuid, "hukou", date(2026, 12, 1))
    return session.cases.submit(case.uuid, matter)


def _open(side: StationSyncSide, data: bytes, sealing: SealingKey) -> dict:
    verified = envelopes.verify(data, side.identity().key.public_key())
    return envelopes.open_content(verified, sealing)


def _send(side: StationSyncSide, seq: int, signing: Ed25519PrivateKey) -> bytes:
    """What the engine does for an item the township accepted: a receipt that verifies."""
    side.mark_sending(seq)
    built = side.envelope(seq)
    item = OutboxItem.get(OutboxItem.seq == seq)
    receipt = make_receipt(ReceiptDoc(STATION, seq, item.case.uuid, item.revision, built.digest,
                                      NOW, f"T2026-{seq:06d}"), signing)
    side.mark_sent(seq, receipt, f"T2026-{seq:06d}")
    return receipt


def _state(case: Case) -> str:
    return Case.get_by_id(case.id).state


def _item(seq: int) -> OutboxItem:
    return OutboxItem.get(OutboxItem.seq == seq)


# --- the schema -----------------------------------------------------------------------------


def _columns(db, table: str) -> dict[str, tuple[str, bool]]:
    rows = db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()
    return {row[1]: (row[2].upper(), bool(row[3])) for row in rows}


def _indexes(db, table: str) -> set[str]:
    return {row[1] for row in db.execute_sql(f'PRAGMA index_list("{table}")')}


@pytest.mark.parametrize("model", SYNC_MODELS, ids=lambda m: m._meta.table_name)
def test_migration_matches_the_sync_models(session, model) -> None:
    reference = SqliteDatabase(":memory:")
    with reference.bind_ctx(models.MODELS + SYNC_MODELS):
        reference.create_tables(models.MODELS + SYNC_MODELS)
    table = model._meta.table_name
    assert _columns(session.db, table) == _columns(reference, table)
    assert _indexes(reference, table) <= _indexes(session.db, table)


def test_not_enrolled_is_a_plain_error(session) -> None:
    with pytest.raises(syncstate.NotEnrolledError, match="not enrolled"):
        StationSyncSide(session).identity()
    with pytest.raises(syncstate.NotEnrolledError):
        engine_for(session)


def test_the_engine_is_made_while_another_thread_writes(side, session) -> None:
    """engine_for runs on the window's thread: it must not wait for the write lock."""
    writing, done = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with session.db.atomic():
            writing.set()
            done.wait()
        session.db.close()

    writer = threading.Thread(target=hold_the_write_lock)
    writer.start()
    writing.wait()
    try:
        engine = engine_for(session)
    finally:
        done.set()
        writer.join()
    engine.close()


# --- envelopes and their content ------------------------------------------------------------


def test_the_envelope_is_built_once_and_seals_the_case(side, township, queued) -> None:
    signing, sealing = township
    [pending] = side.pending()
    assert (pending.seq, pending.case, pending.kind) == (1, queued.uuid, "submission")
    side.mark_sending(1)
    built = side.envelope(1)
    assert side.envelope(1).data == built.data
    content = _open(side, built.data, sealing)
    assert content["case"]["uuid"] == queued.uuid
    assert content["case"]["state"] == "queued"
    assert content["applicant"]["id_number"] == "11010519491231002X"
    assert content["agent"]["login"] == "wang"
    assert [m["code"] for m in content["materials"]][:2] == ["id_card", "hukou"]
    assert content["materials"][1]["deferred_until"] == "2026-12-01"
    assert [t["to"] for t in content["transitions"]] == ["draft", "queued"]
    assert content["note"] is None


def test_pages_name_the_stored_files_and_their_keys(side, township, queued, session) -> None:
    signing, sealing = township
    side.mark_sending(1)
    built = side.envelope(1)
    pages = _open(side, built.data, sealing)["materials"][0]["pages"]
    stored = {row.uuid: row for row in MaterialFile.select()}
    blobs = {blob.sha256: blob for blob in built.blobs}
    assert len(pages) == 2 and sorted(blobs) == sorted(page["blob"] for page in pages)
    for page in pages:
        blob = blobs[page["blob"]]
        with blob.open() as handle:
            raw = handle.read()
        assert hashlib.sha256(raw).hexdigest() == page["blob"] == blob.sha256
        assert len(raw) == blob.size
        plain = io.BytesIO()
        decrypt_stream(io.BytesIO(raw), plain, b64decode(page["key"], 32))
        assert hashlib.sha256(plain.getvalue()).hexdigest() == page["digest"]
        assert stored[page["uuid"]].digest == page["digest"]


def test_a_withdrawal_carries_the_reason_as_its_note(side, township, queued, session) -> None:
    _send(side, 1, township[0])
    session.cases.apply_status_event(queued.uuid, StatusEvent("e-accept", Transition.ACCEPT))
    session.cases.withdraw(queued.uuid, "申请人撤回申请")
    side.mark_sending(2)
    content = _open(side, side.envelope(2).data, township[1])
    assert (content["note"], content["case"]["state"]) == ("申请人撤回申请", "withdrawn")


def test_a_missing_page_file_sets_the_item_aside(side, queued, session) -> None:
    for page in MaterialFile.select():
        session.blobs.path_of(page.blob_name).unlink()
    side.mark_sending(1)
    with pytest.raises(ItemError) as raised:
        side.envelope(1)
    assert raised.value.reason == "page_missing"
    assert syncstate.stored_envelope(_item(1)) is None


def test_a_page_file_gone_after_the_build_cannot_be_opened(side, queued, session) -> None:
    side.mark_sending(1)
    built = side.envelope(1)
    for page in MaterialFile.select():
        session.blobs.path_of(page.blob_name).unlink()
    with pytest.raises(ItemError, match="set aside"):
        built.blobs[0].open()


# --- settling items -------------------------------------------------------------------------


def test_a_receipt_settles_the_item_and_uploads_the_case(side, township, queued) -> None:
    receipt = _send(side, 1, township[0])
    assert _item(1).state == ItemState.SENT
    assert bytes(Receipt.get(Receipt.outbox_item == _item(1)).body) == receipt
    assert _state(queued) == CaseState.UPLOADED
    assert side.pending() == []
    digest = syncstate.stored_envelope(_item(1)).digest
    assert side.ledger().entries == (LedgerEntry(1, digest),)


def test_failures_keep_the_item_and_quarantine_sets_it_aside(side, queued, session,
                                                            matter, applicant, scans) -> None:
    second = _queue(session, matter, applicant, scans)
    side.mark_sending(1)
    side.mark_failed(1, "timeout")
    assert (_item(1).state, _item(1).last_error, _item(1).attempts) == ("pending", "timeout", 1)
    side.quarantine(1, "malformed")
    side.mark_sending(2)
    side.envelope(2)
    side.quarantine(2, "conflict")
    assert [p.seq for p in side.pending()] == []
    listed = syncstate.quarantined_items()
    assert [(q.seq, q.case_uuid, q.reason) for q in listed] == [
        (1, queued.uuid, "malformed"), (2, second.uuid, "conflict")]
    digest = syncstate.stored_envelope(_item(2)).digest
    assert side.ledger().entries == (LedgerEntry(1, None), LedgerEntry(2, digest))
    assert _state(queued) == CaseState.QUEUED


def test_a_case_is_locked_from_its_first_attempt_until_settled(side, township, queued) -> None:
    assert not in_flight(queued)
    side.mark_sending(1)
    side.envelope(1)
    side.mark_failed(1, "connection")
    assert in_flight(queued)
    _send(side, 1, township[0])
    assert not in_flight(queued)


def test_a_returned_case_stays_closed_to_edits_while_an_item_is_in_flight(
    side, township, queued, session, scans
) -> None:
    """The receipt was lost, the township returned the case: the kept envelope names the
    pages, so none may change until the resend settles the item."""
    side.mark_sending(1)
    side.envelope(1)
    session.cases.apply_status_event(queued.uuid, StatusEvent("up", Transition.UPLOAD))
    session.cases.apply_status_event(queued.uuid, StatusEvent("back", Transition.RETURN))
    page = MaterialFile.select().where(MaterialFile.case == queued).first()
    with pytest.raises(CaseInFlightError):
        session.materials.remove_page(page.uuid)
    with pytest.raises(CaseInFlightError):
        session.materials.attach_pages(queued.uuid, "id_card", scans[:1])
    _send(side, 1, township[0])
    session.materials.remove_page(page.uuid)


def test_requeued_items_resend_the_same_envelope(side, township, queued) -> None:
    _send(side, 1, township[0])
    data = side.envelope(1).data
    assert side.requeue([1, 7]) == [1]
    assert [p.seq for p in side.pending()] == [1]
    assert side.requeue([1]) == []
    _send(side, 1, township[0])
    assert side.envelope(1).data == data
    assert Receipt.select().count() == 1 and _item(1).state == ItemState.SENT


def test_counters_only_move_forward(side) -> None:
    side.set_cursor(5)
    side.set_cursor(3)
    side.set_ledger_through(4)
    assert (side.cursor(), side.ledger().through) == (5, 4)


def test_mismatched_items_are_kept_for_the_agent(side) -> None:
    assert syncstate.mismatched() == []
    side.flag_mismatched([3, 1, 3])
    assert syncstate.mismatched() == [1, 3]


def test_heartbeat_facts(side, queued) -> None:
    facts = side.heartbeat()
    assert {k: facts[k] for k in ("queue", "quarantined", "highest_seq", "catalog_version")} == {
        "queue": 1, "quarantined": 0, "highest_seq": 1, "catalog_version": "1"}
    assert facts["free_disk"] > 0 and facts["app_version"]


# --- township events ------------------------------------------------------------------------


def _event(signing, cursor: int, kind: str, case: str | None, payload: dict) -> tuple[Event, bytes]:
    event = Event(STATION, cursor, str(uuid.uuid4()), NOW, kind, case, payload)
    return event, make_event(event, signing)


def _no_fetch(file_id: str, sha256: str, size: int):  # noqa: ANN202
    raise AssertionError("nothing to fetch")


@pytest.fixture
def uploaded(side, township, queued) -> Case:
    _send(side, 1, township[0])
    return queued


@pytest.mark.parametrize("kind, payload, state", [
    ("accepted", {"township_number": "T2026-000001"}, CaseState.ACCEPTED),
    ("refused", {"reason": "不符合条件"}, CaseState.REFUSED),
    ("returned", {"reason": "材料不全", "missing": []}, CaseState.RETURNED),
])
def test_a_decision_moves_the_case_once(side, township, uploaded, kind, payload, state) -> None:
    event, data = _event(township[0], 1, kind, uploaded.uuid, payload)
    assert side.apply_event(event, data, _no_fetch) is EventResult.APPLIED
    assert side.apply_event(event, data, _no_fetch) is EventResult.DUPLICATE
    assert _state(uploaded) == state
    [kept] = syncstate.received_events()
    assert (kept.cursor, kept.kind, kept.applied, kept.payload) == (1, kind, True, payload)


def test_a_return_keeps_the_townships_checklist(side, township, uploaded, session) -> None:
    missing = [{"code": "hukou", "name": "户口簿", "reason": "缺户主页"},
               {"code": None, "name": "申请表", "reason": "签名不清"}]
    event, data = _event(township[0], 1, "returned", uploaded.uuid,
                         {"reason": "材料不全", "missing": missing})
    side.apply_event(event, data, _no_fetch)
    side.apply_event(event, data, _no_fetch)
    from station.supplements import checklist

    points = checklist(Case.get_by_id(uploaded.id))
    assert [(p.requirement_code, p.name, p.reason) for p in points] == [
        ("hukou", "户口簿", "缺户主页"), (None, "申请表", "签名不清")]


@pytest.mark.parametrize("kind, case, payload, reason", [
    ("accepted", "unknown", {"township_number": "T1"}, "unknown_case"),
    ("completed", "uploaded", {"approved": True, "result_text": "准予", "file": None},
     "invalid_transition"),
    ("accepted", "uploaded", {}, "malformed_payload"),
    ("accepted", None, {"township_number": "T1"}, "malformed_payload"),
    ("returned", "uploaded", {"reason": "x", "missing": [{"code": 1, "name": "n",
                                                          "reason": "r"}]},
     "malformed_payload"),
    ("completed", "uploaded", {"approved": "yes", "result_text": "准予", "file": None},
     "malformed_payload"),
    ("resend", None, {"seqs": "1"}, "malformed_payload"),
    ("message", None, {"text": 5}, "malformed_payload"),
])
def test_an_event_that_cannot_be_applied_is_kept_aside(side, township, uploaded, kind, case,
                                                       payload, reason) -> None:
    target = {"unknown": str(uuid.uuid4()), "uploaded": uploaded.uuid, None: None}[case]
    event, data = _event(township[0], 1, kind, target, payload)
    assert side.apply_event(event, data, _no_fetch) is EventResult.QUARANTINED
    assert side.apply_event(event, data, _no_fetch) is EventResult.DUPLICATE
    [kept] = syncstate.received_events(quarantined=True)
    assert (kept.event_id, kept.reason) == (event.id, reason)
    assert "township" in syncstate.event_reason_label(reason)
    assert _state(uploaded) == CaseState.UPLOADED


def _fetcher(content: bytes, calls: list):  # noqa: ANN202
    @contextmanager
    def fetch(file_id: str, sha256: str, size: int):  # noqa: ANN202
        calls.append((file_id, sha256, size))
        yield io.BytesIO(content)

    return fetch


def test_a_completed_case_keeps_its_result_file_encrypted(side, township, uploaded,
                                                          session) -> None:
    session.cases.apply_status_event(uploaded.uuid, StatusEvent("e-acc", Transition.ACCEPT))
    content = b"%PDF-1.7 result " * 1000
    file = {"id": str(uuid.uuid4()), "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content), "media_type": "application/pdf", "name": "决定书.pdf"}
    event, data = _event(township[0], 1, "completed", uploaded.uuid,
                         {"approved": True, "result_text": "准予办理", "file": file})
    calls: list = []
    assert side.apply_event(event, data, _fetcher(content, calls)) is EventResult.APPLIED
    assert side.apply_event(event, data, _fetcher(content, calls)) is EventResult.DUPLICATE
    assert calls == [(file["id"], file["sha256"], file["size"])]
    case = Case.get_by_id(uploaded.id)
    assert (case.state, case.result_text, case.result_approved) == ("completed", "准予办理", True)
    [kept] = syncstate.result_files(case)
    assert (kept.name, kept.digest, kept.size) == ("决定书.pdf", file["sha256"], len(content))
    raw = session.blobs.path_of(kept.blob_name).read_bytes()
    assert content[:100] not in raw
    assert b"".join(session.blobs.open(kept.blob_name, bytes(kept.blob_key))) == content
    assert syncstate.result_blob_names() == {kept.blob_name}
    assert kept.blob_name in referenced_blobs(), "the orphan sweep must keep result files"


def test_a_failed_download_records_nothing(side, township, uploaded, session) -> None:
    session.cases.apply_status_event(uploaded.uuid, StatusEvent("e-acc", Transition.ACCEPT))
    file = {"id": "f1", "sha256": "0" * 64, "size": 3, "media_type": "application/pdf",
            "name": "r.pdf"}
    event, data = _event(township[0], 1, "completed", uploaded.uuid,
                         {"approved": False, "result_text": "不予", "file": file})

    @contextmanager
    def broken(*_args):  # noqa: ANN202
        raise TransportError("connection")
        yield  # pragma: no cover

    with pytest.raises(TransportError):
        side.apply_event(event, data, broken)
    assert syncstate.received_events() == [] and _state(uploaded) == CaseState.ACCEPTED
    assert set(session.blobs.names()) == {page.blob_name for page in MaterialFile.select()}


def test_a_resend_request_requeues_sent_items(side, township, uploaded) -> None:
    event, data = _event(township[0], 1, "resend", None, {"seqs": [1, 9]})
    assert side.apply_event(event, data, _no_fetch) is EventResult.APPLIED
    assert [p.seq for p in side.pending()] == [1]


def test_messages_are_kept_for_the_agent(side, township, uploaded) -> None:
    event, data = _event(township[0], 1, "message", uploaded.uuid, {"text": "请补充材料原件"})
    side.apply_event(event, data, _no_fetch)
    [message] = syncstate.received_events(kind="message")
    assert (message.case_uuid, message.payload["text"]) == (uploaded.uuid, "请补充材料原件")
