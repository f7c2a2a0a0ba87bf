"""Fixtures of the app-update suite: a real township served on 127.0.0.1 whose data
directory holds a fresh TUF repository for each test, and station updaters against it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner

from sync.engine.updates import AppUpdater, Rollout, UpdateConfig
from sync.township.config import Clock, utc_now
from sync.township.updates.keys import online_signers
from sync.township.updates.repository import ReleaseRepository
from sync.township.updates.serving import repository_dir
from tests.township.server import RunningTownship, running_township

STATION = "station-a"
RUNNING = "0.1.0"


@dataclass
class Published:
    """A township's update repository and the root.json a station ships with."""

    township: RunningTownship
    root: bytes
    artifacts: Path

    def repository(self, clock: Clock = utc_now) -> ReleaseRepository:
        """The repository as ``township release`` opens it (optionally on another clock)."""
        return ReleaseRepository(self.directory, self.online, clock=clock)

    @property
    def online(self) -> dict[str, CryptoSigner]:
        """The township's online signers (targets, snapshot, timestamp)."""
        return online_signers(self.township.service.keys)

    @property
    def directory(self) -> Path:
        return repository_dir(self.township.data_dir)

    @property
    def metadata(self) -> Path:
        return self.directory / "metadata"

    def release(self, version: str, size: int = 50_000, **rollout: object) -> bytes:
        """Publish an artifact of ``size`` bytes as ``version``; its content."""
        content = (version.encode() * size)[:size]
        artifact = self.artifacts / f"village-station-{version}.zip"
        artifact.write_bytes(content)
        self.repository().add(artifact, Rollout(version, **rollout))  # type: ignore[arg-type]
        return content

    def stored_target(self, version: str) -> Path:
        """The file the township serves for release ``version``."""
        (found,) = (self.directory / "targets" / "village-station" / version).iterdir()
        return found


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTownship]:
    with running_township(tmp_path_factory.mktemp("township")) as running:
        yield running


@pytest.fixture
def published(township: RunningTownship, tmp_path: Path) -> Published:
    """A new repository (one offline root key) in the served township's data directory."""
    shutil.rmtree(repository_dir(township.data_dir), ignore_errors=True)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    placeholder = Published(township, b"", artifacts)
    root = placeholder.repository().init_root([CryptoSigner.generate_ed25519()], 1)
    return Published(township, root, artifacts)


UpdaterFactory = Callable[..., AppUpdater]


@pytest.fixture
def updater(published: Published, tmp_path: Path) -> UpdaterFactory:
    """A station's updater; every call is a new check by the same station (same metadata
    directory, so what it trusted before stays trusted)."""

    def make(station: str = STATION, running: str = RUNNING) -> AppUpdater:
        config = UpdateConfig(published.township.url + "/tuf", tmp_path / station / "tuf",
                              tmp_path / station / "staging")
        return AppUpdater(config, station, running, published.root)

    return make
