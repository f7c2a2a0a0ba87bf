"""Helpers of the console's browser tests: Debian's Chromium driven by Playwright (never a
downloaded browser), a console tab that signs in and keeps screenshots, and a real station
(SQLCipher store, bundled catalog) whose own sync engine talks to the township::

    with chinese(), running_township(folder) as township, sync_playwright() as driver:
        browser = launch(driver)
        tab = ConsoleTab.open(browser, township.url)
        tab.sign_in(*REVIEWER)
        tab.shoot("cases")             # build/screenshots/console-cases.png

A missing Chromium fails the test with the command that installs it.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright

from assets import ROOT as ASSETS
from forms.catalog import Catalog
from forms.i18n import DOMAIN
from forms.model import Matter
from station import syncstate
from station.applicants import ApplicantInput
from station.clock import Clock
from station.demo import bundled_catalog
from station.enrolment import enrol
from station.models import Case, OutboxItem, Receipt
from station.session import Session, init_station, login
from station.supplements import ChecklistEntry, SupplementService
from station.syncside import StationSyncSide, engine_for
from sync.engine import RoundOutcome
from sync.messages import read_receipt
from tests.console.seed import png
from tests.station.conftest import CHEAP_KDF, PASSWORD, SETUP

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_CHROMIUM = "sudo apt-get install --no-install-recommends chromium"
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
VIEWPORT = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
MATTER = "YB-CBDJ-001"
# The answers of a 城乡居民基本医疗保险参保登记 for a subsistence-allowance household.
ANSWERS = {
    "applicant_name": "欧阳明珠", "applicant_id": "11010519491231002X",
    "applicant_phone": "13800138000",
    "applicant_address": {"province": "河南省", "city": "安阳市", "county": "安阳县",
                          "township": "示范镇", "village": "示范村", "detail": "3组12号"},
    "residency": "local", "person_type": "rural", "has_employee_insurance": False,
    "subsidy_group": "subsistence", "payment_channel": "station",
}


def launch(driver: Playwright) -> Browser:
    """Debian's Chromium under Playwright; fails the test (never skips) when it is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's Chromium: {INSTALL_CHROMIUM}")
    return driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))


@contextmanager
def chinese() -> Iterator[None]:
    """Everything translated to Simplified Chinese in this process (the township served in a
    thread of it too), as it was before afterwards."""
    bound, language = gettext.bindtextdomain(DOMAIN), os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, str(ASSETS / "locale"))
    os.environ["LANGUAGE"] = "zh_CN"
    try:
        yield
    finally:
        gettext.bindtextdomain(DOMAIN, bound)
        if language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = language


@dataclass
class ConsoleTab:
    """One browser context at 1366×768 on the console of the township at ``url``."""

    page: Page
    url: str

    @classmethod
    def open(cls, browser: Browser, url: str, javascript: bool = True) -> ConsoleTab:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN",
                                      java_script_enabled=javascript)
        return cls(context.new_page(), url)

    def close(self) -> None:
        self.page.context.close()

    def go(self, path: str) -> None:
        """Open the console page at ``path``; AssertionError unless it answers 200."""
        answer = self.page.goto(self.url + path)
        assert answer is not None and answer.status == 200, path

    def sign_in(self, login_name: str, password: str) -> None:
        """Sign in through the login form; lands on the queue."""
        self.go("/console/login")
        self.page.fill("#login", login_name)
        self.page.fill("#password", password)
        self.page.click("#sign-in")
        self.page.wait_for_url("**/console/cases")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def shoot(self, name: str) -> Path:
        """The whole page as build/screenshots/console-``name``.png; AssertionError when
        the page is wider than the window (something would be cut off at 1366 pixels)."""
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORT["width"], f"console-{name} is {width} px wide"
        path = SCREENSHOTS / f"console-{name}.png"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def images_shown(self, selector: str) -> list[int]:
        """The natural widths of the images ``selector`` finds (0: did not load)."""
        return self.page.eval_on_selector_all(
            selector, "images => images.map(i => i.complete ? i.naturalWidth : 0)")


