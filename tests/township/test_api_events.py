"""Decisions made at the township reach the station as signed events, paged by cursor;
a result file named by an event is fetched by the station it is for."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from sync.messages import read_event
from sync.signed import canonical_json
from sync.township.decisions import MissingItem, ResultUpload
from tests.township.client import StationClient
from tests.township.server import RunningTownship


def _submitted(station: StationClient) -> str:
    case = str(uuid.uuid4())
    assert station.post_envelope(station.envelope(case=case)).status_code == 201
    return case


def _events(station: StationClient, after: int = 0, limit: int | None = None) -> dict:
    query = f"?after={after}" + ("" if limit is None else f"&limit={limit}")
    answer = station.request("GET", "/events" + query)
    assert answer.status_code == 200
    return answer.json()


def _read(station: StationClient, document: dict):
    return read_event(canonical_json(document), station.enrolment.signing_key)


def test_decisions_become_verified_events(township: RunningTownship,
                                          station: StationClient) -> None:
    case = _submitted(station)
    decisions = township.service.decisions
    decisions.accept(station.station, case)
    decisions.complete(station.station, case, True, "Approved on 2026-11-20.")
    decisions.message(station.station, "Office closed on Friday.")
    events = [_read(station, doc) for doc in _events(station)["events"]]
    assert [(e.cursor, e.kind) for e in events] == [(1, "accepted"), (2, "completed"),
                                                    (3, "message")]
    assert events[0].payload["township_number"].startswith("T")
    assert events[1].payload == {"approved": True, "result_text": "Approved on 2026-11-20.",
                                 "file": None}


def test_a_return_names_what_is_missing(township: RunningTownship,
                                        station: StationClient) -> None:
    case = _submitted(station)
    township.service.decisions.return_case(
        station.station, case, "Supplement the ID card.",
        [MissingItem("ID_CARD", "ID card copy", "unreadable"), MissingItem(None, "Photo", "")])
    event = _read(station, _events(station)["events"][0])
    assert (event.kind, event.case) == ("returned", case)
    assert event.payload["missing"][0] == {"code": "ID_CARD", "name": "ID card copy",
                                           "reason": "unreadable"}


def test_events_come_in_pages(township: RunningTownship, station: StationClient) -> None:
    for n in range(5):
        township.service.decisions.message(station.station, f"note {n}")
    first = _events(station, limit=2)
    assert ([_read(station, d).cursor for d in first["events"]], first["next"],
            first["more"]) == ([1, 2], 2, True)
    last = _events(station, after=4, limit=2)
    assert (len(last["events"]), last["next"], last["more"]) == (1, 5, False)
    assert _events(station, after=5) == {"events": [], "next": 5, "more": False}


def test_each_station_sees_only_its_own_events(township: RunningTownship,
                                               station: StationClient) -> None:
    other = StationClient.enrol(township.api, township.add_station("Village B").code)
    township.service.decisions.message(other.station, "for B")
    assert _events(station)["events"] == []
    assert len(_events(other)["events"]) == 1


def test_a_result_file_is_fetched_by_its_station_only(township: RunningTownship,
                                                      station: StationClient) -> None:
    case = _submitted(station)
    township.service.decisions.accept(station.station, case)
    pdf = b"%PDF-1.7 result"
    township.service.decisions.complete(station.station, case, True, "Issued.",
                                        ResultUpload("result.pdf", "application/pdf", pdf))
    file = _read(station, _events(station)["events"][-1]).payload["file"]
    answer = station.request("GET", f"/files/{file['id']}")
    assert (answer.status_code, answer.content) == (200, pdf)
    assert file["sha256"] == hashlib.sha256(pdf).hexdigest()
    other = StationClient.enrol(township.api, township.add_station("Village B").code)
    assert other.request("GET", f"/files/{file['id']}").status_code == 404


@pytest.mark.parametrize("query", ["?after=-1", "?limit=0", "?after=x"])
def test_a_bad_query_is_422(station: StationClient, query: str) -> None:
    answer = station.request("GET", "/events" + query)
    assert (answer.status_code, answer.json()["error"]) == (422, "malformed")
