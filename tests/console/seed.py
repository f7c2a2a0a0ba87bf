"""A township with a console worth looking at, for the console's tests, its screenshots and
the end-to-end tests after them::

    with seeded_console(tmp_path) as seeded:
        browser = ConsoleClient(seeded.township.url)
        browser.login(*REVIEWER)
        browser.get(f"/console/cases/{seeded.cases['returnable']}")

or, to look at it in a browser (Chinese, until Ctrl+C)::

    PYTHONPATH=. .venv/bin/python -m tests.console.seed

Stations enrol over HTTP and send cases shaped like the station's own (``case_content`` in
``station/syncside.py``), with page files encrypted by the station's own VSMF writer.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from PIL import Image, ImageDraw

from assets import ROOT as ASSETS
from forms.i18n import DOMAIN
from station import streamcrypt
from sync.signed import b64encode, time_text
from sync.township.decisions import ResultUpload
from sync.township.keys import KdfParams
from sync.township.models import Case
from sync.township.service import Township
from sync.township.users import UserService
from tests.township.client import StationClient
from tests.township.server import MovableClock, RunningTownship, running_township

REVIEWER = ("reviewer", "reviewer-password")
ADMIN = ("admin", "admin-password")
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_users(service: Township) -> None:
    """The demo reviewer and admin (cheap hashes: tests only)."""
    users = UserService(service.context, CHEAP_KDF)
    users.add(REVIEWER[0], "王审核", "reviewer", REVIEWER[1])
    users.add(ADMIN[0], "赵管理", "admin", ADMIN[1])


def png(text: str = "page", size: tuple[int, int] = (240, 320)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 20), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
       b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass(frozen=True)
class PageFile:
    """A page as the station stores it: encrypted file bytes, its key and plaintext."""

    plaintext: bytes
    media_type: str
    key: bytes
    data: bytes

    @classmethod
    def of(cls, plaintext: bytes, media_type: str) -> PageFile:
        key = streamcrypt.new_key()
        target = io.BytesIO()
        streamcrypt.encrypt_stream(io.BytesIO(plaintext), target, key, chunk_size=4096)
        return cls(plaintext, media_type, key, target.getvalue())

    def entry(self, position: int, rotation: int = 0) -> dict[str, Any]:
        return {"uuid": str(uuid.uuid4()), "position": position, "rotation": rotation,
                "media_type": self.media_type, "blob": hashlib.sha256(self.data).hexdigest(),
                "key": b64encode(self.key), "digest": hashlib.sha256(self.plaintext).hexdigest(),
                "size": len(self.plaintext)}


def low_income_answers() -> dict[str, Any]:
    return {
        "applicant_name": "张秀英", "applicant_id": "530102196005011234",
        "applicant_phone": "13800000000",
        "applicant_address": {"province": "云南省", "city": "昆明市", "county": "示范县",
                              "village": "下村", "detail": "3组12号"},
        "applied_by_village": False, "hardship_reason": ["illness", "old_age"],
        "hardship_description": "户主长期患病，无固定收入。",
        "members": [
            {"member_name": "张秀英", "member_id": "530102196005011234",
             "member_relation": "self", "member_work_status": "none",
             "member_monthly_income": "300.00", "member_health": "chronic",
             "member_is_disabled": False},
            {"member_name": "李明", "member_id": "530102198807071236",
             "member_relation": "child", "member_work_status": "migrant",
             "member_monthly_income": "1200.00", "member_health": "healthy",
             "member_is_disabled": False},
        ],
        "member_count": 2, "household_monthly_income": "1500.00",
        "per_capita_income": "750.00", "savings": "2000.00", "has_vehicle": False,
        "has_other_house": False, "bank_account": "6228480000000000000",
        "x_unknown_field": "kept by its id",
    }


def case_content(matter_code: str, matter_name: str, answers: Mapping[str, Any],
                 materials: list[dict[str, Any]], case: str,
                 catalog_version: int = 1) -> dict[str, Any]:
    """Case content shaped like the station's (protocol section 3)."""
    now = time_text(datetime.now(timezone.utc))
    return {
        "case": {"uuid": case, "local_number": "C-0001", "matter_code": matter_code,
                 "matter_name": matter_name, "catalog_version": catalog_version,
                 "state": "queued", "answers": dict(answers), "overrides": {},
                 "created_at": now, "queued_at": now, "promised_date": None,
                 "promised_provisional": False, "result_text": None},
        "applicant": {"name": "张秀英", "id_number": "530102196005011234",
                      "phone": "13800000000", "address": "云南省昆明市示范县下村3组12号",
                      "birth_date": "1960-05-01", "sex": "女"},
        "agent": {"login": "agent", "display_name": "李代办"},
        "materials": materials,
        "transitions": [{"from": "draft", "to": "queued", "at": now, "agent": "agent",
                         "reason": None, "event": None}],
        "evaluations": [], "note": None,
    }


