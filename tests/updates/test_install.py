"""Install beside the running version, switch at the next start, fall back by itself when
a new version exits before its login window: releases from a real township, real
processes started by the real launcher."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from station.launchenv import APPS_ENV, HEALTH_ENV
from station.updates import (
    MANIFEST,
    InstallError,
    Installation,
    Launcher,
    LauncherState,
    run_until_healthy,
)
from sync.engine.updates import Rollout
from tests.updates.conftest import Published, UpdaterFactory

APP = """#!{python}
import os, pathlib, sys, time
import station.launchenv
health = pathlib.Path(os.environ["STATION_HEALTH_FILE"])
with open(health.parent.parent / "runs.log", "a") as log:
    log.write("{version}\\n")
if {behaviour!r} == "hang":
    time.sleep(600)
if {behaviour!r} == "healthy":
    station.launchenv.report_healthy()
sys.exit(0 if {behaviour!r} == "healthy" else 3)
"""


def _app(path: Path, version: str, behaviour: str = "healthy",
         manifest: dict[str, object] | None = None) -> Path:
    """A release archive whose program logs its start, then reaches its login window
    (``healthy``), exits before it (``broken``) or never gets there (``hang``)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(
            manifest or {"version": version, "command": ["bin/run.py"]}))
        program = zipfile.ZipInfo("bin/run.py")
        program.external_attr = 0o755 << 16
        archive.writestr(program, APP.format(python=sys.executable, version=version,
                                             behaviour=behaviour))
    return path


@pytest.fixture
def installation(tmp_path: Path) -> Installation:
    """Version 0.1.0 installed and current, as the installer leaves it."""
    installed = Installation(tmp_path / "apps")
    installed.install(_app(tmp_path / "first.zip", "0.1.0"), "0.1.0")
    installed.save(LauncherState("0.1.0"))
    return installed


def _runs(installation: Installation) -> list[str]:
    log = installation.root / "runs.log"
    return log.read_text().split() if log.exists() else []


def _update(published: Published, updater: UpdaterFactory, installation: Installation,
            version: str, behaviour: str) -> None:
    """The admin publishes; the station checks, downloads, installs; the agent agrees."""
    artifact = _app(published.artifacts / f"{version}.zip", version, behaviour)
    published.repository().add(artifact, Rollout(version))
    state = installation.state()
    station = updater(running=state.current)
    release = station.check(refused=state.refused)
    assert release is not None and release.version == version
    installation.install(station.download(release), version)
    installation.schedule(version)


def test_full_update_switches_at_the_next_start(published: Published,
                                                updater: UpdaterFactory,
                                                installation: Installation) -> None:
    _update(published, updater, installation, "0.2.0", "healthy")
    assert installation.state().current == "0.1.0"
    assert Launcher(installation).launch() == "0.2.0"
    assert installation.state() == LauncherState("0.2.0", previous="0.1.0")
    assert _runs(installation) == ["0.2.0"]
    assert (installation.versions / "0.1.0").is_dir()


def test_broken_release_falls_back_automatically(published: Published,
                                                 updater: UpdaterFactory,
                                                 installation: Installation) -> None:
    _update(published, updater, installation, "0.2.0", "broken")
    assert Launcher(installation).launch() == "0.1.0"
    assert _runs(installation) == ["0.2.0", "0.1.0"]
    assert installation.state() == LauncherState("0.1.0", refused=("0.2.0",))
    assert updater().check(refused=installation.state().refused) is None
    _update(published, updater, installation, "0.3.0", "healthy")
    assert Launcher(installation).launch() == "0.3.0"
    assert installation.state() == LauncherState("0.3.0", previous="0.1.0",
                                                 refused=("0.2.0",))


def test_later_starts_run_the_current_version(installation: Installation) -> None:
    assert Launcher(installation).launch() == "0.1.0"
    assert Launcher(installation).launch() == "0.1.0"
    assert _runs(installation) == ["0.1.0", "0.1.0"]
    assert installation.state() == LauncherState("0.1.0")


def test_the_launcher_tells_the_app_where_it_is_installed(
        installation: Installation) -> None:
    """The app learns its apps directory (so it may install updates there) and its health
    file."""
    seen: dict[str, str] = {}

    def run(_command: list[str], environment: dict[str, str], _health: Path) -> bool:
        seen.update(environment)
        return True

    Launcher(installation, run).launch()
    assert seen[APPS_ENV] == str(installation.root)
    assert seen[HEALTH_ENV] == str(installation.health_file("0.1.0"))


def test_hanging_version_is_stopped_and_counts_as_failed(tmp_path: Path,
                                                         installation: Installation) -> None:
    installation.install(_app(tmp_path / "hang.zip", "0.2.0", "hang"), "0.2.0")
    health = installation.health_file("0.2.0")
    health.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "STATION_HEALTH_FILE": str(health)}
    assert not run_until_healthy(installation.command("0.2.0"), environment, health,
                                 timeout=1.0)
    assert not health.exists()


INSTALL_REFUSALS = [
    ({"version": "0.9.0", "command": ["bin/run.py"]}, "install"),
    ({"version": "0.2.0", "command": []}, "command"),
    ({"version": "0.2.0"}, "command"),
]


@pytest.mark.parametrize(("manifest", "stage"), INSTALL_REFUSALS)
def test_bad_release_is_refused(tmp_path: Path, installation: Installation,
                                manifest: dict[str, object], stage: str) -> None:
    archive = _app(tmp_path / "bad.zip", "0.2.0", manifest=manifest)
    with pytest.raises(InstallError):
        installation.install(archive, "0.2.0")
        installation.command("0.2.0")
    assert (installation.versions / "0.2.0").exists() is (stage == "command")
    assert [path.name for path in installation.versions.iterdir()
            if path.name.startswith(".")] == []


def test_damaged_archive_is_refused(tmp_path: Path, installation: Installation) -> None:
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(InstallError):
        installation.install(tmp_path / "bad.zip", "0.2.0")


@pytest.mark.parametrize("version", ["0.2.0", "0.9.0"])
def test_refused_or_missing_version_cannot_be_scheduled(tmp_path: Path,
                                                        installation: Installation,
                                                        version: str) -> None:
    installation.install(_app(tmp_path / "app.zip", "0.2.0"), "0.2.0")
    installation.save(LauncherState("0.1.0", refused=("0.2.0",)))
    with pytest.raises(InstallError):
        installation.schedule(version)
    assert installation.state().pending is None
