"""The PyInstaller bundle (packaging/station.spec) starts under Xvfb, offline, and carries
everything it needs: the printing font, the locale catalogs, the bundled catalog, the icon,
and its launcher, which installs the release zip and starts the installed app.

The bundle is built once per run (a few minutes); every test here uses the same build.
"""

from __future__ import annotations

import configparser
import filecmp
import json
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

import station
from assets import ROOT as ASSETS
from station.printing.fonts import find_font
from station.updates import LAUNCH_SCRIPT, MANIFEST, Installation, LauncherState
from tests.dist.conftest import PROJECT
from tests.ui.conftest import SCREENSHOTS

pytestmark = pytest.mark.slow

PASSWORD = "bundle-Pass-2024"
# A guard against a hung app only (the test fails instead of hanging CI); not a speed check.
START_GUARD_SECONDS = 120
DESKTOP_FILE = PROJECT / "packaging" / "village-station.desktop"


def _internal(bundle: Path) -> Path:
    return bundle / "_internal"


def _offline_prefix() -> list[str]:
    """``unshare -rn`` (a network namespace with no interface up) where the kernel allows
    unprivileged namespaces; elsewhere the proxies set by _clean_env() still point nowhere."""
    allowed = subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
    return ["unshare", "-rn"] if allowed else []