@dataclass
class StationDesk:
    """A real station, enrolled with a township: files cases through its services and
    syncs with its own engine."""

    session: Session
    catalog: Catalog
    scans: Path

    @property
    def matter(self) -> Matter:
        return self.catalog.matter(MATTER)

    @property
    def station_id(self) -> str:
        with self.session.db.atomic():
            return syncstate.require_enrolment().station_id

    def scan(self, text: str) -> Path:
        """A page as the document camera drops it (a PNG showing ``text``)."""
        path = self.scans / f"{text.replace(' ', '-')}.png"
        path.write_bytes(png(text, (480, 640)))
        return path

    def file_case(self, deferred_until: date) -> str:
        """A medical-insurance enrolment with two ID-card pages and the subsidy proof
        accepted missing until ``deferred_until``, queued; its uuid."""
        session, matter = self.session, self.matter
        applicant = session.applicants.save(ApplicantInput(
            ANSWERS["applicant_name"], ANSWERS["applicant_id"], ANSWERS["applicant_phone"]))
        case = session.cases.create_draft(matter, self.catalog.version, applicant,
                                          dict(ANSWERS))
        session.materials.attach_pages(case.uuid, "id_card",
                                       [self.scan("ID card front"), self.scan("ID card back")])
        session.materials.defer(case.uuid, "subsidy_proof", deferred_until)
        return session.cases.submit(case.uuid, matter).uuid

    def supplement(self, case_uuid: str, page_text: str) -> None:
        """Add a page to the ID card of a returned case and submit it again."""
        self.session.materials.attach_pages(case_uuid, "id_card", [self.scan(page_text)])
        self.session.cases.submit(case_uuid, self.matter, reason="补正")

    def sync(self) -> RoundOutcome:
        """One round of the station's sync engine; AssertionError unless it succeeded."""
        outcome = engine_for(self.session).run_round()
        assert outcome.ok, outcome.error
        return outcome

    def case(self, case_uuid: str) -> Case:
        with self.session.db.atomic():
            return Case.get(Case.uuid == case_uuid)

    def receipt_digests(self, case_uuid: str) -> list[str]:
        """The envelope digests of the township's receipts the station keeps for the case,
        each verified with the pinned township key, by sequence number."""
        signing_key = StationSyncSide(self.session).identity().signing_key
        with self.session.db.atomic():
            kept = (Receipt.select(Receipt).join(OutboxItem).join(Case)
                    .where(Case.uuid == case_uuid).order_by(OutboxItem.seq))
            return [read_receipt(bytes(row.body), signing_key).envelope_sha256 for row in kept]

    def checklist(self, case_uuid: str) -> list[ChecklistEntry]:
        return SupplementService(self.session.ctx).checklist(case_uuid)

    def result_files(self, case_uuid: str) -> list[tuple[str, bytes]]:
        """The result files the station stored for the case: (name, plaintext)."""
        with self.session.db.atomic():
            stored = syncstate.result_files(Case.get(Case.uuid == case_uuid))
        blobs = self.session.blobs
        return [(row.name, b"".join(blobs.open(row.blob_name, bytes(row.blob_key))))
                for row in stored]


@contextmanager
def station_desk(folder: Path, township_url: str, code: str) -> Iterator[StationDesk]:
    """A new station in ``folder`` on the real clock, enrolled with ``code``."""
    init_station(folder / "station", SETUP, kdf=CHEAP_KDF)
    scans = folder / "scans"
    scans.mkdir()
    with login(folder / "station", SETUP.login, PASSWORD, clock=Clock()) as session:
        enrol(session, township_url, code)
        yield StationDesk(session, bundled_catalog(), scans)


def soon(days: int = 14) -> date:
    """A date ``days`` after today (a promised date for a deferred material)."""
    return Clock().today() + timedelta(days=days)
