"""Tampering with what a real station and a real township exchange: a flipped byte in an
envelope, a page-file chunk, a receipt, an event or an offline bundle; a replayed signed
request; requests signed by an unknown station, an impostor's key or a revoked station.
Each is refused with its status or typed error and nothing is stored: the township keeps no
envelope, case, chunk, heartbeat or ledger report of it, and the station keeps no receipt
or event of it and moves no case.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from station import syncstate
from station.bundles import export_bundle
from station.lifecycle import CaseState
from station.models import Case, OutboxItem, Receipt
from station.sync_models import SyncEnrolment
from station.syncside import StationSyncSide
from sync import bundle
from sync.engine import BuiltEnvelope, Identity, RoundStatus
from sync.httpsig import Message, sign
from sync.township import models as held
from sync.transport import Transport, TransportConfig
from tests.sync.conftest import CONFIG, engine_at, queue_case, serve_relay
from tests.township.server import RunningTownship

_JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class _Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Tap:
    """An HTTP proxy in front of the township that keeps every request as it came and may
    rewrite the answers (``rewrite(path, body) -> body``)."""

    target: str
    rewrite: Callable[[str, bytes], bytes] = lambda path, body: body
    captured: list[_Captured] = field(default_factory=list)
    url: str = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        size = int(handler.headers.get("Content-Length") or 0)
        request = _Captured(handler.command, handler.path, dict(handler.headers.items()),
                            handler.rfile.read(size) if size else b"")
        self.captured.append(request)
        answer = replay(self.target, request)
        content = self.rewrite(handler.path, answer.content)
        handler.send_response(answer.status_code)
        for name in ("Content-Type", "Upload-Offset", "Upload-Length", "Tus-Resumable"):
            if name in answer.headers:
                handler.send_header(name, answer.headers[name])
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


def replay(target: str, request: _Captured) -> requests.Response:
    """Send ``request`` again to ``target``, byte for byte but for the Host header."""
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    return requests.request(request.method, target + request.path, data=request.body,
                            headers=headers, allow_redirects=False)


@pytest.fixture
def tap(township: RunningTownship) -> Iterator[Callable[..., _Tap]]:
    """Start taps in front of ``township``; each is stopped at the end of the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(rewrite: Callable[[str, bytes], bytes] = lambda path, body: body) -> _Tap:
        return serve_relay(_Tap(township.url, rewrite), servers)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class _Station:
    identity: Identity
    case: Case
    built: BuiltEnvelope


@pytest.fixture
def station(enrolled, matter, applicant, pages) -> _Station:  # noqa: ANN001
    """One queued case with two page files, its envelope built as at a first attempt."""
    case = queue_case(enrolled, matter, applicant, pages)
    side = StationSyncSide(enrolled)
    side.mark_sending(1)
    return _Station(side.identity(), case, side.envelope(1))


def _stored(station: str) -> tuple[int, ...]:
    """What the township keeps from ``station``: envelopes, cases, blob rows, bytes held,
    heartbeats, ledger reports."""
    blobs = held.Blob.select().where(held.Blob.station == station)
    return (held.Envelope.select().where(held.Envelope.station == station).count(),
            held.Case.select().where(held.Case.station == station).count(),
            blobs.count(), sum(blob.offset for blob in blobs),
            held.Heartbeat.select().where(held.Heartbeat.station == station).count(),
            held.LedgerReport.select().where(held.LedgerReport.station == station).count())


def _flip(data: bytes, at: int) -> bytes:
    """``data`` with the byte at ``at`` replaced (a hex digit or base64 letter stays one)."""
    other = b"1" if data[at:at + 1] == b"0" else b"0"
    return data[:at] + other + data[at + 1:]


def _after(data: bytes, marker: bytes) -> int:
    return data.index(marker) + len(marker)


def _signed(township: RunningTownship, identity: Identity, method: str, path: str,
            body: bytes, headers: dict[str, str] | None = None,
            signed_body: bytes | None = None) -> requests.Response:
    """A request signed by the station over ``signed_body`` (default: the body sent)."""
    message = Message(method, township.api + path, {**_JSON, **(headers or {})})
    covered = body if signed_body is None else signed_body
    sign(message, identity.station, identity.key, body_sha256=hashlib.sha256(covered).digest())
    return requests.request(method, message.url, data=body, headers=message.headers)


def _error(answer: requests.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]


def _sent_after_all(enrolled, township: RunningTownship) -> None:  # noqa: ANN001
    """The station's own, untouched round still delivers (nothing tampered was kept)."""
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.status, outcome.sent, outcome.quarantined) == (RoundStatus.OK, 1, 0)


# --- envelopes and chunks --------------------------------------------------------------


