"""Envelopes over HTTP: a signed receipt for a new one, the same receipt bytes for a
resend, 409 for other content, 412 for missing blobs, 422 for what can never be taken."""

from __future__ import annotations

import hashlib
import json
import os
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.messages import read_receipt
from sync.seal import SealingKey
from sync.signed import sign
from tests.township.client import StationClient, build_envelope
from tests.township.server import RunningTownship


def _error(answer) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]


def test_a_new_envelope_gets_a_verifiable_receipt(township: RunningTownship,
                                                  station: StationClient) -> None:
    page = os.urandom(2000)
    station.upload(page)
    data = station.envelope(blobs=(page,))
    answer = station.post_envelope(data)
    assert answer.status_code == 201
    receipt = read_receipt(answer.content, station.enrolment.signing_key)
    assert (receipt.station, receipt.seq, receipt.revision) == (station.station, 1, 1)
    assert receipt.envelope_sha256 == hashlib.sha256(data).hexdigest()


def test_an_identical_resend_gets_the_same_receipt_bytes(station: StationClient) -> None:
    data = station.envelope()
    first = station.post_envelope(data)
    again = station.post_envelope(data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content


@pytest.mark.parametrize("clash", ["seq", "revision"])
def test_other_content_is_a_conflict_naming_the_held_envelope(
        station: StationClient, clash: str) -> None:
    case = str(uuid.uuid4())
    held = station.envelope(case=case, seq=1)
    station.post_envelope(held)
    other = (station.envelope(case=case, seq=1, content={"changed": True}) if clash == "seq"
             else station.envelope(case=case, seq=2, content={"changed": True}))
    answer = station.post_envelope(other)
    assert _error(answer) == (409, "conflict")
    assert answer.json()["envelope_sha256"] == hashlib.sha256(held).hexdigest()


def test_missing_blobs_are_412_and_then_taken(station: StationClient) -> None:
    pages = (os.urandom(100), os.urandom(200))
    station.upload(pages[0])
    data = station.envelope(blobs=pages)
    answer = station.post_envelope(data)
    assert _error(answer) == (412, "blobs_missing")
    assert answer.json()["missing"] == [hashlib.sha256(pages[1]).hexdigest()]
    station.upload(pages[1])
    assert station.post_envelope(data).status_code == 201


def test_another_key_s_signature_is_422(station: StationClient) -> None:
    data = build_envelope(station.enrolment, Ed25519PrivateKey.generate(), 1)
    assert _error(station.post_envelope(data)) == (422, "envelope_signature_invalid")


def test_content_sealed_to_another_key_is_422(station: StationClient) -> None:
    data = station.envelope(sealing_key=SealingKey.generate().public_bytes())
    assert _error(station.post_envelope(data)) == (422, "undecryptable")


def _resigned(data: bytes, key: Ed25519PrivateKey, **changes: object) -> bytes:
    body = {k: v for k, v in json.loads(data)["signed"].items() if k not in ("_type", "v")}
    return sign("envelope", {**body, **changes}, key)


@pytest.mark.parametrize("alter", [
    lambda data, key: b"not json",
    lambda data, key: json.dumps(json.loads(data), indent=1).encode(),
    lambda data, key: _resigned(data, key, kind="gossip"),
    lambda data, key: _resigned(data, key, seq=0),
    lambda data, key: _resigned(data, key, seq=2 ** 31),
    lambda data, key: _resigned(data, key, extra=1),
])
def test_a_malformed_envelope_is_422(station: StationClient, alter) -> None:
    data = alter(station.envelope(), station.key)
    assert _error(station.post_envelope(data)) == (422, "malformed")


def test_an_envelope_naming_another_station_is_422(township: RunningTownship,
                                                   station: StationClient) -> None:
    other = township.add_station("Village B").station
    data = build_envelope(station.enrolment, station.key, 1, station=other)
    assert _error(station.post_envelope(data)) == (422, "malformed")


def test_a_revision_older_than_a_held_later_one_is_422(station: StationClient) -> None:
    case = str(uuid.uuid4())
    station.post_envelope(station.envelope(case=case, seq=2, revision=2))
    answer = station.post_envelope(station.envelope(case=case, seq=3, revision=1))
    assert _error(answer) == (422, "sequence_invalid")


def test_an_oversized_envelope_is_413(station: StationClient) -> None:
    answer = station.post_envelope(b"{" + b" " * (8 * 1024 * 1024) + b"}")
    assert _error(answer) == (413, "too_large")
