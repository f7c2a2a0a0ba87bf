"""The shared wire code: signed documents, sealing, envelopes, receipts, events, ledgers."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import envelope, messages, signed
from sync.errors import MalformedError, SealError, SignatureError
from sync.seal import HYBRID_SUITE, SUITES, X25519_SUITE, SealingKey, seal

NOW = datetime(2026, 11, 23, 8, 15, 0)
CASE = str(uuid.UUID(int=7))


@pytest.fixture(scope="module")
def station_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def township_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module", params=sorted(SUITES))
def sealing(request: pytest.FixtureRequest) -> SealingKey:
    return SealingKey.generate(request.param)


def _header(**changes: object) -> envelope.Header:
    values = dict(station="DEMO01", seq=3, case=CASE, revision=1, kind="submission",
                  created_at=NOW, blobs=(envelope.BlobRef("b" * 64, 10),
                                         envelope.BlobRef("a" * 64, 20)))
    values.update(changes)
    return envelope.Header(**values)


CONTENT = {"case": {"uuid": CASE, "answers": {"name": "张三"}}, "materials": []}


def _envelope(station_key, sealing, **changes) -> bytes:  # noqa: ANN001
    return envelope.build(_header(**changes), CONTENT, suite=sealing.suite,
                          sealing_key=sealing.public_bytes(), station_key=station_key)


def test_an_envelope_round_trips_and_opens(station_key, sealing) -> None:  # noqa: ANN001
    data = _envelope(station_key, sealing)
    opened = envelope.verify(data, station_key.public_key())
    assert opened.header == _header(blobs=(envelope.BlobRef("a" * 64, 20),
                                           envelope.BlobRef("b" * 64, 10)))
    assert opened.digest == hashlib.sha256(data).hexdigest()
    assert envelope.open_content(opened, sealing) == CONTENT
    assert envelope.station_of(data) == "DEMO01"
    assert "张三".encode() not in data


def test_the_same_content_seals_differently_each_time(station_key, sealing) -> None:  # noqa: ANN001
    assert _envelope(station_key, sealing) != _envelope(station_key, sealing)


def test_every_flipped_byte_of_an_envelope_is_refused(station_key) -> None:  # noqa: ANN001
    key = SealingKey.generate(X25519_SUITE)
    data = _envelope(station_key, key)
    for index in range(0, len(data), 7):
        flipped = bytearray(data)
        flipped[index] ^= 0x01
        with pytest.raises((MalformedError, SignatureError, SealError)):
            envelope.open_content(envelope.verify(bytes(flipped), station_key.public_key()), key)


def test_an_envelope_by_another_station_is_refused(station_key, sealing) -> None:  # noqa: ANN001
    with pytest.raises(SignatureError):
        envelope.verify(_envelope(station_key, sealing), Ed25519PrivateKey.generate().public_key())


def test_sealed_content_cannot_move_to_another_envelope(station_key, sealing) -> None:  # noqa: ANN001
    """Re-signing a changed header around the old ciphertext still fails to open."""
    original = json.loads(_envelope(station_key, sealing))["signed"]
    moved = {k: v for k, v in original.items() if k not in ("_type", "v")}
    moved["seq"] = 4
    data = signed.sign("envelope", moved, station_key)
    with pytest.raises(SealError):
        envelope.open_content(envelope.verify(data, station_key.public_key()), sealing)


def test_content_sealed_to_another_key_does_not_open(station_key) -> None:  # noqa: ANN001
    ours, theirs = SealingKey.generate(), SealingKey.generate()
    opened = envelope.verify(_envelope(station_key, ours), station_key.public_key())
    with pytest.raises(SealError):
        envelope.open_content(opened, theirs)


@pytest.mark.parametrize("change", [
    {"seq": 0}, {"revision": -1}, {"kind": "other"}, {"case": "not-a-uuid"},
    {"station": "../x"}, {"blobs": (envelope.BlobRef("z" * 64, 1),)},
    {"blobs": (envelope.BlobRef("a" * 64, -1),)},
])
def test_malformed_headers_are_refused(station_key, change) -> None:  # noqa: ANN001
    data = _envelope(station_key, SealingKey.generate(), **change)
    with pytest.raises(MalformedError):
        envelope.verify(data, station_key.public_key())


@pytest.mark.parametrize("data", [
    b"", b"[]", b"{}", b'{"signed":{},"signatures":[]} ', b"\xff\xfe",
    b'{"signatures":[],"signed":{"_type":"village-station/envelope","v":1,"v":1}}',
    b'{"signatures":[],"signed":{"_type":"village-station/receipt","v":1}}',
    b'{"signatures":[],"signed":{"_type":"village-station/envelope","v":2}}',
    b'{"signatures":[],"signed":{"_type":"village-station/envelope","v":NaN}}',
])
def test_documents_that_are_not_canonical_signed_envelopes_are_refused(station_key, data) -> None:  # noqa: ANN001
    with pytest.raises((MalformedError, SignatureError)):
        envelope.verify(data, station_key.public_key())


def test_a_document_of_another_type_is_refused(township_key) -> None:  # noqa: ANN001
    data = signed.sign("event", {"x": 1}, township_key)
    with pytest.raises(MalformedError):
        signed.read(data, "receipt", township_key.public_key())


def test_a_receipt_round_trips_and_any_change_is_refused(township_key) -> None:  # noqa: ANN001
    receipt = messages.Receipt("DEMO01", 3, CASE, 1, "c" * 64, NOW, "T2026-000001")
    data = messages.make_receipt(receipt, township_key)
    assert messages.read_receipt(data, township_key.public_key()) == receipt
    forged = data.replace(b"T2026-000001", b"T2026-000002")
    with pytest.raises(SignatureError):
        messages.read_receipt(forged, township_key.public_key())
    with pytest.raises(SignatureError):
        messages.read_receipt(data, Ed25519PrivateKey.generate().public_key())


def test_an_event_round_trips(township_key) -> None:  # noqa: ANN001
    event = messages.Event("DEMO01", 1, str(uuid.uuid4()), NOW, "returned", CASE,
                           {"reason": "缺材料", "missing": [{"code": "id_card", "name": "身份证",
                                                           "reason": "不清晰"}]})
    assert messages.read_event(messages.make_event(event, township_key),
                               township_key.public_key()) == event


def _enrolment(township_key: Ed25519PrivateKey, sealing: SealingKey) -> messages.Enrolment:
    return messages.Enrolment(
        station="DEMO01", name="东村便民服务站", township="T-001", township_name="城关镇",
        signing_key=township_key.public_key(), sealing_key=sealing.public_bytes(),
        suite=sealing.suite, server_time=NOW)


def test_an_enrolment_answer_pins_the_keys_it_carries(township_key) -> None:  # noqa: ANN001
    sealing = SealingKey.generate(HYBRID_SUITE)
    answer = _enrolment(township_key, sealing)
    read = messages.read_enrolment(messages.make_enrolment(answer, township_key))
    assert (read.station, read.sealing_key, read.suite) == ("DEMO01", sealing.public_bytes(),
                                                            HYBRID_SUITE)
    assert (read.name, read.township, read.township_name, read.server_time) == (
        "东村便民服务站", "T-001", "城关镇", NOW)
    other = Ed25519PrivateKey.generate()
    body = json.loads(messages.make_enrolment(answer, township_key))["signed"]
    with pytest.raises(SignatureError):
        messages.read_enrolment(signed.sign("enrolment", {
            k: v for k, v in body.items() if k not in ("_type", "v")}, other))


@pytest.mark.parametrize("change", [
    lambda body: body.pop("township_name"),
    lambda body: body.update(township_name=""),
    lambda body: body.update(township_name=7),
    lambda body: body.update(extra="x"),
])
def test_an_enrolment_answer_names_the_township(township_key, change) -> None:  # noqa: ANN001
    body = json.loads(messages.make_enrolment(_enrolment(township_key, SealingKey.generate()),
                                              township_key))["signed"]
    change(body)
    fields = {k: v for k, v in body.items() if k not in ("_type", "v")}
    document = signed.sign("enrolment", fields, township_key)
    with pytest.raises(MalformedError):
        messages.read_enrolment(document)


def test_the_ledger_digest_covers_every_entry_in_order(station_key) -> None:  # noqa: ANN001
    entries = (messages.LedgerEntry(1, "a" * 64), messages.LedgerEntry(2, None))
    digest = messages.ledger_digest(entries)
    assert digest == hashlib.sha256(f"1 {'a' * 64}\n2 -\n".encode()).hexdigest()
    assert digest != messages.ledger_digest(entries[::-1])
    ledger = messages.Ledger("DEMO01", 2, 2, digest, entries)
    assert messages.read_ledger(messages.make_ledger(ledger, station_key),
                                station_key.public_key()) == ledger


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=64), st.binary(max_size=16))
def test_sealing_round_trips_any_bytes(plain: bytes, info: bytes) -> None:
    key = _X25519_KEY
    assert key.open(seal(plain, key.suite, key.public_bytes(), info), info) == plain


_X25519_KEY = SealingKey.generate(X25519_SUITE)


@pytest.mark.parametrize("suite,raw", [("X25519/HKDF-SHA256/AES-256-GCM", b"x" * 31),
                                       ("ROT13", b"x" * 32), (HYBRID_SUITE, b"x" * 32)])
def test_bad_sealing_keys_are_refused(suite: str, raw: bytes) -> None:
    with pytest.raises(SealError):
        SealingKey(suite, raw)


@given(st.text(max_size=30))
def test_b64_only_takes_its_own_output(text: str) -> None:
    try:
        data = signed.b64decode(text)
    except MalformedError:
        return
    assert signed.b64encode(data) == text
