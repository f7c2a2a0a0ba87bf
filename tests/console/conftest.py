"""Fixtures of the console suite: a seeded township served for a module, browsers signed in
as each role, the township's clock, and the storage backends of the township suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from tests.console.seed import ADMIN, REVIEWER, ConsoleClient, Seeded, seeded_console
from tests.township.conftest import database, postgres, postgres_database, service  # noqa: F401
from tests.township.server import MovableClock

ROLES = {"reviewer": REVIEWER, "admin": ADMIN}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A township with users, stations and cases, served for one test module."""
    with seeded_console(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture
def clock(seeded: Seeded) -> Iterator[MovableClock]:
    """The served township's clock, set back after the test."""
    moving = seeded.service.context.clock
    assert isinstance(moving, MovableClock)
    yield moving
    moving.offset = timedelta(0)


@pytest.fixture
def browser(seeded: Seeded) -> Callable[[str | None], ConsoleClient]:
    """A new browser, signed in as ``role`` (``reviewer``, ``admin``) or anonymous (None)."""

    def open_as(role: str | None) -> ConsoleClient:
        client = ConsoleClient(seeded.township.url)
        if role is not None:
            assert client.login(*ROLES[role]).status_code == 303
        return client

    return open_as


@pytest.fixture
def reviewer(browser: Callable[[str | None], ConsoleClient]) -> ConsoleClient:
    return browser("reviewer")


@pytest.fixture
def admin(browser: Callable[[str | None], ConsoleClient]) -> ConsoleClient:
    return browser("admin")
