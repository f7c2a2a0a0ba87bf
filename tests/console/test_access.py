"""Every console page and action, tried as anonymous, reviewer and admin: anonymous
visitors are sent to the login page, reviewers are kept out of admin pages, and everyone
allowed gets the page or the action's redirect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from sync.township.models import Case, Station
from tests.console.seed import PDF, ConsoleClient, Seeded

LOGIN = "login"  # 303 to the login page


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # formatted with the seeded ids
    anonymous: int | str
    reviewer: int | str
    admin: int | str
    data: dict[str, str] = field(default_factory=dict)
    upload: str | None = None  # name of a file field sent with the form


MATRIX = (
    Row("GET", "/console/", LOGIN, 303, 303),
    Row("GET", "/console/login", 200, 303, 303),
    Row("GET", "/console/cases", LOGIN, 200, 200),
    Row("GET", "/console/cases?station={a}&matter=SJ-DBSQ-001&state=received&from=2020-01-01"
               "&to=2099-12-31&overdue=1", LOGIN, 200, 200),
    Row("GET", "/console/cases/{received}", LOGIN, 200, 200),
    Row("GET", "/console/cases/{received}/pages/{page}", LOGIN, 200, 200),
    Row("GET", "/console/cases/{completed}/files/{file}", LOGIN, 200, 200),
    Row("GET", "/console/reconciliation", LOGIN, 200, 200),
    Row("GET", "/console/reconciliation/export.xlsx", LOGIN, 200, 200),
    Row("GET", "/console/reconciliation/{a}", LOGIN, 200, 200),
    Row("GET", "/console/bundles", LOGIN, 200, 200),
    Row("GET", "/console/bundles/return/{a}", LOGIN, 200, 200),
    Row("GET", "/console/stations", LOGIN, 403, 200),
    Row("GET", "/console/catalogs", LOGIN, 200, 200),
    Row("GET", "/console/catalogs?published=1", LOGIN, 200, 200),
    Row("GET", "/console/audit", LOGIN, 403, 200),
    Row("GET", "/console/static/console.css", 200, 200, 200),
    Row("POST", "/console/logout", LOGIN, 303, 303),
    Row("POST", "/console/cases/{received}/accept", LOGIN, 303, 303),
    Row("POST", "/console/cases/{returnable}/return", LOGIN, 303, 303,
        {"reason": "材料不全", "missing": "id_card", "reason_id_card": "复印件不清晰"}),
    Row("POST", "/console/cases/{refusable}/refuse", LOGIN, 303, 303, {"reason": "不符合条件"}),
    Row("POST", "/console/cases/{accepted}/complete", LOGIN, 303, 303,
        {"approved": "yes", "result_text": "准予"}, upload="result_file"),
    Row("POST", "/console/reconciliation/{a}/resend", LOGIN, 303, 303, {"seqs": "1"}),
    Row("POST", "/console/bundles/import", LOGIN, 422, 422, upload="bundle"),
    Row("POST", "/console/catalogs", LOGIN, 403, 422, upload="catalog"),
    Row("POST", "/console/stations", LOGIN, 403, 200, {"name": "新村便民服务站"}),
    Row("POST", "/console/stations/{silent}/code", LOGIN, 403, 200),
    Row("POST", "/console/stations/{silent}/revoke", LOGIN, 403, 303, {"confirm": "yes"}),
)


def _ids(seeded: Seeded) -> dict[str, Any]:
    silent = Station.get(Station.name == "河口村便民服务站").id
    page = seeded.service.overview.case(
        seeded.stations["a"].station,
        _uuid(seeded.cases["received"]),
    ).content["materials"][0]["pages"][0]["uuid"]
    return {**seeded.cases, "a": seeded.stations["a"].station, "silent": silent, "page": page,
            "file": seeded.result_file}


def _uuid(case_id: int) -> str:
    return Case.get_by_id(case_id).case_uuid


def _send(client: ConsoleClient, row: Row, path: str) -> Any:
    if row.method == "GET":
        return client.get(path)
    files = {row.upload: ("file.pdf", PDF, "application/pdf")} if row.upload else None
    return client.post(path, row.data, files=files)


@pytest.mark.parametrize("role", ["anonymous", "reviewer", "admin"])
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method} {row.path}")
def test_access(seeded: Seeded, browser: Callable[[str | None], ConsoleClient], row: Row,
                role: str) -> None:
    client = browser(None if role == "anonymous" else role)
    answer = _send(client, row, row.path.format(**_ids(seeded)))
    expected = getattr(row, role)
    if expected == LOGIN:
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/login")
    else:
        assert answer.status_code == expected, answer.text[:500]


@pytest.mark.parametrize("row", [row for row in MATRIX if row.method == "POST"],
                         ids=lambda row: row.path)
@pytest.mark.parametrize("csrf", ["", "forged-token"])
def test_a_form_without_the_sessions_csrf_token_is_refused(
        seeded: Seeded, browser: Callable[[str | None], ConsoleClient], row: Row,
        csrf: str) -> None:
    client = browser("admin")
    answer = client.post(row.path.format(**_ids(seeded)), row.data, csrf=csrf)
    assert answer.status_code == 403
    assert client.get("/console/cases").status_code == 200, "the session still works"


def test_every_answer_is_kept_out_of_caches_and_frames(seeded: Seeded,
                                                       reviewer: ConsoleClient) -> None:
    answer = reviewer.get(f"/console/cases/{seeded.cases['received']}")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src" not in answer.headers["content-security-policy"]
    assert "default-src 'none'" in answer.headers["content-security-policy"]
