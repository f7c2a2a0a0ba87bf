"""Decisions taken in the console reach the station as signed events that verify with the
township's pinned key, and each is in the audit log."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from sync.messages import Event, read_event
from sync.signed import canonical_json
from sync.township.models import AuditEntry, Case
from tests.console.seed import PDF, ConsoleClient, Seeded, case_id, low_income_case, plain_case
from tests.township.client import StationClient


def _new_case(seeded: Seeded, low_income: bool = False) -> tuple[StationClient, int, str]:
    station = seeded.stations["b"]
    case = low_income_case(station)[0] if low_income else plain_case(station)
    return station, case_id(seeded.service, station.station, case), case


def _events(station: StationClient, case: str) -> list[Event]:
    answer = station.request("GET", "/events?after=0&limit=500")
    assert answer.status_code == 200
    events = [read_event(canonical_json(document), station.enrolment.signing_key)
              for document in answer.json()["events"]]
    return [event for event in events if event.case == case]


def _decide(client: ConsoleClient, number: int, decision: str, data: dict[str, Any],
            **options: Any) -> str:
    answer = client.post(f"/console/cases/{number}/{decision}", data, **options)
    assert answer.status_code == 303
    return answer.headers["location"]


def test_accepting_sends_a_signed_event_with_the_township_number(
        seeded: Seeded, reviewer: ConsoleClient) -> None:
    station, number, case = _new_case(seeded)
    location = _decide(reviewer, number, "accept", {})
    assert location == f"/console/cases/{number}?notice=accepted"
    [event] = _events(station, case)
    assert event.kind == "accepted"
    assert event.payload == {"township_number": Case.get_by_id(number).township_number}
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.actor, entry.action, entry.object_id) == ("reviewer", "accept", case)
    assert event.id in entry.detail


def test_returning_sends_the_picked_materials_and_the_reason(
        seeded: Seeded, reviewer: ConsoleClient) -> None:
    station, number, case = _new_case(seeded, low_income=True)
    _decide(reviewer, number, "return", {
        "reason": "请补齐材料后重新提交", "missing": ["id_card", "medical_records"],
        "name_id_card": "申请人居民身份证", "reason_id_card": "复印件不清晰",
        "name_medical_records": "重病成员的诊断证明或病历", "reason_medical_records": "",
        "name_household_register": "居民户口簿", "reason_household_register": "not picked",
        "other_name": "村委会证明", "other_reason": "需加盖公章"})
    [event] = _events(station, case)
    assert event.kind == "returned"
    assert event.payload == {"reason": "请补齐材料后重新提交", "missing": [
        {"code": "id_card", "name": "申请人居民身份证", "reason": "复印件不清晰"},
        {"code": "medical_records", "name": "重病成员的诊断证明或病历", "reason": ""},
        {"code": None, "name": "村委会证明", "reason": "需加盖公章"}]}


def test_refusing_sends_the_reason(seeded: Seeded, admin: ConsoleClient) -> None:
    station, number, case = _new_case(seeded)
    _decide(admin, number, "refuse", {"reason": "不属于本乡镇受理范围"})
    [event] = _events(station, case)
    assert (event.kind, event.payload) == ("refused", {"reason": "不属于本乡镇受理范围"})


def test_completing_sends_the_result_and_its_file(seeded: Seeded,
                                                  reviewer: ConsoleClient) -> None:
    station, number, case = _new_case(seeded)
    _decide(reviewer, number, "accept", {})
    _decide(reviewer, number, "complete", {"approved": "no", "result_text": "不符合参保条件"},
            files={"result_file": ("决定书.pdf", PDF, "application/pdf")})
    accepted, completed = _events(station, case)
    file = completed.payload["file"]
    assert (completed.kind, completed.payload["approved"],
            completed.payload["result_text"]) == ("completed", False, "不符合参保条件")
    assert (file["name"], file["media_type"], file["sha256"]) == (
        "决定书.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest())
    fetched = station.request("GET", f"/files/{file['id']}")
    assert fetched.content == PDF
    shown = reviewer.get(f"/console/cases/{number}/files/{file['id']}")
    assert shown.content == PDF


def test_completing_without_a_file_names_none(seeded: Seeded,
                                              reviewer: ConsoleClient) -> None:
    station, number, case = _new_case(seeded)
    _decide(reviewer, number, "accept", {})
    _decide(reviewer, number, "complete", {"approved": "yes", "result_text": "准予"},
            files={"result_file": ("", b"", "application/octet-stream")})
    assert _events(station, case)[-1].payload["file"] is None
    page = reviewer.get(f"/console/cases/{number}").text
    assert "Decided: the time limit no longer runs." in page
    assert "the case is not accepted" not in page


@pytest.mark.parametrize("decision, data, problem", [
    ("return", {"reason": " "}, "reason"),
    ("refuse", {}, "reason"),
])
def test_a_decision_without_its_reason_sends_nothing(
        seeded: Seeded, reviewer: ConsoleClient, decision: str, data: dict[str, str],
        problem: str) -> None:
    station, number, case = _new_case(seeded)
    location = _decide(reviewer, number, decision, data)
    assert location == f"/console/cases/{number}?problem={problem}"
    assert _events(station, case) == []
    assert Case.get_by_id(number).state == "received"
    assert reviewer.get(location).text.count('id="problem"') == 1


def test_a_decision_the_state_no_longer_allows_changes_nothing(
        seeded: Seeded, reviewer: ConsoleClient) -> None:
    station, number, case = _new_case(seeded)
    _decide(reviewer, number, "refuse", {"reason": "不符合条件"})
    assert _decide(reviewer, number, "accept", {}).endswith("problem=decision")
    assert _decide(reviewer, number, "complete", {"result_text": "x"}).endswith(
        "problem=decision")
    assert [event.kind for event in _events(station, case)] == ["refused"]


def test_a_repeated_decision_sends_one_event(seeded: Seeded,
                                             reviewer: ConsoleClient) -> None:
    station, number, case = _new_case(seeded)
    _decide(reviewer, number, "accept", {})
    _decide(reviewer, number, "accept", {})
    assert len(_events(station, case)) == 1


def test_an_unknown_case_is_not_found(reviewer: ConsoleClient) -> None:
    assert reviewer.post("/console/cases/999999/accept").status_code == 404
    assert reviewer.get("/console/cases/999999").status_code == 404
    assert reviewer.get("/console/cases/abc").status_code == 404