def material(code: str, name: str, pages: list[dict[str, Any]], form: str = "copy",
             deferred_until: str | None = None) -> dict[str, Any]:
    return {"code": code, "name": name, "form": form, "copies": 1,
            "deferred_until": deferred_until, "pages": pages}


def submit(station: StationClient, content: dict[str, Any], files: list[PageFile],
           revision: int = 1) -> None:
    """Upload the page files and send the case's envelope; AssertionError when refused."""
    for page in files:
        station.upload(page.data)
    answer = station.post_envelope(station.envelope(
        content, case=content["case"]["uuid"], revision=revision,
        blobs=tuple(page.data for page in files)))
    assert answer.status_code == 201, answer.text


def low_income_case(station: StationClient) -> tuple[str, list[PageFile]]:
    """A 最低生活保障 application with an image, a rotated image, a PDF and a deferral."""
    files = [PageFile.of(png("ID card"), "image/png"), PageFile.of(png("register"), "image/png"),
             PageFile.of(PDF, "application/pdf")]
    case = str(uuid.uuid4())
    materials = [
        material("id_card", "申请人居民身份证", [files[0].entry(1)]),
        material("household_register", "居民户口簿", [files[1].entry(1, rotation=90)],
                 form="original_and_copy"),
        material("application_letter", "最低生活保障申请书", [files[2].entry(1)],
                 form="original"),
        material("medical_records", "重病成员的诊断证明或病历", [],
                 deferred_until="2026-12-20"),
    ]
    submit(station, case_content("SJ-DBSQ-001", "最低生活保障申请", low_income_answers(),
                                 materials, case), files)
    return case, files


def plain_case(station: StationClient, matter_code: str = "YB-CBDJ-001",
               matter_name: str = "城乡居民基本医疗保险参保登记") -> str:
    case = str(uuid.uuid4())
    files = [PageFile.of(png("ID"), "image/png")]
    content = case_content(matter_code, matter_name, {"applicant_name": "王五"},
                           [material("id_card", "居民身份证", [files[0].entry(1)])], case)
    submit(station, content, files)
    return case


def case_id(service: Township, station: str, case: str) -> int:
    return Case.get(Case.station == station, Case.case_uuid == case).id


@dataclass
class Seeded:
    township: RunningTownship
    stations: dict[str, StationClient] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[PageFile]] = field(default_factory=dict)
    result_file: str = ""

    @property
    def service(self) -> Township:
        return self.township.service


