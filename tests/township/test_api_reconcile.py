"""Ledger reports and heartbeats over HTTP (``docs/protocol.md`` section 7)."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.seal import SealingKey
from sync.signed import parse_time
from sync.township.models import Heartbeat
from tests.township.client import StationClient, ledger_bytes
from tests.township.server import RunningTownship

BEAT = {"queue": 3, "quarantined": 1, "app_version": "1.4.0", "catalog_version": "2026.2",
        "last_error": "timeout", "free_disk": 5 * 10 ** 10, "highest_seq": 12}


def _sent(station: StationClient, count: int) -> dict[int, str]:
    digests = {}
    for _ in range(count):
        data = station.envelope()
        assert station.post_envelope(data).status_code == 201
        digests[station.next_seq - 1] = hashlib.sha256(data).hexdigest()
    return digests


def _report(station: StationClient, lines: dict, after: int = 0) -> dict:
    answer = station.request("POST", "/ledger", ledger_bytes(station.station, station.key,
                                                             lines, after))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_ledger_that_agrees_is_through_its_highest_seq(station: StationClient) -> None:
    lines = _sent(station, 3)
    assert _report(station, lines) == {"through": 3, "missing": [], "mismatched": []}


def test_the_answer_lists_what_the_township_lacks_or_holds_otherwise(
        station: StationClient) -> None:
    lines = _sent(station, 2)
    lines.update({2: "0" * 64, 3: "1" * 64, 4: None})
    assert _report(station, lines) == {"through": 1, "missing": [3], "mismatched": [2]}


def test_later_reports_send_only_entries_after_through(station: StationClient) -> None:
    lines = _sent(station, 2)
    assert _report(station, lines)["through"] == 2
    lines.update(_sent(station, 2))
    assert _report(station, lines, after=2)["through"] == 4


def test_a_history_that_differs_starts_over(station: StationClient) -> None:
    lines = _sent(station, 2)
    _report(station, lines)
    lines.update(_sent(station, 1))
    rewritten = {**lines, 1: "2" * 64}
    assert _report(station, rewritten, after=2)["through"] == 0
    assert _report(station, lines) == {"through": 3, "missing": [], "mismatched": []}


def test_a_refused_envelope_does_not_hold_the_ledger_back(station: StationClient) -> None:
    lines = _sent(station, 1)
    refused = station.envelope(sealing_key=SealingKey.generate().public_bytes())
    assert station.post_envelope(refused).status_code == 422
    lines[2] = hashlib.sha256(refused).hexdigest()
    lines.update(_sent(station, 1))
    assert _report(station, lines) == {"through": 3, "missing": [], "mismatched": []}


def test_a_ledger_signed_for_another_station_is_401(township: RunningTownship,
                                                    station: StationClient) -> None:
    other = township.add_station("Village B").station
    data = ledger_bytes(other, station.key, {})
    answer = station.request("POST", "/ledger", data)
    assert (answer.status_code, answer.json()["error"]) == (401, "signature_invalid")


def test_a_ledger_signed_by_another_key_is_401(station: StationClient) -> None:
    data = ledger_bytes(station.station, Ed25519PrivateKey.generate(), {})
    assert station.request("POST", "/ledger", data).status_code == 401


def test_a_heartbeat_is_stored_and_answered_with_the_time(station: StationClient) -> None:
    answer = station.request("POST", "/heartbeat", json.dumps(BEAT).encode())
    assert answer.status_code == 200
    parse_time(answer.json()["server_time"])
    stored = Heartbeat.select().where(Heartbeat.station == station.station).get()
    assert (stored.queue, stored.free_disk, stored.last_error) == (3, 5 * 10 ** 10, "timeout")


@pytest.mark.parametrize("change", [{"queue": -1}, {"app_version": ""}, {"free_disk": "big"},
                                    {"highest_seq": None}, {"highest_seq": 2 ** 31},
                                    {"catalog_version": "x" * 256}])
def test_a_malformed_heartbeat_is_422(station: StationClient, change: dict) -> None:
    body = json.dumps({**BEAT, **change}).encode()
    answer = station.request("POST", "/heartbeat", body)
    assert (answer.status_code, answer.json()["error"]) == (422, "malformed")
