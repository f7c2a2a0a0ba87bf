"""A station finds, downloads and verifies a release from a real township: the newest it
is eligible for, with progress, its trusted root pinned after the first check."""

from __future__ import annotations

import pytest
import requests

from sync.engine.updates import Rollout, station_bucket
from tests.updates.conftest import STATION, Published, UpdaterFactory


def test_full_update_downloads_and_verifies(published: Published,
                                            updater: UpdaterFactory) -> None:
    content = published.release("0.2.0", size=300_000)
    station = updater()
    release = station.check()
    assert release is not None and (release.version, release.length) == ("0.2.0", 300_000)
    reports: list[tuple[int, int]] = []
    path = station.download(release, lambda done, total: reports.append((done, total)))
    assert path.read_bytes() == content
    assert path.parent == station.config.staging_dir / "0.2.0"
    assert reports[-1] == (300_000, 300_000)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert updater(running="0.2.0").check() is None


def test_root_is_pinned_after_the_first_check(published: Published,
                                              updater: UpdaterFactory) -> None:
    station = updater()
    assert station.check() is None
    pinned = station.config.metadata_dir / "root.json"
    assert pinned.read_bytes() == published.root


def test_newest_eligible_release_wins(published: Published, updater: UpdaterFactory) -> None:
    published.release("0.2.0")
    published.release("0.10.0")
    published.release("0.11.0", stations=("another-station",), percent=0)
    release = updater().check()
    assert release is not None and release.version == "0.10.0"


def _station_in_bucket(wanted: range) -> str:
    return next(f"station-{n}" for n in range(10_000)
                if station_bucket(f"station-{n}") in wanted)


ROLLOUTS = [
    ({"stations": (STATION,), "percent": 0}, STATION, True),
    ({"stations": ("another",), "percent": 0}, STATION, False),
    ({"percent": 30}, _station_in_bucket(range(0, 30)), True),
    ({"percent": 30}, _station_in_bucket(range(30, 100)), False),
    ({"percent": 0}, _station_in_bucket(range(0, 1)), False),
    ({}, _station_in_bucket(range(99, 100)), True),
]


@pytest.mark.parametrize(("rollout", "station", "offered"), ROLLOUTS)
def test_staged_rollout(published: Published, updater: UpdaterFactory,
                        rollout: dict[str, object], station: str, offered: bool) -> None:
    published.release("0.2.0", **rollout)
    assert (updater(station=station).check() is not None) is offered


def test_release_metadata_carries_the_rollout(published: Published) -> None:
    published.release("0.2.0", stations=("b", "a"), percent=5)
    assert published.repository().releases() == [Rollout("0.2.0", ("b", "a"), 5)]


SERVED = [
    ("/tuf/metadata/1.root.json", 200),
    ("/tuf/metadata/timestamp.json", 200),
    ("/tuf/metadata/", 404),
    ("/tuf/metadata/%2e%2e/metadata/1.root.json", 404),
    ("/tuf/township.keys", 404),
    ("/tuf/metadata/timestamp.json.tmp", 404),
]


@pytest.mark.parametrize(("path", "status"), SERVED)
def test_repository_is_served_read_only(published: Published, path: str,
                                        status: int) -> None:
    (published.metadata / "timestamp.json.tmp").write_bytes(b"{}")
    answer = requests.get(published.township.url + path, timeout=10)
    assert answer.status_code == status
    if status == 200:
        assert answer.content == (published.directory / path.removeprefix("/tuf/")).read_bytes()
    assert requests.post(published.township.url + path, timeout=10).status_code == 405
