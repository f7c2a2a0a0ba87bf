"""Fixtures for station tests: a real station on disk, real SQLCipher, cheap Argon2id."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from station import session as sessions
from station.clock import FixedClock
from station.keyfile import KdfParams

# Argon2id parameters far below production so that tests run quickly; one test in
# test_keyfile.py checks the production defaults.
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
PASSWORD = "correct horse 1"
SETUP = sessions.StationSetup(
    code="TEST01",
    name="测试村便民服务站",
    township="测试镇",
    login="wang",
    display_name="王代办",
    password=PASSWORD,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 2, 0, 0))


@pytest.fixture
def station_dir(tmp_path: Path, clock: FixedClock) -> Path:
    data_dir = tmp_path / "station"
    sessions.init_station(data_dir, SETUP, kdf=CHEAP_KDF, clock=clock)
    return data_dir


@pytest.fixture
def session(station_dir: Path, clock: FixedClock):
    with sessions.login(station_dir, SETUP.login, PASSWORD, clock=clock) as opened:
        yield opened


@pytest.fixture(scope="session")
def matter():
    """A small real matter definition, loaded through the forms engine."""
    from forms.definition import load_matter

    return load_matter(Path(__file__).parent / "data" / "TEST-BZ-001.yaml")


COMPLETE_ANSWERS = {
    "applicant_name": "欧阳明珠",
    "applicant_id": "11010519491231002X",
    "has_income": False,
}


@pytest.fixture
def applicant(session):
    from station.applicants import ApplicantInput

    return session.applicants.save(
        ApplicantInput(name="欧阳明珠", id_number="11010519491231002x", phone="13800138000")
    )


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    """Three small files that look like JPEG, PNG and PDF scans."""
    heads = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n"]
    paths = []
    for n, head in enumerate(heads):
        path = tmp_path / f"scan{n}"
        path.write_bytes(head + bytes([n]) * (70_000 + n))
        paths.append(path)
    return paths


@pytest.fixture
def draft(session, matter, applicant):
    """A draft with complete answers and no pages yet."""
    return session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))


@pytest.fixture
def queued(session, matter, draft, scans):
    """The draft, submitted: two ID-card pages, the household register deferred."""
    session.materials.attach_pages(draft.uuid, "id_card", scans[:2])
    session.materials.defer(draft.uuid, "hukou", date(2026, 12, 1))
    return session.cases.submit(draft.uuid, matter)
