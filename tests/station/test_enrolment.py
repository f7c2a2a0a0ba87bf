"""Enrolling a station with a real township on 127.0.0.1: the identity key and the pinned
township keys live only in the encrypted store; a code works once; every failure leaves
nothing behind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from station import syncstate
from station.audit import verify as verify_audit
from station.enrolment import (
    AlreadyEnrolledError,
    BadEnrolmentAnswerError,
    BadEnrolmentLinkError,
    EnrolmentRefusedError,
    TownshipUnreachableError,
    enrol,
    parse_link,
)
from station.models import AuditEvent
from sync.messages import Enrolment, make_enrolment
from sync.seal import SealingKey
from sync.signed import raw_public_key
from tests.township.server import RunningTownship, running_township


@pytest.fixture
def township(tmp_path: Path) -> Iterator[RunningTownship]:
    with running_township(tmp_path / "township") as running:
        yield running


@pytest.mark.parametrize("link, expected", [
    ("vsenrol:https://town.example.cn/#ABCD-EFGH", ("https://town.example.cn/", "ABCD-EFGH")),
    ("  vsenrol:http://10.0.0.5:8470#abcdefgh\n", ("http://10.0.0.5:8470", "abcdefgh")),
])
def test_an_enrolment_link_gives_url_and_code(link: str, expected: tuple[str, str]) -> None:
    assert parse_link(link) == expected


@pytest.mark.parametrize("link", [
    "https://town.example.cn/#ABCD-EFGH", "vsenrol:https://town.example.cn/",
    "vsenrol:ftp://town#ABCD", "vsenrol:https://town.example.cn/#", "",
])
def test_anything_else_is_not_an_enrolment_link(link: str) -> None:
    with pytest.raises(BadEnrolmentLinkError):
        parse_link(link)


def test_enrolment_pins_the_townships_keys(session, township) -> None:
    code = township.add_station("Village A")
    enrolled = enrol(session, township.url, code.code)
    keys = township.service.keys
    assert (enrolled.station_id, enrolled.name, enrolled.township_id, enrolled.township_name) \
        == (code.station, "Village A", keys.township_id, "Test township")
    row = syncstate.require_enrolment()
    assert (row.station_id, row.station_name, row.township_id, row.township_name) == (
        code.station, "Village A", keys.township_id, "Test township")
    assert bytes(row.signing_key) == raw_public_key(keys.signing.public_key())
    assert bytes(row.sealing_key) == keys.sealing.public_bytes()
    assert (row.suite, row.url, row.township_id) == (keys.sealing.suite, township.url,
                                                     keys.township_id)
    identity = syncstate.identity()
    assert township.service.stations.public_key(code.station).public_bytes_raw() == \
        raw_public_key(identity.key)
    assert [e.detail for e in AuditEvent.select() if (e.detail or {}).get("what") == "enrol"] \
        == [{"what": "enrol", "station": code.station}]
    assert verify_audit().ok


def test_the_identity_key_is_in_no_file(session, township, station_dir: Path) -> None:
    enrol(session, township.url, township.add_station().code)
    private = syncstate.identity().key.private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                     NoEncryption())
    session.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in station_dir.rglob("*"):
        if path.is_file():
            assert private not in path.read_bytes(), path.name


def test_a_code_works_once(session, township) -> None:
    code = township.add_station().code
    enrol(session, township.url, code)
    with pytest.raises(AlreadyEnrolledError):
        enrol(session, township.url, township.add_station().code)
    with session.db.atomic():
        syncstate.SyncEnrolment.delete().execute()
    with pytest.raises(EnrolmentRefusedError, match="new code"):
        enrol(session, township.url, code)
    assert syncstate.enrolment() is None


@pytest.mark.parametrize("code", ["ABCD-EFGH", "", "not a code at all"])
def test_an_unknown_code_is_refused_and_nothing_is_stored(session, township, code) -> None:
    with pytest.raises(EnrolmentRefusedError):
        enrol(session, township.url, code)
    assert syncstate.enrolment() is None


def test_an_unreachable_township_stores_nothing(session) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(TownshipUnreachableError, match="cannot be reached"):
        enrol(session, f"http://127.0.0.1:{port}", "ABCD-EFGH")
    assert syncstate.enrolment() is None


def _forged_answer() -> bytes:
    """An enrolment answer signed by a key other than the one it carries."""
    carried, sealing = Ed25519PrivateKey.generate(), SealingKey.generate()
    return make_enrolment(Enrolment(
        station="s01", name="Village", township="T", township_name="Town",
        signing_key=carried.public_key(), sealing_key=sealing.public_bytes(),
        suite=sealing.suite, server_time=datetime(2026, 11, 23)), Ed25519PrivateKey.generate())


@pytest.mark.parametrize("status, body", [
    (201, b"<html>Log in to the Wi-Fi</html>"),
    (201, None),
    (400, b'{"error":"bad_request","message":"x"}'),
])
def test_an_answer_that_does_not_verify_stores_nothing(session, status, body) -> None:
    answer = _forged_answer() if body is None else body

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(BadEnrolmentAnswerError, match="could not be verified"):
            enrol(session, f"http://127.0.0.1:{server.server_address[1]}", "ABCD-EFGH")
    finally:
        server.shutdown()
        server.server_close()
    assert syncstate.enrolment() is None
