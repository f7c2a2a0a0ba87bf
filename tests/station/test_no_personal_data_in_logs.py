"""A whole case through the services with DEBUG logging: no name, ID number or phone leaks."""

from __future__ import annotations

import logging
from datetime import date

from station.applicants import ApplicantInput
from station.cases import EvaluationLevel, EvaluationStage, StatusEvent
from station.lifecycle import Transition
from station.maintenance import run_maintenance
from tests.station.conftest import COMPLETE_ANSWERS

NAME, ID_NUMBER, PHONE = "欧阳明珠", "11010519491231002X", "13800138000"


def test_full_case_logs_nothing_personal(session, matter, scans, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    applicant = session.applicants.save(
        ApplicantInput(name=NAME, id_number=ID_NUMBER.lower(), phone=PHONE)
    )
    session.applicants.search(NAME[:2])
    session.applicants.search(ID_NUMBER[:8])
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:2])
    session.materials.defer(case.uuid, "hukou", date(2026, 12, 1), note="申请人下周送来")
    session.cases.open(case.uuid)
    session.cases.submit(case.uuid, matter)
    session.cases.record_evaluation(case.uuid, EvaluationStage.INTAKE, EvaluationLevel.SATISFIED)
    for n, transition in enumerate([Transition.UPLOAD, Transition.ACCEPT, Transition.COMPLETE]):
        session.cases.apply_status_event(case.uuid, StatusEvent(f"e{n}", transition))
    session.cases.record_delivery(case.uuid)
    session.cases.close(case.uuid)
    run_maintenance(session, retention_days=1)
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert caplog.records, "nothing was logged: the test would prove nothing"
    for secret in (
        NAME,
        ID_NUMBER,
        ID_NUMBER.lower(),
        PHONE,
        NAME.encode("unicode_escape").decode(),
    ):
        assert secret not in logged