@pytest.mark.parametrize("marker, status, code", [
    pytest.param(None, 401, "signature_invalid", id="in transit, after signing"),
    pytest.param(b'"sig":"', 422, "envelope_signature_invalid", id="its signature"),
    pytest.param(b'"sealed":"', 422, "envelope_signature_invalid", id="its sealed content"),
    pytest.param(b'"case":"', 422, "envelope_signature_invalid", id="its case id"),
    pytest.param(b"", 422, "malformed", id="its first byte"),
])
def test_a_flipped_byte_in_an_envelope_is_refused(enrolled, township, station: _Station,
                                                  marker: bytes | None, status: int,
                                                  code: str) -> None:
    """Signed as sent: the station's signature over the envelope does not verify. Changed
    after the request was signed: its Content-Digest does not match."""
    data = station.built.data
    if marker is None:
        answer = _signed(township, station.identity, "POST", "/envelopes",
                         _flip(data, len(data) // 2), signed_body=data)
    else:
        at = _after(data, marker) + (5 if marker else 0)
        answer = _signed(township, station.identity, "POST", "/envelopes", _flip(data, at))
    assert _error(answer) == (status, code)
    assert _stored(station.identity.station) == (0, 0, 0, 0, 0, 0)
    _sent_after_all(enrolled, township)


@pytest.mark.parametrize("where, status, code", [
    ("in transit", 401, "signature_invalid"),
    ("under the original's checksum", 460, "checksum_mismatch"),
])
def test_a_flipped_byte_in_a_chunk_is_refused(enrolled, township, station: _Station,
                                              where: str, status: int, code: str) -> None:
    blob = station.built.blobs[0]
    with blob.open() as source:
        chunk = source.read(CONFIG.chunk_size)
    transport = Transport(TransportConfig(township.url))
    transport.identify(station.identity.station, station.identity.key)
    assert transport.create_blob(blob.sha256, blob.size) == 0
    transport.close()
    checksum = hashlib.sha256(chunk).digest()
    headers = {"Upload-Offset": "0", "Tus-Resumable": "1.0.0",
               "Content-Type": "application/offset+octet-stream",
               "Upload-Checksum": "sha256 " + _b64(checksum)}
    flipped = _flip(chunk, len(chunk) // 2)
    answer = _signed(township, station.identity, "PATCH", f"/blobs/{blob.sha256}", flipped,
                     headers, signed_body=chunk if where == "in transit" else None)
    assert _error(answer) == (status, code)
    assert township.service.uploads.state(station.identity.station, blob.sha256).offset == 0
    _sent_after_all(enrolled, township)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_a_page_file_changed_after_its_digest_is_set_aside(enrolled, township,
                                                            station: _Station) -> None:
    """The page file on disk no longer hashes to the digest its envelope names: the
    township drops the upload (422) and the station sets the item aside."""
    page = syncstate.stored_page(station.built.blobs[0].sha256)
    path = enrolled.blobs.path_of(page.blob_name)
    path.write_bytes(_flip(path.read_bytes(), 1000))
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.quarantined, outcome.error) == (1, "blob_digest_mismatch")
    held_blobs = {blob.sha256 for blob in held.Blob.select()}
    assert station.built.blobs[0].sha256 not in held_blobs
    assert held.Envelope.select().count() == 0
    assert Receipt.select().count() == 0


# --- answers the station receives ------------------------------------------------------


@pytest.mark.parametrize("marker, error", [
    pytest.param(b'"sig":"', "bad_receipt", id="its signature"),
    pytest.param(b'"envelope_sha256":"', "bad_receipt", id="the envelope digest"),
    pytest.param(b'"township_number":"T', "bad_receipt", id="the township number"),
    pytest.param(b"", "unexpected_answer", id="its first byte"),
])
def test_a_flipped_byte_in_a_receipt_is_not_kept(enrolled, township, tap, station: _Station,
                                                 marker: bytes, error: str) -> None:
    def rewrite(path: str, body: bytes) -> bytes:
        return _flip(body, _after(body, marker)) if path.endswith("/envelopes") else body

    outcome = engine_at(enrolled, tap(rewrite).url).run_round()
    assert (outcome.status, outcome.error, outcome.sent) == (RoundStatus.FAILED, error, 0)
    item = OutboxItem.get(OutboxItem.seq == 1)
    assert (item.state, Receipt.select().count()) == ("pending", 0)
    assert Case.get_by_id(station.case.id).state == CaseState.QUEUED
    direct = engine_at(enrolled, township.url).run_round()
    assert (direct.status, direct.sent) == (RoundStatus.OK, 1)
    kept = held.Envelope.get(held.Envelope.station == station.identity.station)
    assert bytes(Receipt.get().body) == bytes(kept.receipt)


@pytest.mark.parametrize("marker, error", [
    pytest.param(b'"sig":"', "bad_event", id="its signature"),
    pytest.param(b'"township_number":"T', "bad_event", id="its payload"),
    pytest.param(b"", "unexpected_answer", id="the page's first byte"),
])
def test_a_flipped_byte_in_an_event_is_not_applied(enrolled, township, tap, station: _Station,
                                                   marker: bytes, error: str) -> None:
    engine_at(enrolled, township.url).run_round()
    township.service.decisions.accept(station.identity.station, station.case.uuid)

    def rewrite(path: str, body: bytes) -> bytes:
        return _flip(body, _after(body, marker)) if "/events" in path else body

    outcome = engine_at(enrolled, tap(rewrite).url).run_round()
    assert (outcome.status, outcome.error, outcome.events_applied) == (
        RoundStatus.FAILED, error, 0)
    assert Case.get_by_id(station.case.id).state == CaseState.UPLOADED
    assert (StationSyncSide(enrolled).cursor(), syncstate.received_events()) == (0, [])
    assert engine_at(enrolled, township.url).run_round().events_applied == 1
    assert Case.get_by_id(station.case.id).state == CaseState.ACCEPTED


# --- bundles ---------------------------------------------------------------------------


def _export(session, path: Path) -> Path:  # noqa: ANN001
    """The station's queue written as an offline bundle, as ``station export-bundle`` does."""
    assert export_bundle(session, path).seqs == (1,)
    return path


def _data_offset(path: Path, name: str) -> tuple[int, int]:
    """Where the (possibly compressed) bytes of member ``name`` start in the file, and how
    many there are."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length, info.compress_size


@pytest.mark.parametrize("member", ["manifest.json", "envelopes/1.json", "blob",
                                    "central directory"])
def test_a_flipped_byte_in_a_bundle_is_refused_and_nothing_is_taken(
        enrolled, township, station: _Station, tmp_path: Path, member: str) -> None:
    """A byte flipped in the file (a damaged or altered USB stick) breaks the zip's CRC of
    a member: the township refuses the bundle as damaged before taking anything."""
    path = _export(enrolled, tmp_path / "out.zip")
    data = path.read_bytes()
    if member == "central directory":
        at = data.rindex(b"PK\x01\x02") + 16  # the CRC-32 it records
    else:
        name = f"blobs/{station.built.blobs[0].sha256}" if member == "blob" else member
        start, size = _data_offset(path, name)
        at = start + size // 2
    path.write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:])
    with pytest.raises(bundle.DamagedBundleError):
        township.service.bundles.import_outbound(path)
    assert _stored(station.identity.station) == (0, 0, 0, 0, 0, 0)


# --- who signs -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["POST /envelopes", "PATCH /blobs", "POST /heartbeat",
                                  "POST /ledger", "GET /events"])
def test_a_replayed_request_is_refused(enrolled, township, tap, station: _Station,
                                       kind: str) -> None:
    proxy = tap()
    assert engine_at(enrolled, proxy.url).run_round().sent == 1
    method, path = kind.split(" ")
    captured = next(r for r in proxy.captured
                    if r.method == method and r.path.startswith("/api/v1" + path))
    before = _stored(station.identity.station)
    assert _error(replay(township.url, captured)) == (401, "signature_invalid")
    assert _stored(station.identity.station) == before


def _impostor_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                      NoEncryption())


@pytest.mark.parametrize("who", ["an unknown station", "a station never enrolled",
                                 "an impostor's key"])
def test_a_request_of_an_unknown_signer_is_refused(enrolled, township, station: _Station,
                                                   who: str) -> None:
    if who == "an unknown station":
        SyncEnrolment.update(station_id="s0000000000000000").execute()
    elif who == "a station never enrolled":
        SyncEnrolment.update(station_id=township.add_station("Village B").station).execute()
    else:
        SyncEnrolment.update(identity_key=_impostor_key()).execute()
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.status, outcome.error) == (RoundStatus.STATION_REFUSED, "signature_invalid")
    assert held.Envelope.select().count() == held.Blob.select().count() == 0
    assert held.Heartbeat.select().count() == 0


@pytest.mark.parametrize("kind", ["POST /blobs", "POST /envelopes", "POST /heartbeat",
                                  "GET /events", "bundle"])
def test_a_revoked_station_is_refused(enrolled, township, station: _Station, tmp_path: Path,
                                      kind: str) -> None:
    identity = station.identity
    township.service.stations.revoke(identity.station)
    if kind == "bundle":
        with pytest.raises(bundle.UnknownStationError):
            township.service.bundles.import_outbound(_export(enrolled, tmp_path / "o.zip"))
    else:
        method, path = kind.split(" ")
        body = {"POST /blobs": b"", "POST /envelopes": station.built.data,
                "POST /heartbeat": b'{"queue":0}', "GET /events": b""}[kind]
        headers = {"Upload-Length": "1", "Upload-Metadata": "sha256 " + _b64(
            station.built.blobs[0].sha256.encode())} if kind == "POST /blobs" else {}
        assert _error(_signed(township, identity, method, path, body, headers)) == (
            401, "signature_invalid")
    assert _stored(identity.station) == (0, 0, 0, 0, 0, 0)
