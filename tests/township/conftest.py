"""Fixtures of the township suite; other suites may use them (``pytest_plugins`` or
import) or the plain helpers in :mod:`tests.township.server`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sync.township.service import Township
from tests.township.client import StationClient
from tests.township.postgres import PostgresServer, start_postgres
from tests.township.server import MovableClock, RunningTownship, create_township, running_township


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTownship]:
    """A township served on 127.0.0.1 (SQLite in a temp dir) for a test module; tests
    keep apart by using stations of their own."""
    with running_township(tmp_path_factory.mktemp("township"), clock=MovableClock()) as running:
        yield running


@pytest.fixture
def clock(township: RunningTownship) -> Iterator[MovableClock]:
    """The served township's clock, set back after the test."""
    moving = township.service.context.clock
    assert isinstance(moving, MovableClock)
    yield moving
    moving.offset = timedelta(0)


@pytest.fixture
def station(township: RunningTownship) -> StationClient:
    """A new station enrolled with ``township`` over HTTP."""
    return StationClient.enrol(township.api, township.add_station("Village A").code)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL for this test process; fails (never skips) without it."""
    try:
        server = start_postgres()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_database(postgres: PostgresServer) -> str:
    """One PostgreSQL database for this test process, emptied before each test."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """Each storage backend: None is the default SQLite file, else the PostgreSQL test
    database with every table emptied."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.emptied(request.getfixturevalue("postgres_database"))


@pytest.fixture
def service(tmp_path: Path, database: str | None) -> Iterator[Township]:
    """A township (not served) on each storage backend, on a MovableClock."""
    township = create_township(tmp_path / "township", database=database, clock=MovableClock())
    try:
        yield township
    finally:
        township.close()