def _clean_env(home: Path, display: str) -> dict[str, str]:
    """A fresh home and temp folder, and proxies that lead nowhere (port 9 refuses)."""
    dead = "http://127.0.0.1:9"
    env = {"PATH": os.environ["PATH"], "DISPLAY": display, "HOME": str(home / "home"),
           "TMPDIR": str(home / "tmp"), "XDG_CACHE_HOME": str(home / "home" / ".cache"),
           "XDG_CONFIG_HOME": str(home / "home" / ".config"),
           "XDG_DATA_HOME": str(home / "home" / ".local" / "share"),
           "http_proxy": dead, "https_proxy": dead, "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
           "all_proxy": dead, "no_proxy": "", "LANG": "C.UTF-8"}
    for folder in ("home", "tmp"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    return env


def _files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def _station(bundle: Path, env: dict[str, str], *args: str,
             program: str = "station") -> subprocess.CompletedProcess:
    return subprocess.run([*_offline_prefix(), str(bundle / program), *args], env=env,
                          capture_output=True, text=True)


def _init(bundle: Path, env: dict[str, str], data_dir: Path) -> None:
    done = _station(bundle, {**env, "STATION_NEW_PASSWORD": PASSWORD}, "--data-dir",
                    str(data_dir), "init", "--code", "VS0001", "--name", "Bundle Station",
                    "--township", "Test Township", "--login", "agent",
                    "--display-name", "Agent")
    assert done.returncode == 0, done.stderr


@contextmanager
def _running_app(bundle: Path, env: dict[str, str], data_dir: Path) -> Iterator[str]:
    """Run ``station app``; yield the name of its first screen once it is drawn."""
    with _running([str(bundle / "station"), "--data-dir", str(data_dir), "app"],
                  env) as screen:
        yield screen


@contextmanager
def _running(command: list[str], env: dict[str, str]) -> Iterator[str]:
    """Run ``command`` (the app, or a launcher that starts it) in its own process group;
    yield the name of the app's first screen once it is drawn, then stop the group."""
    ready = Path(env["TMPDIR"]).parent / "ready"
    app = subprocess.Popen([*_offline_prefix(), *command],
                           env={**env, "STATION_READY_FILE": str(ready)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    try:
        _wait_for(ready, app)
        yield ready.read_text(encoding="utf-8")
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.communicate()


def _wait_for(ready: Path, app: subprocess.Popen) -> None:
    guard = time.monotonic() + START_GUARD_SECONDS
    while not ready.exists():
        assert app.poll() is None, f"the app stopped: {app.communicate()[1][-2000:]}"
        assert time.monotonic() < guard, "the app never showed its first screen"
        time.sleep(0.2)


def _screenshot(display: str, name: str) -> Path:
    """Save the window (at the screen's top left) once it is drawn: the ready file comes
    before the X server has answered every expose, so a blank window is waited out."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    guard = time.monotonic() + START_GUARD_SECONDS
    while _colours(shot := ImageGrab.grab(xdisplay=display).crop((0, 0, 1200, 760))) < 50:
        assert time.monotonic() < guard, "the window stayed blank"
        time.sleep(0.2)
    path = SCREENSHOTS / f"{name}.png"
    shot.save(path)
    return path


def _colours(image: Image.Image) -> int:
    return len(image.getcolors(maxcolors=image.width * image.height))


def test_first_start_shows_the_first_run_wizard_offline(bundle, display, tmp_path):
    env = _clean_env(tmp_path, display)
    bundle_before = _files_under(bundle)
    with _running_app(bundle, env, tmp_path / "station") as screen:
        _screenshot(display, "bundle-first-run")
    assert screen == "FirstRunView"
    assert _files_under(tmp_path / "home") == set()
    assert _files_under(tmp_path / "tmp") == set()
    assert _files_under(bundle) == bundle_before


def test_a_station_made_by_the_bundle_opens_at_the_login_window(bundle, display, tmp_path):
    env = _clean_env(tmp_path, display)
    data_dir = tmp_path / "station"
    _init(bundle, env, data_dir)
    info = _station(bundle, {**env, "STATION_PASSWORD": PASSWORD}, "--data-dir",
                    str(data_dir), "info")
    assert info.returncode == 0, info.stderr
    assert "VS0001" in info.stdout
    with _running_app(bundle, env, data_dir) as screen:
        _screenshot(display, "bundle-login")
    assert screen == "LoginView"
    assert _files_under(tmp_path / "home") == set()


@pytest.mark.parametrize("inside, source", [
    ("assets/locale/zh_CN/LC_MESSAGES/station.mo",
     ASSETS / "locale/zh_CN/LC_MESSAGES/station.mo"),
    ("assets/catalog/catalog.yaml", ASSETS / "catalog/catalog.yaml"),
    ("assets/catalog/matters/TY-LNBZ-001.yaml", ASSETS / "catalog/matters/TY-LNBZ-001.yaml"),
    ("assets/icons/station.png", ASSETS / "icons/station.png"),
    ("assets/fonts/OFL.txt", PROJECT / "packaging/fonts/OFL.txt"),
    ("station/migrations/0001_initial.sql", PROJECT / "station/migrations/0001_initial.sql"),
    ("forms/data/matter.schema.json", PROJECT / "forms/data/matter.schema.json"),
    ("forms/data/regions.csv", PROJECT / "forms/data/regions.csv"),
])
def test_the_bundle_carries_its_data(bundle, inside, source):
    assert filecmp.cmp(_internal(bundle) / inside, source, shallow=False)


def test_the_printing_font_is_where_the_frozen_app_looks(bundle):
    """Frozen, ``assets.ROOT`` is ``_internal/assets``: station.printing finds the font there."""
    fonts = _internal(bundle) / "assets" / "fonts"
    found = find_font([fonts])
    assert found.path.parent == fonts
    assert filecmp.cmp(found.path, find_font().path, shallow=False)


def test_the_bundle_carries_its_launcher_and_manifest(bundle):
    assert os.access(bundle / "station-launcher", os.X_OK)
    assert json.loads((bundle / MANIFEST).read_text("utf-8")) == {
        "version": station.__version__, "command": ["station", "app"]}


def test_the_release_zip_holds_the_bundle_with_its_executable_bits(bundle, release):
    assert release.name == f"village-station-{station.__version__}.zip"
    with zipfile.ZipFile(release) as zipped:
        entries = {info.filename: info.external_attr >> 16 for info in zipped.infolist()}
    files = {str(path.relative_to(bundle)) for path in bundle.rglob("*") if path.is_file()}
    executable = {name for name, mode in entries.items() if mode & 0o111}
    assert set(entries) == files
    assert executable == {name for name in files if os.access(bundle / name, os.X_OK)}
    assert {"station", "station-launcher"} <= executable


def test_installed_from_the_release_zip_the_launcher_opens_the_login_window(
        bundle, release, display, tmp_path):
    env = _clean_env(tmp_path, display)
    apps = tmp_path / "apps"
    done = _station(bundle, env, "install", str(apps), "--from", str(release),
                    program="station-launcher")
    assert done.returncode == 0, done.stderr
    assert Installation(apps).state() == LauncherState(station.__version__)
    data_dir = tmp_path / "station"
    _init(apps / "versions" / station.__version__, env, data_dir)
    launch = apps / Path(_desktop_entry()["Exec"]).name
    with _running([str(launch)], {**env, "STATION_DATA_DIR": str(data_dir)}) as screen:
        assert screen == "LoginView"
        # The login window told the launcher this version is healthy.
        assert Installation(apps).health_file(station.__version__).exists()


@pytest.mark.parametrize("key, value", [
    ("Type", "Application"),
    ("Name[zh_CN]", "村便民服务站"),
    ("Categories", "Office;"),
    ("Terminal", "false"),
    ("Exec", f"/opt/village-station/{LAUNCH_SCRIPT}"),
    ("Icon", "village-station"),
])
def test_the_desktop_entry_says(key, value):
    assert _desktop_entry()[key] == value


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]
