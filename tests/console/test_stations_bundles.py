"""Stations and bundles in the console: a created station's code shown once and usable, a
new code, revoking, the health list; a USB bundle uploaded and its return bundle
downloaded."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from pathlib import Path

from sync.bundle import read_return, write_outbound
from sync.messages import read_receipt
from sync.township.models import AuditEntry, Station
from tests.console.seed import ConsoleClient, PageFile, Seeded, case_content, material, png
from tests.township.client import StationClient

_CODE = re.compile(r'<p class="code" id="enrolment-code">([0-9A-Z-]+)</p>')
_STATION = re.compile(r'<code id="enrolment-station">(s[0-9a-f]+)</code>')


def _created(admin: ConsoleClient, name: str) -> tuple[str, str, str]:
    page = admin.post("/console/stations", {"name": name})
    assert page.status_code == 200
    code, station = _CODE.search(page.text), _STATION.search(page.text)
    assert code and station
    return station.group(1), code.group(1), page.text


def test_a_created_station_enrols_with_the_code_shown(seeded: Seeded,
                                                      admin: ConsoleClient) -> None:
    station, code, page = _created(admin, "新建村便民服务站")
    assert 'id="enrolment-qr" src="data:image/png;base64,' in page
    assert f"vsenrol:{seeded.service.settings.url}#{code}" in page
    enrolled = StationClient.enrol(seeded.township.api, code)
    assert enrolled.station == station
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.action, entry.object_id) == ("station_add", station)
    assert "新建村" not in entry.detail


def test_a_new_code_replaces_a_pc(seeded: Seeded, admin: ConsoleClient) -> None:
    station, _code, _page = _created(admin, "换机村")
    page = admin.post(f"/console/stations/{station}/code").text
    code = _CODE.search(page)
    assert code and StationClient.enrol(seeded.township.api, code.group(1)).station == station


def test_an_empty_name_makes_no_station(admin: ConsoleClient) -> None:
    before = Station.select().count()
    assert admin.post("/console/stations", {"name": "  "}).headers["location"] \
        == "/console/stations?problem=name"
    assert Station.select().count() == before


def test_revoking_refuses_the_stations_requests(seeded: Seeded,
                                                admin: ConsoleClient) -> None:
    station_id, code, _page = _created(admin, "撤销村")
    station = StationClient.enrol(seeded.township.api, code)
    assert admin.post(f"/console/stations/{station_id}/revoke").headers["location"] \
        == "/console/stations?problem=confirm"
    assert station.request("GET", "/events").status_code == 200
    answer = admin.post(f"/console/stations/{station_id}/revoke", {"confirm": "yes"})
    assert answer.headers["location"] == "/console/stations?notice=revoked"
    assert station.request("GET", "/events").status_code == 401
    assert f'id="revoke-{station_id}"' not in admin.get("/console/stations").text


def test_the_station_list_shows_health(seeded: Seeded, admin: ConsoleClient) -> None:
    station = seeded.stations["a"].station
    row = re.search(rf'<tr id="station-{station}">(.*?)</tr>', admin.get(
        "/console/stations").text, re.S)
    assert row
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert [cells[3].strip(), cells[4].strip(), cells[6].strip()] == ["0.9.0", "1", "5.0 GB"]


def test_a_bundle_uploads_and_its_return_downloads(seeded: Seeded, reviewer: ConsoleClient,
                                                   tmp_path: Path) -> None:
    station = StationClient.enrol(seeded.township.api,
                                  seeded.township.add_station("离线村").code)
    page = PageFile.of(png("offline"), "image/png")
    case = str(uuid.uuid4())
    content = case_content("YB-CBDJ-001", "参保", {}, [material("id", "身份证", [page.entry(1)])],
                           case)
    envelope = station.envelope(content, case=case, blobs=(page.data,))
    bundle = tmp_path / "out.zip"
    write_outbound(bundle, station.station, station.key, [(1, envelope)],
                   [(hashlib.sha256(page.data).hexdigest(), len(page.data),
                     lambda: io.BytesIO(page.data))])
    answer = reviewer.post("/console/bundles/import", files={
        "bundle": ("out.zip", bundle.read_bytes(), "application/zip")})
    assert answer.status_code == 200
    assert 'id="bundle-result"' in answer.text
    link = f'href="/console/bundles/return/{station.station}"'
    assert link in answer.text
    back = reviewer.get(f"/console/bundles/return/{station.station}")
    assert back.headers["content-type"] == "application/zip"
    (tmp_path / "back.zip").write_bytes(back.content)
    returned = read_return(tmp_path / "back.zip", station.enrolment.signing_key,
                           station.station)
    receipt = read_receipt(returned.receipts[0], station.enrolment.signing_key)
    assert (receipt.seq, receipt.case) == (1, case)
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id.desc()).limit(2)]
    assert actions == ["bundle_export", "bundle_import"]


def test_a_file_that_is_no_bundle_is_refused_with_advice(reviewer: ConsoleClient) -> None:
    answer = reviewer.post("/console/bundles/import", files={
        "bundle": ("notes.zip", b"not a zip at all", "application/zip")})
    assert answer.status_code == 422
    assert 'id="bundle-error"' in answer.text


def test_an_upload_without_a_file_is_refused(reviewer: ConsoleClient) -> None:
    answer = reviewer.post("/console/bundles/import", files={
        "bundle": ("", b"", "application/octet-stream")})
    assert answer.status_code == 400
