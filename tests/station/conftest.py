"""Fixtures for station tests: a real station on disk, real SQLCipher, cheap Argon2id."""

from __future__ import annotations

from datetime import datetime
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
