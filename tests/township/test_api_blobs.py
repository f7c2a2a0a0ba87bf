"""Resumable blob uploads over HTTP (tus 1.0 core, creation, checksum): offsets, checksums,
resuming after an interruption with only the missing bytes, the whole digest."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sync.township.config import Limits
from tests.township.client import StationClient
from tests.township.server import RunningTownship, running_township

PAGE = os.urandom(50_000)
SHA = hashlib.sha256(PAGE).hexdigest()


def _offset(answer) -> int:
    return int(answer.headers["Upload-Offset"])


def test_creation_answers_where_and_from_which_offset(station: StationClient) -> None:
    answer = station.create_blob(PAGE)
    assert answer.status_code == 201
    assert answer.headers["Location"] == f"/api/v1/blobs/{SHA}"
    assert (_offset(answer), answer.headers["Tus-Resumable"]) == (0, "1.0.0")


def test_chunks_grow_the_offset_until_whole(station: StationClient) -> None:
    station.create_blob(PAGE)
    offsets = []
    for start in range(0, len(PAGE), 20_000):
        answer = station.patch_blob(SHA, start, PAGE[start:start + 20_000])
        assert answer.status_code == 204
        offsets.append(_offset(answer))
    head = station.request("HEAD", f"/blobs/{SHA}")
    assert offsets == [20_000, 40_000, 50_000]
    assert (head.status_code, _offset(head), int(head.headers["Upload-Length"])) == (
        200, 50_000, 50_000)
    assert _offset(station.create_blob(PAGE)) == 50_000


def test_a_wrong_offset_is_409_with_the_held_offset(station: StationClient) -> None:
    station.create_blob(PAGE)
    station.patch_blob(SHA, 0, PAGE[:1000])
    answer = station.patch_blob(SHA, 5000, PAGE[5000:6000])
    assert (answer.status_code, answer.json()["error"], _offset(answer)) == (
        409, "offset_mismatch", 1000)


def test_a_wrong_checksum_is_460_and_nothing_is_kept(station: StationClient) -> None:
    station.create_blob(PAGE)
    answer = station.patch_blob(SHA, 0, PAGE[:1000], checksum=hashlib.sha256(b"x").digest())
    assert (answer.status_code, answer.json()["error"]) == (460, "checksum_mismatch")
    assert _offset(station.request("HEAD", f"/blobs/{SHA}")) == 0


def test_bytes_that_are_not_the_named_digest_are_422_and_dropped(
        station: StationClient) -> None:
    wrong = hashlib.sha256(b"another page").hexdigest()
    metadata = "sha256 " + base64.b64encode(wrong.encode()).decode()
    station.request("POST", "/blobs", headers={"Upload-Length": "1000",
                                               "Upload-Metadata": metadata})
    answer = station.patch_blob(wrong, 0, PAGE[:1000])
    assert (answer.status_code, answer.json()["error"]) == (422, "blob_digest_mismatch")
    assert station.request("HEAD", f"/blobs/{wrong}").status_code == 404


def test_an_interrupted_chunk_is_sent_again_and_nothing_else(
        station: StationClient) -> None:
    station.create_blob(PAGE)
    station.patch_blob(SHA, 0, PAGE[:20_000])
    _send_cut_off(station, SHA, 20_000, PAGE[20_000:40_000], keep=12_345)
    held = _offset(station.request("HEAD", f"/blobs/{SHA}"))
    sent = 0
    while held < len(PAGE):
        chunk = PAGE[held:held + 20_000]
        sent += len(chunk)
        held = _offset(station.patch_blob(SHA, held, chunk))
    assert sent == len(PAGE) - 20_000
    assert station.request("HEAD", f"/blobs/{SHA}").headers["Upload-Offset"] == "50000"


def test_the_blob_is_the_station_s_own(township: RunningTownship,
                                       station: StationClient) -> None:
    station.upload(PAGE)
    other = StationClient.enrol(township.api, township.add_station("Village B").code)
    assert other.request("HEAD", f"/blobs/{SHA}").status_code == 404
    assert _offset(other.create_blob(PAGE)) == 0


@pytest.mark.parametrize("headers, status, error", [
    ({"Upload-Length": "10"}, 400, "bad_request"),
    ({"Upload-Metadata": "sha256 " + base64.b64encode(SHA.encode()).decode()}, 400,
     "bad_request"),
    ({"Upload-Length": "-1", "Upload-Metadata": "sha256 " + base64.b64encode(
        SHA.encode()).decode()}, 400, "bad_request"),
    ({"Upload-Length": str(300 * 1024 * 1024), "Upload-Metadata": "sha256 " + base64.b64encode(
        SHA.encode()).decode()}, 413, "too_large"),
])
def test_a_creation_without_good_headers_is_refused(station: StationClient, headers: dict,
                                                    status: int, error: str) -> None:
    answer = station.request("POST", "/blobs", headers=headers)
    assert (answer.status_code, answer.json()["error"]) == (status, error)


@pytest.mark.parametrize("headers, status, error", [
    ({"Content-Type": "application/octet-stream"}, 415, "unsupported_media_type"),
    ({"Upload-Checksum": "md5 AAAA"}, 400, "bad_request"),
    ({"Upload-Offset": "x"}, 400, "bad_request"),
])
def test_a_chunk_without_good_headers_is_refused(station: StationClient, headers: dict,
                                                 status: int, error: str) -> None:
    station.create_blob(PAGE)
    chunk = PAGE[:100]
    base = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": "sha256 " + base64.b64encode(
                hashlib.sha256(chunk).digest()).decode()}
    answer = station.request("PATCH", f"/blobs/{SHA}", chunk, {**base, **headers})
    assert (answer.status_code, answer.json()["error"]) == (status, error)


def test_a_chunk_for_an_unknown_upload_is_404(station: StationClient) -> None:
    assert station.patch_blob(SHA, 0, PAGE[:10]).status_code == 404


def test_a_chunk_past_the_length_or_the_chunk_limit_is_413(tmp_path: Path) -> None:
    with running_township(tmp_path, limits=Limits(max_chunk=1024)) as township:
        station = StationClient.enrol(township.api, township.add_station().code)
        station.create_blob(PAGE[:1500])
        sha = hashlib.sha256(PAGE[:1500]).hexdigest()
        assert station.patch_blob(sha, 0, PAGE[:1500]).status_code == 413
        assert station.patch_blob(sha, 0, PAGE[:1000]).status_code == 204
        assert station.patch_blob(sha, 1000, PAGE[1000:2000]).status_code == 413


def _send_cut_off(station: StationClient, sha: str, offset: int, chunk: bytes,
                  keep: int) -> None:
    """Send a PATCH whose connection breaks after ``keep`` bytes of the body."""
    message = station.prepared_patch(sha, offset, chunk)
    url = urlsplit(message.url)
    head = [f"PATCH {url.path} HTTP/1.1", f"Host: {url.netloc}",
            f"Content-Length: {len(chunk)}"]
    head += [f"{name}: {value}" for name, value in message.headers.items()]
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + chunk[:keep])
        sock.shutdown(socket.SHUT_WR)
        for _ in _drain(sock):
            pass


def _drain(sock: socket.socket) -> Iterator[bytes]:
    while data := sock.recv(4096):
        yield data
