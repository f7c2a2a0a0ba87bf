"""The whole loop in a real browser (Debian's Chromium under Playwright) against a real
township on 127.0.0.1, with a real station whose own sync engine uploads: a case filed at
the station arrives in the console, is returned for supplement, supplemented at the
station, accepted and completed, and the station holds the result. Every console page the
loop visits, and the admin's pages, are kept in Chinese under build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, sync_playwright

from forms.i18n import _
from station.lifecycle import CaseState
from sync.township.console import labels
from sync.township.models import Case as TownshipCase
from tests.console.browser import (
    ConsoleTab,
    StationDesk,
    chinese,
    launch,
    soon,
    station_desk,
)
from tests.console.seed import ADMIN, PDF, REVIEWER, add_users, plain_case
from tests.township.client import StationClient
from tests.township.server import RunningTownship, running_township

RESULT_NAME = "参保登记决定书.pdf"
RESULT_TEXT = "准予参保登记，自次月起享受居民医保待遇。"


@dataclass(frozen=True)
class World:
    township: RunningTownship
    desk: StationDesk


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A township in Chinese with the demo users, a station that sends through the test
    client, and a real station enrolled with it."""
    folder = tmp_path_factory.mktemp("loop")
    with chinese(), running_township(folder / "township") as township:
        add_users(township.service)
        other = township.add_station("上村便民服务站").code
        plain_case(StationClient.enrol(township.api, other))
        code = township.add_station("下村便民服务站").code
        with station_desk(folder, township.url, code) as desk:
            yield World(township, desk)


@pytest.fixture(scope="module")
def chromium(world: World) -> Iterator[Browser]:
    with sync_playwright() as driver:
        browser = launch(driver)
        yield browser
        browser.close()


@pytest.fixture
def tab(chromium: Browser, world: World) -> Iterator[ConsoleTab]:
    opened = ConsoleTab.open(chromium, world.township.url)
    yield opened
    opened.close()


def _number(desk: StationDesk, case: str) -> int:
    """The case's number in the console."""
    return TownshipCase.get(TownshipCase.station == desk.station_id,
                            TownshipCase.case_uuid == case).id


def _state(tab: ConsoleTab) -> str:
    return tab.text("#case-state")


def test_a_case_goes_from_the_station_through_the_console_and_back(world: World,
                                                                    tab: ConsoleTab) -> None:
    desk = world.desk
    case = desk.file_case(soon())
    assert desk.sync().sent == 1
    assert desk.case(case).state == CaseState.UPLOADED
    number = _number(desk, case)
    _sign_in_as_reviewer(tab)
    _find_in_the_queue(tab, world, number)
    _review_the_arrival(tab, desk, case)
    _return_the_id_card(tab, desk, number)
    _supplement_at_the_station(desk, case)
    _accept_and_complete(tab, number)
    _the_station_shows_the_result(desk, case)


def _sign_in_as_reviewer(tab: ConsoleTab) -> None:
    tab.go("/console/cases")
    assert "/console/login?next=" in tab.page.url
    tab.shoot("login")
    tab.sign_in(*REVIEWER)
    assert "王审核" in tab.text("#who")


def _find_in_the_queue(tab: ConsoleTab, world: World, number: int) -> None:
    assert tab.page.locator("#queue tbody tr").count() == 2
    tab.page.select_option("#filter-station", world.desk.station_id)
    tab.page.click("#filter-apply")
    tab.page.wait_for_url(f"**station={world.desk.station_id}**")
    assert tab.page.locator("#queue tbody tr").count() == 1
    row = tab.text(f"#case-{number}")
    assert world.desk.matter.name in row and labels.case_state("received") in row
    tab.shoot("cases")
    tab.page.click(f"#case-{number} a")
    tab.page.wait_for_url(f"**/console/cases/{number}")


def _review_the_arrival(tab: ConsoleTab, desk: StationDesk, case: str) -> None:
    """Answers by the form's labels, both pages as images, the deferral with its date, the
    receipt the station holds, the station's steps in the timeline."""
    assert _state(tab) == labels.case_state("received")
    subsidy = desk.matter.field_index["subsidy_group"]
    assert subsidy.label in tab.text("#answers")
    assert subsidy.choice_label("subsistence") in tab.text("#answers")
    assert "欧阳明珠" in tab.text("#answer-applicant_name + dd")
    assert labels.sex("F") in tab.text("#applicant")
    assert tab.images_shown("#material-id_card img.page") == [480, 480]
    assert soon().isoformat() in tab.text("#material-subsidy_proof .deferred")
    [digest] = desk.receipt_digests(case)
    assert digest[:12] in tab.text("#receipt-1")
    timeline = tab.text("#timeline")
    assert labels.received("submission", 1) in timeline
    assert labels.station_state("queued") in timeline
    tab.shoot("case-received")


def _return_the_id_card(tab: ConsoleTab, desk: StationDesk, number: int) -> None:
    page = tab.page
    page.click("#return-section summary")
    offered = page.eval_on_selector_all("#return-form input[name=missing]",
                                        "boxes => boxes.map(b => b.value)")
    assert offered == [material.code for material in desk.matter.materials]
    page.check("#missing-id_card")
    page.fill("#reason-id_card", "照片模糊，看不清号码")
    page.fill("#return-reason", "请补交清晰的身份证照片后重新提交。")
    tab.shoot("case-return")
    page.click("#return")
    page.wait_for_url(f"**/console/cases/{number}?notice=returned")
    assert tab.text("#notice") == labels.notice("returned")
    assert _state(tab) == labels.case_state("returned")
    assert "请补交清晰的身份证照片后重新提交。" in tab.text("#timeline")
    tab.shoot("case-returned")


