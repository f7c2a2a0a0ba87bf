"""Every signed request: replayed, stale, unsigned, tampered, revoked or unknown is refused
with one answer (401 ``signature_invalid``); an unknown protocol version gets 426."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from tests.township.client import StationClient
from tests.township.server import RunningTownship


def _refused(answer: requests.Response) -> bool:
    return answer.status_code == 401 and answer.json()["error"] == "signature_invalid"


def test_a_signed_request_passes(station: StationClient) -> None:
    assert station.request("GET", "/events?after=0").status_code == 200


@pytest.mark.parametrize("path", ["/files/a%20b", "/files/%C3%A9", "/files/%00"])
def test_a_path_is_verified_as_it_was_sent(station: StationClient, path: str) -> None:
    """The signature covers the percent-encoded path, not the one the server decoded."""
    answer = station.request("GET", path)
    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")


def test_a_replayed_request_is_refused(station: StationClient) -> None:
    message = station.prepared("GET", "/events?after=0")
    assert station.send(message).status_code == 200
    assert _refused(station.send(message))


@pytest.mark.parametrize("skew", [timedelta(seconds=-400), timedelta(seconds=400)])
def test_a_request_far_from_the_township_clock_is_refused(station: StationClient,
                                                          skew: timedelta) -> None:
    assert _refused(station.request("GET", "/events", offset=skew))


def test_a_station_signs_on_the_township_clock(station: StationClient) -> None:
    assert station.request("GET", "/events", offset=timedelta(seconds=250)).status_code == 200


def test_a_revoked_station_is_refused(township: RunningTownship,
                                      station: StationClient) -> None:
    township.service.stations.revoke(station.station)
    assert _refused(station.request("GET", "/events"))


def test_an_unknown_station_is_refused(station: StationClient) -> None:
    assert _refused(station.request("GET", "/events", signer="s0000000000000000"))


def test_an_unsigned_request_is_refused(station: StationClient) -> None:
    assert _refused(requests.get(f"{station.api}/events", headers={"Sync-Protocol": "1"}))


def test_a_body_that_is_not_the_signed_one_is_refused(station: StationClient) -> None:
    body = b'{"queue": 0}'
    message = station.prepared("POST", "/heartbeat", body)
    assert _refused(station.send(message, b'{"queue": 1}'))


def test_another_path_than_the_signed_one_is_refused(station: StationClient) -> None:
    message = station.prepared("GET", "/events?after=0")
    message.url = message.url.replace("after=0", "after=5")
    assert _refused(station.send(message))


@pytest.mark.parametrize("version", ["2", "0", None])
def test_an_unknown_protocol_version_is_426(station: StationClient,
                                            version: str | None) -> None:
    headers = {} if version is None else {"Sync-Protocol": version}
    answer = requests.get(f"{station.api}/hello", headers=headers)
    assert answer.status_code == 426
    assert answer.json()["error"] == "protocol_unsupported"
    assert answer.json()["supported"] == [1]


def test_an_oversized_body_is_413_before_it_is_read(station: StationClient) -> None:
    answer = station.request("POST", "/heartbeat", b"x" * (64 * 1024 + 1))
    assert (answer.status_code, answer.json()["error"]) == (413, "too_large")


def test_an_unknown_path_answers_json(station: StationClient) -> None:
    answer = requests.get(f"{station.api}/nowhere", headers={"Sync-Protocol": "1"})
    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")


def test_a_station_that_hangs_up_mid_body_is_no_server_error(
        township: RunningTownship, station: StationClient,
        caplog: pytest.LogCaptureFixture) -> None:
    """A dropped upload (a station's network gone mid-chunk) logs no traceback and leaves
    the township serving."""
    address = urlsplit(township.url)
    head = (f"PATCH /api/v1/blobs/{'a' * 64} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            "Content-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n"
            "Sync-Protocol: 1\r\n\r\n").encode()
    with caplog.at_level(logging.INFO):
        with socket.create_connection((address.hostname, address.port)) as connection:
            connection.sendall(head + b"x" * 1000)
            connection.shutdown(socket.SHUT_WR)
            assert connection.recv(1024) == b""  # hung up on: nobody is listening
        assert station.request("GET", "/events?after=0").status_code == 200
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
