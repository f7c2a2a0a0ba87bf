"""Refused envelopes are remembered (on every backend): reconciliation settles their
sequences and the console counts and lists them."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.seal import SealingKey
from sync.signed import sign
from sync.township.errors import (
    BlobsMissingError,
    ConflictError,
    EnvelopeRefusedError,
    SignatureInvalidError,
)
from sync.township.models import Refusal
from sync.township.service import Township
from tests.township.client import DirectStation, build_envelope, enrol_directly, ledger_bytes
from tests.township.server import MovableClock

CASE = "0b0e7a52-6a8e-4c1e-9a57-3f1c2d4e5f60"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _resigned(data: bytes, key: Ed25519PrivateKey, **changes: object) -> bytes:
    body = {k: v for k, v in json.loads(data)["signed"].items() if k not in ("_type", "v")}
    return sign("envelope", {**body, **changes}, key)


def _same_seq(service: Township, station: DirectStation) -> bytes:
    service.intake.receive(station.id, station.envelope(3, case=str(uuid.uuid4())))
    return station.envelope(3, case=CASE)


def _same_revision(service: Township, station: DirectStation) -> bytes:
    service.intake.receive(station.id, station.envelope(1, case=CASE))
    return station.envelope(3, case=CASE, content={"other": True})


def _older_revision(service: Township, station: DirectStation) -> bytes:
    service.intake.receive(station.id, station.envelope(1, case=CASE, revision=2))
    return station.envelope(3, case=CASE, revision=1)


REFUSED: list[tuple[str, Callable[[Township, DirectStation], bytes]]] = [
    ("conflict", _same_seq),
    ("conflict", _same_revision),
    ("sequence_invalid", _older_revision),
    ("envelope_signature_invalid",
     lambda s, st: build_envelope(st.enrolment, Ed25519PrivateKey.generate(), 3, case=CASE)),
    ("undecryptable", lambda s, st: st.envelope(
        3, case=CASE, sealing_key=SealingKey.generate().public_bytes())),
    ("malformed", lambda s, st: _resigned(st.envelope(3, case=CASE), st.key, kind="gossip")),
]


@pytest.mark.parametrize("code, make", REFUSED)
def test_a_refusal_is_recorded_with_what_could_be_read(
        service: Township, code: str, make: Callable[[Township, DirectStation], bytes]) -> None:
    station = enrol_directly(service)
    data = make(service, station)
    with pytest.raises((EnvelopeRefusedError, ConflictError)) as caught:
        service.intake.receive(station.id, data)
    assert caught.value.code == code
    [refusal] = service.overview.refusals(station.id)
    assert (refusal.seq, refusal.case, refusal.digest, refusal.code, refusal.times) == \
        (3, CASE, _sha(data), code, 1)


@pytest.mark.parametrize("data", [
    b"not json",
    b'{"signatures":[],"signed":{"_type":"village-station/envelope","v":1,"seq":"3"}}',
])
def test_an_unreadable_envelope_is_recorded_without_seq_or_case(service: Township,
                                                                data: bytes) -> None:
    station = enrol_directly(service)
    with pytest.raises(EnvelopeRefusedError):
        service.intake.receive(station.id, data)
    [refusal] = service.overview.refusals(station.id)
    assert (refusal.seq, refusal.case, refusal.digest, refusal.code) == \
        (None, None, _sha(data), "malformed")


def test_an_envelope_naming_another_station_settles_none_of_its_seqs(
        service: Township) -> None:
    station, other = enrol_directly(service, "A"), enrol_directly(service, "B")
    data = build_envelope(station.enrolment, station.key, 4, station=other.id)
    with pytest.raises(EnvelopeRefusedError):
        service.intake.receive(station.id, data)
    assert [(r.station, r.seq) for r in service.overview.refusals()] == [(station.id, None)]


def test_the_same_refusal_again_is_counted_on_one_row(service: Township) -> None:
    clock = service.context.clock
    assert isinstance(clock, MovableClock)
    station = enrol_directly(service)
    data = build_envelope(station.enrolment, Ed25519PrivateKey.generate(), 1)
    for _ in range(3):
        with pytest.raises(EnvelopeRefusedError):
            service.intake.receive(station.id, data)
        clock.advance(timedelta(minutes=5))
    [refusal] = service.overview.refusals(station.id)
    assert refusal.times == 3
    assert timedelta(minutes=10) <= refusal.last_at - refusal.first_at < timedelta(minutes=11)


def test_what_is_not_a_refusal_for_good_is_not_recorded(service: Township) -> None:
    station = enrol_directly(service)
    with pytest.raises(BlobsMissingError):
        service.intake.receive(station.id, station.envelope(1, blobs=(b"page",)))
    service.stations.revoke(station.id)
    with pytest.raises(SignatureInvalidError):
        service.intake.receive(station.id, b"not json")
    assert service.overview.refusals() == []


def test_a_refusal_that_cannot_be_recorded_still_gets_its_answer(service: Township) -> None:
    station = enrol_directly(service)
    Refusal.drop_table()
    try:
        with pytest.raises(EnvelopeRefusedError) as caught:
            service.intake.receive(station.id, b"not json")
        assert caught.value.code == "malformed"
        assert service.intake.receive(station.id, station.envelope(1)).created
    finally:
        Refusal.create_table()


def test_refusals_are_listed_newest_first_by_station_and_code(service: Township) -> None:
    first, second = enrol_directly(service, "A"), enrol_directly(service, "B")
    for station in (first, second, first):
        with pytest.raises(EnvelopeRefusedError):
            service.intake.receive(station.id, station.envelope(
                1, sealing_key=SealingKey.generate().public_bytes()))
    service.intake.receive(first.id, first.envelope(2, case=CASE))
    with pytest.raises(ConflictError):
        service.intake.receive(first.id, first.envelope(3, case=CASE, content={"x": 1}))
    listed = service.overview.refusals(first.id)
    assert [(r.seq, r.code) for r in listed] == [(3, "conflict"), (1, "undecryptable"),
                                                 (1, "undecryptable")]
    assert [r.seq for r in service.overview.refusals(code="conflict")] == [3]
    assert service.overview.refusals(first.id, before=listed[0].id, limit=1) == listed[1:2]


def _settle(service: Township, station: DirectStation,
            lines: dict[int, str | None]) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    answer = service.reconciliation.ledger(station.id, ledger_bytes(station.id, station.key,
                                                                    lines),
                                           station.key.public_key())
    return answer.through, answer.missing, answer.mismatched


def _refused_at_2(service: Township, station: DirectStation) -> dict[int, str]:
    """Seqs 1 and 3 taken, seq 2 refused as a duplicate of seq 1's case revision: the
    digests the station holds."""
    sent = [station.envelope(1, case=CASE),
            station.envelope(2, case=CASE, content={"again": True}), station.envelope(3)]
    service.intake.receive(station.id, sent[0])
    with pytest.raises(ConflictError):
        service.intake.receive(station.id, sent[1])
    service.intake.receive(station.id, sent[2])
    return {seq: _sha(data) for seq, data in enumerate(sent, start=1)}


@pytest.mark.parametrize("listed, answer", [
    ("refused", (3, (), ())),
    ("none", (3, (), ())),
    ("other", (1, (2,), ())),
])
def test_a_refused_seq_is_settled_when_the_station_lists_it_as_refused(
        service: Township, listed: str, answer: tuple) -> None:
    station = enrol_directly(service)
    lines: dict[int, str | None] = dict(_refused_at_2(service, station))
    lines[2] = {"refused": lines[2], "none": None, "other": "0" * 64}[listed]
    assert _settle(service, station, lines) == answer


def test_a_seq_held_with_other_content_and_refused_is_settled_by_the_refused_digest(
        service: Township) -> None:
    station = enrol_directly(service)
    held = station.envelope(1, case=str(uuid.uuid4()))
    service.intake.receive(station.id, held)
    refused = station.envelope(1, case=CASE)
    with pytest.raises(ConflictError):
        service.intake.receive(station.id, refused)
    assert _settle(service, station, {1: _sha(refused)}) == (1, (), ())
    assert _settle(service, station, {1: "0" * 64}) == (0, (), (1,))


def test_figures_count_duplicates_and_quarantined_and_leave_refusals_out_of_gaps(
        service: Township) -> None:
    station = enrol_directly(service)
    lines = _refused_at_2(service, station)
    with pytest.raises(EnvelopeRefusedError):
        service.intake.receive(station.id, station.envelope(
            5, sealing_key=SealingKey.generate().public_bytes()))
    service.intake.receive(station.id, station.envelope(6))
    service.reconciliation.heartbeat(station.id, {
        "queue": 0, "quarantined": 2, "app_version": "1.2.0", "highest_seq": 6})
    _settle(service, station, {1: lines[1], 2: lines[2]})
    figures = service.overview.figures(station.id)
    assert (figures.highest_received, figures.gaps, figures.duplicates_refused,
            figures.quarantined) == (6, (4,), 1, 1)
    assert (figures.ledger_through, figures.reported_highest_seq,
            figures.reported_quarantined) == (2, 2, 2)
    assert figures.last_heartbeat_at is not None