def _supplement_at_the_station(desk: StationDesk, case: str) -> None:
    assert desk.sync().events_applied == 1
    assert desk.case(case).state == CaseState.RETURNED
    [point] = desk.checklist(case)
    id_card = next(m for m in desk.matter.materials if m.code == "id_card")
    assert (point.requirement_code, point.name, point.reason) == (
        "id_card", id_card.name, "照片模糊，看不清号码")
    desk.supplement(case, "ID card clear copy")
    assert desk.sync().sent == 1
    resubmitted = desk.case(case)
    assert (resubmitted.state, resubmitted.revision) == (CaseState.UPLOADED, 2)


def _accept_and_complete(tab: ConsoleTab, number: int) -> None:
    page = tab.page
    tab.go(f"/console/cases/{number}")
    assert _state(tab) == labels.case_state("received")
    assert page.locator("#receipts tbody tr").count() == 2
    assert labels.received("submission", 2) in tab.text("#timeline")
    assert tab.images_shown("#material-id_card img.page") == [480, 480, 480]
    tab.shoot("case-resubmitted")
    page.click("#accept")
    page.wait_for_url(f"**/console/cases/{number}?notice=accepted")
    assert _state(tab) == labels.case_state("accepted")
    assert page.locator("#deadline .due").count() == 1
    tab.shoot("case-accepted")
    page.fill("#result-text", RESULT_TEXT)
    page.set_input_files("#result-file", files=[
        {"name": RESULT_NAME, "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#complete")
    page.wait_for_url(f"**/console/cases/{number}?notice=completed")
    assert _state(tab) == labels.case_state("completed")
    link = page.locator("#results a")
    assert link.inner_text() == RESULT_NAME
    assert page.request.get(tab.url + link.get_attribute("href")).body() == PDF
    tab.shoot("case-completed")


def _the_station_shows_the_result(desk: StationDesk, case: str) -> None:
    assert desk.sync().events_applied == 2
    done = desk.case(case)
    assert (done.state, done.result_text, done.result_approved) == (
        CaseState.COMPLETED, RESULT_TEXT, True)
    assert desk.result_files(case) == [(RESULT_NAME, PDF)]


def test_a_return_works_without_javascript(world: World, chromium: Browser) -> None:
    desk = world.desk
    case = desk.file_case(soon(20))
    assert desk.sync().sent == 1
    number = _number(desk, case)
    tab = ConsoleTab.open(chromium, world.township.url, javascript=False)
    try:
        tab.sign_in(*REVIEWER)
        tab.go(f"/console/cases/{number}")
        tab.page.click("#return-section summary")
        tab.page.check("#missing-id_card")
        tab.page.fill("#reason-id_card", "缺少反面")
        tab.page.fill("#return-reason", "请补交身份证反面。")
        tab.page.click("#return")
        tab.page.wait_for_url(f"**/console/cases/{number}?notice=returned")
        assert tab.text("#case-state") == labels.case_state("returned")
    finally:
        tab.close()
    assert desk.sync().events_applied == 1
    assert desk.case(case).state == CaseState.RETURNED
    assert [(p.requirement_code, p.reason) for p in desk.checklist(case)] == [
        ("id_card", "缺少反面")]


def test_the_admin_pages_fit_the_window(world: World, tab: ConsoleTab) -> None:
    station = world.desk.station_id
    world.desk.sync()
    tab.sign_in(*ADMIN)
    tab.go("/console/stations")
    assert tab.page.locator(f"#station-{station}").is_visible()
    tab.shoot("stations")
    _new_station(tab, world)
    tab.go("/console/reconciliation?all=1")
    assert tab.page.locator(f"#recon-{station}").is_visible()
    assert _("Envelopes received") in tab.text("#recon thead")
    tab.shoot("reconciliation")
    tab.page.click(f"#recon-{station} a")
    tab.page.wait_for_url(f"**/console/reconciliation/{station}**")
    assert tab.text("#fig-heartbeat") != "–"
    tab.shoot("reconciliation-station")
    tab.go("/console/bundles")
    assert tab.page.locator(f"#return-{station}").is_visible()
    tab.shoot("bundles")
    tab.go("/console/audit")
    assert tab.page.locator("#audit-check.notice").count() == 1
    assert labels.audit_action("login") in tab.text("#audit")
    tab.shoot("audit")


def _new_station(tab: ConsoleTab, world: World) -> None:
    """Create a station; its code and QR are shown once, and the code enrols."""
    tab.page.fill("#station-name", "河口村便民服务站")
    tab.page.click("#station-add")
    tab.page.wait_for_selector("#enrolment-code")
    [width] = tab.images_shown("#enrolment-qr")
    assert width > 0
    tab.shoot("station-code")
    enrolled = StationClient.enrol(world.township.api, tab.text("#enrolment-code").strip())
    assert enrolled.station == tab.text("#enrolment-station")