def seed(running: RunningTownship) -> Seeded:
    """Users, two enrolled stations and one silent one, cases in several states."""
    service = running.service
    add_users(service)
    seeded = Seeded(running)
    for key, name in (("a", "下村便民服务站"), ("b", "上村便民服务站")):
        seeded.stations[key] = StationClient.enrol(running.api, running.add_station(name).code)
    running.add_station("河口村便民服务站")
    a, b = seeded.stations["a"], seeded.stations["b"]
    case, files = low_income_case(a)
    seeded.cases["received"] = case_id(service, a.station, case)
    seeded.files["received"] = files
    for name in ("accepted", "returnable", "refusable"):
        seeded.cases[name] = case_id(service, a.station, plain_case(a))
    other = plain_case(b, "TY-LNBZ-001", "农村籍退役士兵老年生活补助申请")
    seeded.cases["other_station"] = case_id(service, b.station, other)
    service.decisions.accept(a.station, _uuid(seeded, "accepted"))
    _complete(seeded, a)
    a.request("POST", "/heartbeat", _heartbeat(a.next_seq - 1))
    return seeded


def _complete(seeded: Seeded, station: StationClient) -> None:
    """A case completed with a result file (``seeded.result_file`` names it)."""
    seeded.cases["completed"] = case_id(seeded.service, station.station, plain_case(station))
    case = _uuid(seeded, "completed")
    seeded.service.decisions.accept(station.station, case)
    event = seeded.service.decisions.complete(
        station.station, case, True, "准予参保。",
        ResultUpload("决定书.pdf", "application/pdf", PDF))
    seeded.result_file = json.loads(event.payload)["file"]["id"]


def _uuid(seeded: Seeded, name: str) -> str:
    return Case.get_by_id(seeded.cases[name]).case_uuid


def _heartbeat(highest: int) -> bytes:
    return json.dumps({"queue": 0, "quarantined": 0, "app_version": "0.9.0",
                       "catalog_version": "1", "last_error": None, "free_disk": 5 * 1024 ** 3,
                       "highest_seq": highest}).encode()


@contextmanager
def seeded_console(data_dir: Path, **options: Any) -> Iterator[Seeded]:
    """A served township (on a MovableClock) with :func:`seed` applied."""
    options.setdefault("clock", MovableClock())
    with running_township(data_dir, **options) as running:
        yield seed(running)


class ConsoleClient:
    """A browser without JavaScript: cookies, forms with their CSRF token, no redirects
    followed unless asked."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.csrf = ""

    def get(self, path: str, **options: Any) -> requests.Response:
        options.setdefault("allow_redirects", False)
        answer = self.session.get(self.url + path, **options)
        self._remember(answer)
        return answer

    def post(self, path: str, data: Mapping[str, Any] | None = None,
             csrf: str | None = None, **options: Any) -> requests.Response:
        """POST a form with this session's CSRF token (or ``csrf`` instead)."""
        body = dict(data or {})
        body.setdefault("csrf_token", self.csrf if csrf is None else csrf)
        options.setdefault("allow_redirects", False)
        answer = self.session.post(self.url + path, data=body, **options)
        self._remember(answer)
        return answer

    def login(self, login: str, password: str) -> requests.Response:
        """Sign in; the answer to the form (303 when it worked)."""
        self.get("/console/login")
        answer = self.post("/console/login", {"login": login, "password": password})
        if answer.status_code == 303:
            self.get("/console/cases")
        return answer

    def _remember(self, answer: requests.Response) -> None:
        found = _CSRF.search(answer.text) if "text/html" in answer.headers.get(
            "content-type", "") else None
        if found:
            self.csrf = found.group(1)


def main() -> None:
    """Serve a seeded console in Chinese until interrupted, and say how to sign in."""
    gettext.bindtextdomain(DOMAIN, str(ASSETS / "locale"))
    os.environ["LANGUAGE"] = "zh_CN"
    with tempfile.TemporaryDirectory(prefix="console-demo-") as folder, \
            seeded_console(Path(folder)) as seeded:
        print(f"{seeded.township.url}/console/  reviewer: {REVIEWER[0]} / {REVIEWER[1]}"
              f"  admin: {ADMIN[0]} / {ADMIN[1]}  (Ctrl+C ends)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
