"""The queue and its filters, the case detail laid out by the matter's form, and material
pages decrypted for the browser from the station's VSMF files."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from sync.township.models import AuditEntry, Case, CaseFacts
from tests.console.seed import (
    PDF,
    ConsoleClient,
    PageFile,
    Seeded,
    case_content,
    case_id,
    material,
    plain_case,
    png,
    submit,
)
from tests.township.server import MovableClock

_ROW = re.compile(r'<tr id="case-([0-9]+)"')


def _queue(client: ConsoleClient, query: str = "") -> list[int]:
    answer = client.get("/console/cases" + query)
    assert answer.status_code == 200
    return [int(found) for found in _ROW.findall(answer.text)]


def _page(seeded: Seeded, material_index: int) -> dict:
    station = seeded.stations["a"].station
    case = Case.get_by_id(seeded.cases["received"]).case_uuid
    content = seeded.service.overview.case(station, case).content
    return content["materials"][material_index]["pages"][0]


def test_the_queue_lists_newest_first(seeded: Seeded, reviewer: ConsoleClient) -> None:
    shown = _queue(reviewer)
    assert shown == sorted(shown, reverse=True)
    assert set(seeded.cases.values()) <= set(shown)


@pytest.mark.parametrize("query, wanted, unwanted", [
    ("?station={b}", ["other_station"], ["received", "accepted"]),
    ("?matter=SJ-DBSQ-001", ["received"], ["accepted", "other_station"]),
    ("?matter=TY-LNBZ-001", ["other_station"], ["received"]),
    ("?state=accepted", ["accepted"], ["received", "completed"]),
    ("?state=completed", ["completed"], ["accepted"]),
    ("?from=2000-01-01&to=2099-12-31", ["received", "accepted"], []),
    ("?to=2000-01-01", [], ["received", "accepted"]),
    ("?state=bogus&from=not-a-date", ["received", "accepted"], []),
])
def test_the_queue_filters(seeded: Seeded, reviewer: ConsoleClient, query: str,
                           wanted: list[str], unwanted: list[str]) -> None:
    shown = _queue(reviewer, query.format(b=seeded.stations["b"].station))
    assert all(seeded.cases[name] in shown for name in wanted)
    assert not any(seeded.cases[name] in shown for name in unwanted)


def test_overdue_cases_are_flagged_and_filtered(
        seeded: Seeded, browser: Callable[[str | None], ConsoleClient],
        clock: MovableClock) -> None:
    accepted = seeded.cases["accepted"]
    assert accepted not in _queue(browser("reviewer"), "?overdue=1")
    facts = CaseFacts.get(CaseFacts.case == accepted)
    assert facts.matter_code == "YB-CBDJ-001" and facts.due_on is not None
    clock.advance(timedelta(days=10))
    reviewer = browser("reviewer")
    assert _queue(reviewer, "?overdue=1") == [accepted]
    row = reviewer.get("/console/cases").text
    assert re.search(rf'<tr id="case-{accepted}" class="row-accepted due-overdue">', row)


def test_the_queue_pages_on(reviewer: ConsoleClient) -> None:
    first = _queue(reviewer, "?state=received")
    older = _queue(reviewer, f"?state=received&before={first[0]}")
    assert older == first[1:]


def test_the_detail_lays_answers_out_by_the_form(seeded: Seeded,
                                                 reviewer: ConsoleClient) -> None:
    page = reviewer.get(f"/console/cases/{seeded.cases['received']}").text
    assert '<dt id="answer-hardship_reason">致困原因（可多选）</dt><dd>因病、年老体弱</dd>' in page
    assert '<dt id="answer-applicant_address">户籍地址</dt><dd>云南省昆明市示范县下村3组12号</dd>' \
        in page
    assert '<h3 id="answer-members">共同生活的家庭成员（含申请人）</h3>' in page
    assert "<td>子女</td><td>外出务工</td>" in page
    assert '<dt id="answer-x_unknown_field" class="raw">x_unknown_field</dt>' in page
    assert 'id="answers-raw"' not in page
    assert re.search(r'<p class="deferred">[^<]*2026-12-20[^<]*</p>', page)
    assert 'img class="page rot-90"' in page


def test_an_unknown_matter_shows_answers_by_field_id(seeded: Seeded,
                                                     reviewer: ConsoleClient) -> None:
    station = seeded.stations["b"]
    number = case_id(seeded.service, station.station,
                     plain_case(station, "XX-UNKNOWN-001", "未知事项"))
    page = reviewer.get(f"/console/cases/{number}").text
    assert 'id="answers-raw"' in page
    assert '<dt id="answer-applicant_name" class="raw">applicant_name</dt><dd>王五</dd>' in page


def test_viewing_a_case_is_audited_without_personal_data(seeded: Seeded,
                                                         reviewer: ConsoleClient) -> None:
    reviewer.get(f"/console/cases/{seeded.cases['received']}")
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.action, entry.actor) == ("view_case", "reviewer")
    assert "张秀英" not in entry.detail and "5301021960" not in entry.detail


@pytest.mark.parametrize("index, media_type, disposition", [
    (0, "image/png", "inline"),
    (2, "application/pdf", "inline"),
])
def test_material_pages_are_served_decrypted(seeded: Seeded, reviewer: ConsoleClient,
                                             index: int, media_type: str,
                                             disposition: str) -> None:
    entry = _page(seeded, index)
    answer = reviewer.get(f"/console/cases/{seeded.cases['received']}/pages/{entry['uuid']}")
    plaintext = [f.plaintext for f in seeded.files["received"]
                 if f.media_type == media_type][0]
    assert answer.status_code == 200 and answer.content == plaintext
    assert answer.headers["content-type"] == media_type
    assert answer.headers["content-disposition"].startswith(disposition)
    assert answer.headers["cache-control"] == "no-store"
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (last.action, last.object_id) == ("view_page", entry["uuid"])


def test_a_pdf_can_be_downloaded(seeded: Seeded, reviewer: ConsoleClient) -> None:
    entry = _page(seeded, 2)
    answer = reviewer.get(
        f"/console/cases/{seeded.cases['received']}/pages/{entry['uuid']}?download=1")
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.content == PDF


def test_a_page_of_another_type_is_only_downloaded(seeded: Seeded,
                                                   reviewer: ConsoleClient) -> None:
    station = seeded.stations["b"]
    page = PageFile.of(b"<script>alert(1)</script>", "text/html")
    entry = page.entry(1)
    case = str(uuid.uuid4())
    content = case_content("YB-CBDJ-001", "参保", {}, [material("x", "x", [entry])], case)
    submit(station, content, [page])
    number = case_id(seeded.service, station.station, case)
    answer = reviewer.get(f"/console/cases/{number}/pages/{entry['uuid']}")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment")


def test_a_damaged_page_file_is_not_served(seeded: Seeded, reviewer: ConsoleClient) -> None:
    station = seeded.stations["b"]
    page = PageFile.of(png("to be damaged"), "image/png")
    entry = page.entry(1)
    case = str(uuid.uuid4())
    content = case_content("YB-CBDJ-001", "参保", {}, [material("x", "x", [entry])], case)
    submit(station, content, [page])
    path = seeded.service.context.blobs.path(station.station, entry["blob"])
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    number = case_id(seeded.service, station.station, case)
    assert reviewer.get(f"/console/cases/{number}/pages/{entry['uuid']}").status_code == 404


def test_an_unknown_page_is_not_found(seeded: Seeded, reviewer: ConsoleClient) -> None:
    answer = reviewer.get(f"/console/cases/{seeded.cases['received']}/pages/nope")
    assert answer.status_code == 404
