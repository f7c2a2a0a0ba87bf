"""An admin publishes a catalog change and an app release; a real station picks both up in
an ordinary sync round, unattended: the catalog installed, the release verified through TUF
and unpacked beside the running version. The agent's yes makes the launcher start it at
the next launch; a release that never reaches its login window is refused and the previous
version starts again by itself. Real township on 127.0.0.1, real SQLCipher store, real
processes started by the launcher."""

from __future__ import annotations

import json
import stat
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner

from station import catalogs
from station.appupdates import UpdateNews, ready_version
from station.syncside import engine_for
from station.updates import Installation, Launcher, LauncherState
from station.updatestep import AppUpdateStep
from sync.engine import RoundStatus
from sync.engine.updates import Rollout
from sync.errors import MalformedError, SignatureError
from sync.messages import UpdateRoot, make_update_root, read_update_root
from sync.township.updates.keys import online_signers
from sync.township.updates.repository import ReleaseRepository
from sync.township.updates.serving import repository_dir
from tests.sync.conftest import CONFIG
from tests.sync.test_catalog_releases import installed, publish

RUNNING = "1.0.0"
GOOD = "import os, pathlib; pathlib.Path(os.environ['STATION_HEALTH_FILE']).write_text('ok')"
BROKEN = "raise SystemExit(3)"  # dies before its login window


def release_zip(folder: Path, version: str, script: str) -> Path:
    """A release as `make dist` shapes it: app.json naming the version and the start
    command (an executable in the release), and the app itself."""
    archive = folder / f"village-station-{version}.zip"
    start = f'#!/bin/sh\nexec "{sys.executable}" "$(dirname "$0")/app.py"\n'
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.json", json.dumps({"version": version, "command": ["start"]}))
        zipped.writestr("app.py", script)
        executable = zipfile.ZipInfo("start")
        executable.external_attr = (stat.S_IFREG | 0o755) << 16
        zipped.writestr(executable, start)
    return archive


@pytest.fixture
def repository(township) -> ReleaseRepository:  # noqa: ANN001
    """The township's update repository, set up as `township release init-root` does."""
    found = ReleaseRepository(repository_dir(township.data_dir),
                              online_signers(township.service.keys))
    found.init_root([CryptoSigner.generate_ed25519()], 1)
    return found


@pytest.fixture
def apps(tmp_path: Path) -> Installation:
    """The station's apps directory with the running version installed and current."""
    installation = Installation(tmp_path / "apps")
    installation.install(release_zip(tmp_path, RUNNING, GOOD), RUNNING)
    installation.save(LauncherState(RUNNING))
    return installation


@pytest.fixture
def news() -> list[UpdateNews]:
    return []


def sync_once(session, apps: Installation, news: list[UpdateNews]) -> RoundStatus:  # noqa: ANN001
    step = AppUpdateStep(apps, session.paths.root / "updates", RUNNING, news.append)
    engine = engine_for(session, CONFIG, after=[step])
    try:
        return engine.run_round().status
    finally:
        engine.close()


def test_a_catalog_change_and_an_app_release_arrive_unattended(
        enrolled, township, repository, apps, news, tmp_path) -> None:
    publish(township, 2)
    archive = release_zip(tmp_path, "1.1.0", GOOD)
    repository.add(archive, Rollout("1.1.0"))
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    assert installed(enrolled) == (2, 1)
    assert (apps.versions / "1.1.0" / "app.json").exists()
    downloads = [n for n in news if n.downloading == "1.1.0"]
    assert downloads and downloads[-1].done == downloads[-1].total == archive.stat().st_size
    assert news[-1] == UpdateNews(ready="1.1.0")
    assert not any((enrolled.paths.root / "updates" / "staging").rglob("*.zip"))
    apps.schedule("1.1.0")  # the agent said yes
    assert ready_version(apps, RUNNING) is None
    assert Launcher(apps).launch() == "1.1.0"
    assert apps.state() == LauncherState("1.1.0", previous=RUNNING)


def test_a_release_that_never_reaches_its_login_window_falls_back(
        enrolled, township, repository, apps, news, tmp_path) -> None:
    repository.add(release_zip(tmp_path, "1.1.0", BROKEN), Rollout("1.1.0"))
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    apps.schedule("1.1.0")
    assert Launcher(apps).launch() == RUNNING
    state = apps.state()
    assert (state.current, state.trial, state.refused) == (RUNNING, False, ("1.1.0",))
    news.clear()
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    assert news == [UpdateNews()]  # refused for good: not offered, not downloaded again
    assert ready_version(apps, RUNNING) is None


def test_a_tampered_release_is_refused_and_sync_goes_on(
        enrolled, township, repository, apps, news, tmp_path) -> None:
    repository.add(release_zip(tmp_path, "1.1.0", GOOD), Rollout("1.1.0"))
    [stored] = (repository.targets_dir / "village-station" / "1.1.0").iterdir()
    data = bytearray(stored.read_bytes())
    data[-1] ^= 1
    stored.write_bytes(bytes(data))
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    assert news[-1].problem and "does not match its signature" in news[-1].problem
    assert not (apps.versions / "1.1.0").exists()


def test_a_township_without_updates_is_no_problem(enrolled, township, apps, news) -> None:
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    assert news == []
    assert not (enrolled.paths.root / "updates" / "metadata" / "root.json").exists()


def test_the_trust_root_is_pinned_once_and_kept(
        enrolled, township, repository, apps, news, tmp_path) -> None:
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    pinned = enrolled.paths.root / "updates" / "metadata" / "root.json"
    first = pinned.read_bytes()
    assert json.loads(first)["signed"]["_type"] == "root"
    # A root swapped at the township later is not trusted: the station keeps its own.
    (repository.metadata_dir / "root.json").write_bytes(b"{}")
    repository.add(release_zip(tmp_path, "1.1.0", GOOD), Rollout("1.1.0"))
    assert sync_once(enrolled, apps, news) is RoundStatus.OK
    assert pinned.read_bytes() == first and news[-1] == UpdateNews(ready="1.1.0")


def test_an_update_root_is_read_only_when_the_township_signed_it() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    document = make_update_root(UpdateRoot("station-a", b'{"signed": {}}'), key)
    assert read_update_root(document, key.public_key()).root == b'{"signed": {}}'
    with pytest.raises(SignatureError):
        read_update_root(document, other.public_key())
    flipped = document.replace(b'"station-a"', b'"station-b"')
    with pytest.raises(SignatureError):
        read_update_root(flipped, key.public_key())
    with pytest.raises(MalformedError):
        read_update_root(document[:-2], key.public_key())
