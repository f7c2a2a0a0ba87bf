"""Reconciliation in the console: a station's gaps and ledger figures, the county summary of
stations with gaps or silent, the resend request as a signed event, the xlsx export."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import openpyxl
import pytest

from sync.envelope import digest
from sync.messages import read_event
from sync.signed import canonical_json
from sync.township.console.reconview import parse_seqs
from tests.console.seed import ConsoleClient, Seeded
from tests.township.client import StationClient, ledger_bytes
from tests.township.server import MovableClock


def _station_with_a_gap(seeded: Seeded) -> StationClient:
    """A new station that sent 1 and 3 (2 never arrived) and reported a ledger of 1-3."""
    station = StationClient.enrol(seeded.township.api,
                                  seeded.township.add_station("缺号村" + uuid.uuid4().hex[:4])
                                  .code)
    one = station.envelope(seq=1)
    station.envelope(seq=2)
    three = station.envelope(seq=3)
    for data in (one, three):
        assert station.post_envelope(data).status_code == 201
    lines = {1: digest(one), 2: "ab" * 32, 3: digest(three)}
    assert station.request("POST", "/ledger", ledger_bytes(
        station.station, station.key, lines)).status_code == 200
    return station


def test_a_stations_page_shows_its_gap_and_ledger(seeded: Seeded,
                                                  reviewer: ConsoleClient) -> None:
    station = _station_with_a_gap(seeded)
    page = reviewer.get(f"/console/reconciliation/{station.station}").text
    assert '<dd id="fig-gaps">2</dd>' in page
    assert '<dd id="fig-missing">2</dd>' in page
    assert '<dd id="fig-highest">3</dd>' in page
    assert '<dd id="fig-through">1</dd>' in page
    assert '<input type="checkbox" name="seq" value="2" checked>' in page


def test_the_county_summary_lists_stations_with_gaps_or_silent(
        seeded: Seeded, reviewer: ConsoleClient, clock: MovableClock) -> None:
    station = _station_with_a_gap(seeded)
    beating = seeded.stations["a"].station
    page = reviewer.get("/console/reconciliation").text
    assert f'id="recon-{station.station}"' in page
    assert f'id="recon-{beating}"' not in page, "a station in order is left out"
    assert f'id="recon-{beating}"' in reviewer.get("/console/reconciliation?all=1").text
    clock.advance(timedelta(days=2))
    assert f'id="recon-{beating}"' not in _fresh(seeded).get(
        "/console/reconciliation").text
    assert f'id="recon-{beating}"' in _fresh(seeded).get(
        "/console/reconciliation?silent=1").text


def _fresh(seeded: Seeded) -> ConsoleClient:
    client = ConsoleClient(seeded.township.url)
    client.login("reviewer", "reviewer-password")
    return client


def test_requesting_a_resend_sends_a_signed_event(seeded: Seeded,
                                                  reviewer: ConsoleClient) -> None:
    station = _station_with_a_gap(seeded)
    answer = reviewer.post(f"/console/reconciliation/{station.station}/resend",
                           {"seq": ["2"], "seqs": "5-6, 9"})
    assert answer.headers["location"] == f"/console/reconciliation/{station.station}?notice=resend"
    events = station.request("GET", "/events").json()["events"]
    [event] = [read_event(canonical_json(e), station.enrolment.signing_key) for e in events]
    assert (event.kind, event.payload) == ("resend", {"seqs": [2, 5, 6, 9]})


@pytest.mark.parametrize("typed", ["", "x", "0", "5-3"])
def test_a_resend_names_valid_sequences(seeded: Seeded, reviewer: ConsoleClient,
                                        typed: str) -> None:
    station = _station_with_a_gap(seeded)
    answer = reviewer.post(f"/console/reconciliation/{station.station}/resend",
                           {"seqs": typed})
    assert answer.headers["location"].endswith("problem=seqs")
    assert station.request("GET", "/events").json()["events"] == []


@pytest.mark.parametrize("text, seqs", [
    ("3", (3,)),
    ("3, 5-7", (3, 5, 6, 7)),
    ("7，3，3", (3, 7)),
    (" 1 - 2 ,", (1, 2)),
    ("", None),
    ("a", None),
    ("0", None),
    ("4-2", None),
    ("1-5000", None),
    ("2147483648", None),
])
def test_sequences_are_read_from_text(text: str, seqs: tuple[int, ...] | None) -> None:
    assert parse_seqs(text) == seqs


def test_the_export_is_a_workbook_with_a_row_per_station(seeded: Seeded,
                                                         reviewer: ConsoleClient) -> None:
    station = _station_with_a_gap(seeded)
    answer = reviewer.get("/console/reconciliation/export.xlsx")
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert answer.headers["content-disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Station", "Station name", "Revoked")
    by_id = {row[0]: row for row in rows[1:]}
    assert len(by_id) == len(rows) - 1 >= 4
    gap = by_id[station.station]
    assert (gap[3], gap[4], gap[5], gap[6], gap[7], gap[8]) == (2, 3, 3, 1, "2", "2")


def test_a_name_that_looks_like_a_formula_stays_text(seeded: Seeded,
                                                     reviewer: ConsoleClient) -> None:
    station = seeded.township.add_station("=HYPERLINK(\"http://x\")").station
    sheet = openpyxl.load_workbook(io.BytesIO(
        reviewer.get("/console/reconciliation/export.xlsx").content)).active
    [row] = [row for row in sheet.iter_rows() if row[0].value == station]
    assert (row[1].value, row[1].data_type) == ("=HYPERLINK(\"http://x\")", "s")
