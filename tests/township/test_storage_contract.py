"""The storage contract: every township operation behaves the same on SQLite and on
PostgreSQL (Kinto style: one suite, every backend)."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.messages import read_event, read_receipt
from sync.township.decisions import MissingItem, ResultUpload
from sync.township.db import migrate
from sync.township.errors import (
    BlobDigestMismatchError,
    BlobsMissingError,
    ChecksumMismatchError,
    ConflictError,
    DecisionError,
    EnrolmentRefusedError,
    EnvelopeRefusedError,
    OffsetMismatchError,
)
from sync.township.models import MODELS, Refusal, SchemaVersion
from sync.township.service import Township
from sync.township.stations import EnrolRequest
from tests.township.client import DirectStation, enrol_body, enrol_directly, ledger_bytes
from tests.township.server import MovableClock


@pytest.fixture
def clock(service: Township) -> MovableClock:
    moving = service.context.clock
    assert isinstance(moving, MovableClock)
    return moving


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload(service: Township, station: str, data: bytes) -> None:
    service.uploads.create(station, _sha(data), len(data))
    service.uploads.append(station, _sha(data), 0, data, hashlib.sha256(data).digest())


def _versions() -> list[int]:
    return [row.version for row in SchemaVersion.select().order_by(SchemaVersion.version)]


def test_migrating_again_changes_nothing(service: Township) -> None:
    applied = _versions()
    assert migrate(service.context.database) == len(applied) >= 2
    assert _versions() == applied == list(range(1, len(applied) + 1))


def test_the_migrated_tables_are_the_models(service: Township) -> None:
    tables = set(service.context.database.get_tables())
    assert tables == {model._meta.table_name for model in MODELS}


def test_a_version_1_database_gains_the_refusals(service: Township) -> None:
    database = service.context.database
    applied = _versions()
    Refusal.drop_table()
    SchemaVersion.delete().where(SchemaVersion.version == 2).execute()
    migrate(database)
    assert Refusal.table_exists()
    assert _versions() == applied


def test_a_code_enrols_once(service: Township) -> None:
    code = service.stations.add("Village A").code
    first = EnrolRequest.from_json(enrol_body(code, _key()))
    service.stations.enrol(first)
    with pytest.raises(EnrolmentRefusedError):
        service.stations.enrol(first)


def test_an_expired_code_is_refused(service: Township, clock: MovableClock) -> None:
    code = service.stations.add("Village A").code
    clock.advance(timedelta(days=7, seconds=1))
    with pytest.raises(EnrolmentRefusedError):
        service.stations.enrol(EnrolRequest.from_json(enrol_body(code, _key())))


def test_a_revoked_station_has_no_key(service: Township) -> None:
    station = enrol_directly(service)
    assert service.stations.public_key(station.id) is not None
    service.stations.revoke(station.id)
    assert service.stations.public_key(station.id) is None


def test_a_nonce_is_refused_within_the_window_and_forgotten_after(
        service: Township, clock: MovableClock) -> None:
    remember = service.stations.remember_nonce
    assert remember("s1", "n" * 22, clock())
    assert not remember("s1", "n" * 22, clock())
    assert remember("s2", "n" * 22, clock())
    clock.advance(timedelta(seconds=601))
    assert remember("s3", "x" * 22, clock())
    assert remember("s1", "n" * 22, clock())


def test_an_upload_keeps_whole_chunks_and_completes(service: Township) -> None:
    station = enrol_directly(service).id
    data = os.urandom(3000)
    sha = _sha(data)
    assert service.uploads.create(station, sha, 3000).offset == 0
    service.uploads.append(station, sha, 0, data[:1000], hashlib.sha256(data[:1000]).digest())
    with pytest.raises(ChecksumMismatchError):
        service.uploads.append(station, sha, 1000, data[1000:2000], bytes(32))
    with pytest.raises(OffsetMismatchError) as caught:
        service.uploads.append(station, sha, 2000, data[2000:], _digest(data[2000:]))
    assert caught.value.offset == 1000
    assert service.uploads.create(station, sha, 3000).offset == 1000
    state = service.uploads.append(station, sha, 1000, data[1000:], _digest(data[1000:]))
    assert state.complete
    with service.context.blobs.open(station, sha) as stored:
        assert stored.read() == data


def test_an_upload_that_is_not_its_digest_is_dropped(service: Township) -> None:
    station = enrol_directly(service).id
    data = os.urandom(100)
    sha = _sha(b"something else")
    service.uploads.create(station, sha, 100)
    with pytest.raises(BlobDigestMismatchError):
        service.uploads.append(station, sha, 0, data, _digest(data))
    assert service.uploads.create(station, sha, 100).offset == 0


def test_a_new_envelope_gets_a_receipt_and_a_resend_the_same_one(service: Township) -> None:
    station = enrol_directly(service)
    page = os.urandom(500)
    _upload(service, station.id, page)
    data = station.envelope(1, blobs=(page,))
    first = service.intake.receive(station.id, data)
    again = service.intake.receive(station.id, data)
    assert first.created and not again.created
    assert again.receipt == first.receipt
    receipt = read_receipt(first.receipt, service.keys.signing.public_key())
    assert (receipt.station, receipt.seq) == (station.id, 1)
    assert receipt.envelope_sha256 == _sha(data)
    assert receipt.township_number.startswith("T")


@pytest.mark.parametrize("clash", ["seq", "revision"])
def test_other_content_under_a_held_seq_or_revision_is_a_conflict(
        service: Township, clash: str) -> None:
    station = enrol_directly(service)
    case = str(uuid.uuid4())
    held = station.envelope(1, case=case)
    service.intake.receive(station.id, held)
    other = (station.envelope(1, case=case, content={"other": 1}) if clash == "seq"
             else station.envelope(2, case=case, revision=1, content={"other": 1}))
    with pytest.raises(ConflictError) as caught:
        service.intake.receive(station.id, other)
    assert caught.value.fields == {"envelope_sha256": _sha(held)}


def test_missing_blobs_are_named(service: Township) -> None:
    station = enrol_directly(service)
    held, absent = os.urandom(10), os.urandom(20)
    _upload(service, station.id, held)
    with pytest.raises(BlobsMissingError) as caught:
        service.intake.receive(station.id, station.envelope(1, blobs=(held, absent)))
    assert caught.value.missing == [_sha(absent)]


def test_revisions_must_follow_sequences(service: Township) -> None:
    station = enrol_directly(service)
    case = str(uuid.uuid4())
    service.intake.receive(station.id, station.envelope(5, case=case, revision=2))
    with pytest.raises(EnvelopeRefusedError) as caught:
        service.intake.receive(station.id, station.envelope(6, case=case, revision=1))
    assert caught.value.code == "sequence_invalid"
    assert service.intake.receive(station.id, station.envelope(3, case=case,
                                                               revision=1)).created


def test_township_numbers_are_unique_and_kept_per_case(service: Township) -> None:
    station = enrol_directly(service)
    cases = [str(uuid.uuid4()) for _ in range(3)]
    numbers = [_number(service, service.intake.receive(
        station.id, station.envelope(seq, case=case)).receipt)
        for seq, case in enumerate(cases, start=1)]
    later = service.intake.receive(station.id, station.envelope(4, case=cases[0], revision=2))
    assert len(set(numbers)) == 3
    assert _number(service, later.receipt) == numbers[0]


def test_event_cursors_grow_per_station(service: Township) -> None:
    first, second = enrol_directly(service, "A"), enrol_directly(service, "B")
    for n in range(3):
        service.decisions.message(first.id, f"note {n}")
    service.decisions.message(second.id, "hello")
    page = service.events.page(first.id, 0, 2)
    assert [read_event(e, service.keys.signing.public_key()).cursor
            for e in page.events] == [1, 2]
    assert (page.next, page.more) == (2, True)
    rest = service.events.page(first.id, page.next, 2)
    assert (len(rest.events), rest.next, rest.more) == (1, 3, False)
    assert service.events.page(second.id, 0, 10).next == 1


def test_concurrent_decisions_get_distinct_cursors(service: Township) -> None:
    station = enrol_directly(service)
    errors: list[BaseException] = []

    def post() -> None:
        try:
            for _ in range(5):
                service.decisions.message(station.id, "busy")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            service.context.database.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    page = service.events.page(station.id, 0, 100)
    cursors = [read_event(e, service.keys.signing.public_key()).cursor for e in page.events]
    assert cursors == list(range(1, 21))


def test_concurrent_identical_envelopes_store_one(service: Township) -> None:
    station = enrol_directly(service)
    data = station.envelope(1)
    results: list[bool] = []

    def send() -> None:
        try:
            results.append(service.intake.receive(station.id, data).created)
        finally:
            service.context.database.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


@pytest.mark.parametrize("decide, kind", [
    (lambda s, st, c: s.decisions.accept(st, c), "accepted"),
    (lambda s, st, c: s.decisions.return_case(st, c, "unclear scan",
                                              [MissingItem("M01", "ID card", "blurred")]),
     "returned"),
    (lambda s, st, c: s.decisions.refuse(st, c, "not in our remit"), "refused"),
])
def test_a_decision_is_a_signed_event_made_once(service: Township, decide, kind) -> None:
    station, case = _received(service)
    first = decide(service, station.id, case)
    again = decide(service, station.id, case)
    assert again.event_id == first.event_id
    event = read_event(bytes(first.data), service.keys.signing.public_key())
    assert (event.kind, event.case, event.cursor) == (kind, case, 1)


def test_completion_carries_the_result_file(service: Township) -> None:
    station, case = _received(service)
    service.decisions.accept(station.id, case)
    made = service.decisions.complete(station.id, case, True, "Approved.",
                                      ResultUpload("licence.pdf", "application/pdf", b"%PDF"))
    payload = read_event(bytes(made.data), service.keys.signing.public_key()).payload
    row, path = service.files.find(station.id, payload["file"]["id"])
    assert path.read_bytes() == b"%PDF"
    assert payload["file"]["sha256"] == _sha(b"%PDF") == row.sha256


@pytest.mark.parametrize("state_maker", ["nothing", "refused"])
def test_completion_needs_an_accepted_case(service: Township, state_maker: str) -> None:
    station, case = _received(service)
    if state_maker == "refused":
        service.decisions.refuse(station.id, case, "no")
    with pytest.raises(DecisionError):
        service.decisions.complete(station.id, case, True, "done")


def test_a_resend_request_names_the_sequences(service: Township) -> None:
    station = enrol_directly(service)
    made = service.decisions.request_resend(station.id, [7, 3, 7])
    event = read_event(bytes(made.data), service.keys.signing.public_key())
    assert (event.kind, event.case, event.payload) == ("resend", None, {"seqs": [3, 7]})


@pytest.mark.parametrize("decide", [
    lambda s, st, c: s.decisions.accept(st, str(uuid.uuid4())),
    lambda s, st, c: s.decisions.refuse(st, c, "  "),
    lambda s, st, c: s.decisions.message("s-nobody", "hello"),
    lambda s, st, c: s.decisions.request_resend(st, [0]),
    lambda s, st, c: s.decisions.request_resend(st, []),
])
def test_an_impossible_decision_changes_nothing(service: Township, decide) -> None:
    station, case = _received(service)
    with pytest.raises(DecisionError):
        decide(service, station.id, case)
    assert service.events.page(station.id, 0, 10).events == ()
    assert service.overview.case(station.id, case).summary.state == "received"


def test_cases_are_listed_newest_first_by_station_and_state(service: Township) -> None:
    station, first = _received(service)
    second = str(uuid.uuid4())
    service.intake.receive(station.id, station.envelope(2, case=second))
    service.decisions.accept(station.id, first)
    listed = service.overview.cases(station=station.id)
    assert [c.case for c in listed] == [second, first]
    assert [c.case for c in service.overview.cases(state="accepted")] == [first]
    assert service.overview.cases(before=listed[0].id) == listed[1:]


def test_a_resubmission_reopens_a_returned_case(service: Township) -> None:
    station, case = _received(service)
    service.decisions.return_case(station.id, case, "missing page", [])
    service.intake.receive(station.id, station.envelope(2, case=case, revision=2))
    assert service.overview.case(station.id, case).summary.state == "received"
    assert service.decisions.accept(station.id, case).kind == "accepted"


def test_reading_a_case_opens_its_newest_content(service: Township) -> None:
    station, case = _received(service)
    service.intake.receive(station.id, station.envelope(2, case=case, revision=2,
                                                        content={"case": {"v": 2}}))
    detail = service.overview.case(station.id, case)
    assert detail.content == {"case": {"v": 2}}
    assert [e.seq for e in detail.envelopes] == [1, 2]
    assert service.overview.cases(station=station.id)[0].case == case


def test_heartbeats_give_station_health(service: Township) -> None:
    station = enrol_directly(service)
    service.reconciliation.heartbeat(station.id, _heartbeat(queue=4))
    service.reconciliation.heartbeat(station.id, _heartbeat(queue=2))
    health = {h.station: h for h in service.overview.health()}[station.id]
    assert (health.queue, health.app_version, health.reported_highest_seq) == (2, "1.2.0", 7)


def test_the_ledger_answer_lists_missing_and_mismatched(service: Township) -> None:
    station = enrol_directly(service)
    digests = {seq: _sha(service_envelope(service, station, seq)) for seq in (1, 2, 4)}
    claimed = {1: digests[1], 2: "0" * 64, 3: "1" * 64, 4: digests[4]}
    report = ledger_bytes(station.id, station.key, claimed)
    answer = service.reconciliation.ledger(station.id, report, station.key.public_key())
    assert (answer.through, answer.missing, answer.mismatched) == (1, (3,), (2,))
    figures = service.overview.figures(station.id)
    assert (figures.received, figures.gaps, figures.ledger_through) == (3, (3,), 1)


def service_envelope(service: Township, station: DirectStation, seq: int) -> bytes:
    data = station.envelope(seq)
    service.intake.receive(station.id, data)
    return data


def _received(service: Township) -> tuple[DirectStation, str]:
    station = enrol_directly(service)
    case = str(uuid.uuid4())
    service.intake.receive(station.id, station.envelope(1, case=case))
    return station, case


def _number(service: Township, receipt: bytes) -> str:
    return read_receipt(receipt, service.keys.signing.public_key()).township_number


def _heartbeat(queue: int) -> dict[str, object]:
    return {"queue": queue, "quarantined": 0, "app_version": "1.2.0",
            "catalog_version": "2026.1", "last_error": None, "free_disk": 10 ** 11,
            "highest_seq": 7}


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
