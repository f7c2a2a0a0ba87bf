"""Enrolment over HTTP: a one-time code binds the station's key; the answer pins the
township's keys (``docs/protocol.md`` section 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.messages import read_enrolment
from sync.signed import parse_time
from sync.township.config import utc_now
from tests.township.client import enrol_body
from tests.township.server import MovableClock, RunningTownship

HEADERS = {"Sync-Protocol": "1"}


def _enrol(township: RunningTownship, code: str) -> requests.Response:
    return requests.post(f"{township.api}/enrol", json=enrol_body(code, _key()),
                         headers=HEADERS)


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_the_answer_names_the_station_and_the_township_keys(township: RunningTownship) -> None:
    issued = township.add_station("Village A")
    answer = _enrol(township, issued.code)
    assert answer.status_code == 201
    enrolment = read_enrolment(answer.content)
    keys = township.service.keys
    assert (enrolment.station, enrolment.name, enrolment.township, enrolment.township_name) == (
        issued.station, "Village A", keys.township_id, "Test township")
    assert enrolment.sealing_key == keys.sealing.public_bytes()
    assert enrolment.suite == keys.sealing.suite


@pytest.mark.parametrize("typed", [str.lower, lambda c: c.replace("-", " "),
                                   lambda c: c.replace("-", "")])
def test_the_code_may_be_typed_loosely(township: RunningTownship, typed) -> None:
    assert _enrol(township, typed(township.add_station().code)).status_code == 201


@pytest.mark.parametrize("case", ["second use", "expired", "unknown", "revoked"])
def test_a_refused_code_gets_one_answer(township: RunningTownship, clock: MovableClock,
                                        case: str) -> None:
    issued = township.add_station()
    code = issued.code
    if case == "second use":
        assert _enrol(township, code).status_code == 201
    elif case == "expired":
        clock.advance(timedelta(days=7, minutes=1))
    elif case == "unknown":
        code = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    else:
        township.service.stations.revoke(issued.station)
    answer = _enrol(township, code)
    assert answer.status_code == 403
    assert answer.json() == {"error": "enrolment_refused", "message": "enrolment code refused"}


def test_a_replaced_pc_enrols_again_with_a_new_code(township: RunningTownship) -> None:
    issued = township.add_station()
    assert _enrol(township, issued.code).status_code == 201
    again = township.service.stations.new_code(issued.station)
    assert read_enrolment(_enrol(township, again.code).content).station == issued.station


@pytest.mark.parametrize("body", [
    {"code": "AAAA-AAAA"},
    {"code": "AAAA-AAAA", "station_key": "not base64!", "station_code": None,
     "app_version": "1"},
    {"code": 12345678, "station_key": "AAAA", "station_code": None, "app_version": "1"},
    {**enrol_body("AAAA-AAAA", Ed25519PrivateKey.generate()), "app_version": "1" * 256},
])
def test_a_malformed_request_is_422(township: RunningTownship, body: dict) -> None:
    answer = requests.post(f"{township.api}/enrol", json=body, headers=HEADERS)
    assert (answer.status_code, answer.json()["error"]) == (422, "malformed")


def test_hello_gives_the_township_clock(township: RunningTownship, clock: MovableClock) -> None:
    clock.advance(timedelta(hours=3))
    answer = requests.get(f"{township.api}/hello", headers=HEADERS).json()
    assert answer["protocol"] == [1]
    assert answer["township"] == township.service.keys.township_id
    assert parse_time(answer["server_time"]) > utc_now() + timedelta(hours=2)
