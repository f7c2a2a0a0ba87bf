"""The first installation (``station-launcher install APPS_DIR --from RELEASE``) from the
release zip that ``packaging/release_zip.py`` writes, or from the bundle folder, and the
launch that follows through the ``launch`` script: real files, real processes, a small
stand-in bundle whose programs are Python scripts (no PyInstaller)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.updates import (
    LAUNCH_SCRIPT,
    LAUNCHER,
    MANIFEST,
    STATE_FILE,
    InstallError,
    Installation,
    LauncherState,
    install_first,
)

PROJECT = Path(__file__).resolve().parents[2]
RELEASE_ZIP = PROJECT / "packaging" / "release_zip.py"

APP = """#!{python}
import os, pathlib, sys
import station.launchenv
health = pathlib.Path(os.environ["STATION_HEALTH_FILE"])
with open(health.parent.parent / "runs.log", "a") as log:
    log.write("{version} " + " ".join(sys.argv[1:]) + "\\n")
station.launchenv.report_healthy()
"""
LAUNCHER_SCRIPT = """#!{python}
import sys
from station.updates import main
sys.exit(main())
"""
# (path in the bundle, executable?)
BUNDLE_FILES = [("station", True), (LAUNCHER, True), ("_internal/assets/data.txt", False)]


def _bundle(folder: Path, version: str, with_launcher: bool = True) -> Path:
    """A stand-in for dist/station as the spec leaves it: the app, the launcher, a data
    file and ``app.json``."""
    programs = {"station": APP.format(python=sys.executable, version=version),
                LAUNCHER: LAUNCHER_SCRIPT.format(python=sys.executable),
                "_internal/assets/data.txt": "data\n"}
    for name, executable in BUNDLE_FILES:
        if name == LAUNCHER and not with_launcher:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(programs[name], "utf-8")
        path.chmod(0o755 if executable else 0o644)
    (folder / MANIFEST).write_text(json.dumps({"version": version,
                                               "command": ["station", "app"]}), "utf-8")
    return folder


def _release_zip(bundle: Path, out_dir: Path, version: str) -> Path:
    """The release zip, written as ``make dist`` writes it."""
    done = subprocess.run([sys.executable, str(RELEASE_ZIP), str(bundle), str(out_dir),
                           "--version", version], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def _release(tmp_path: Path, version: str, kind: str = "zip") -> Path:
    """A release zip, or the bundle folder with its ``app.json`` as the spec leaves it."""
    bundle = _bundle(tmp_path / f"bundle-{version}" / "station", version)
    (tmp_path / "out").mkdir(exist_ok=True)
    return bundle if kind == "folder" else _release_zip(bundle, tmp_path / "out", version)


def _launcher(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "station.updates", *args],
                          capture_output=True, text=True)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_release_zip_names_its_version_and_start_command(tmp_path: Path) -> None:
    archive = _release(tmp_path, "1.4.0")
    assert archive == tmp_path / "out" / "village-station-1.4.0.zip"
    with zipfile.ZipFile(archive) as zipped:
        assert json.loads(zipped.read(MANIFEST)) == {"version": "1.4.0",
                                                     "command": ["station", "app"]}
        assert sorted(zipped.namelist()) == sorted([MANIFEST, *dict(BUNDLE_FILES)])


@pytest.mark.parametrize(("name", "executable"), BUNDLE_FILES)
def test_release_zip_keeps_the_executable_bits(tmp_path: Path, name: str,
                                               executable: bool) -> None:
    with zipfile.ZipFile(_release(tmp_path, "1.4.0")) as zipped:
        mode = zipped.getinfo(name).external_attr >> 16
    assert bool(mode & 0o111) is executable


def test_release_zip_needs_the_app_program(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(RELEASE_ZIP), str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["zip", "folder"])
def test_install_then_launch_through_the_launch_script(tmp_path: Path, kind: str) -> None:
    apps = tmp_path / "apps"
    done = _launcher("install", str(apps), "--from", str(_release(tmp_path, "1.4.0", kind)))
    assert done.returncode == 0, done.stderr
    assert "1.4.0" in done.stdout
    assert Installation(apps).state() == LauncherState("1.4.0")
    launched = subprocess.run([str(apps / LAUNCH_SCRIPT)], capture_output=True, text=True)
    assert launched.returncode == 0, launched.stderr
    assert (apps / "runs.log").read_text() == "1.4.0 app\n"


@pytest.mark.parametrize("kind", ["zip", "folder"])
@pytest.mark.parametrize(("name", "executable"), BUNDLE_FILES)
def test_installed_files_keep_their_executable_bits(tmp_path: Path, kind: str, name: str,
                                                    executable: bool) -> None:
    install_first(tmp_path / "apps", _release(tmp_path, "1.4.0", kind))
    installed = tmp_path / "apps" / "versions" / "1.4.0" / name
    assert os.access(installed, os.X_OK) is executable


def test_the_launcher_command_still_launches(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    install_first(apps, _release(tmp_path, "1.4.0"))
    done = _launcher(str(apps))
    assert done.returncode == 0, done.stderr
    assert (apps / "runs.log").read_text() == "1.4.0 app\n"


def test_installing_the_same_version_again_keeps_the_state(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    release = _release(tmp_path, "1.4.0")
    install_first(apps, release)
    Installation(apps).save(LauncherState("1.4.0", refused=("1.5.0",)))
    done = _launcher("install", str(apps), "--from", str(release))
    assert done.returncode == 0, done.stderr
    assert Installation(apps).state() == LauncherState("1.4.0", refused=("1.5.0",))


def test_another_current_version_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    install_first(apps, _release(tmp_path, "1.4.0"))
    before = _tree(apps)
    done = _launcher("install", str(apps), "--from", str(_release(tmp_path, "1.5.0")))
    assert done.returncode == 1
    assert "1.4.0" in done.stderr
    assert _tree(apps) == before


def _zip_with(path: Path, manifest: object, names: tuple[str, ...] = (LAUNCHER,)) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr(MANIFEST, json.dumps(manifest))
        for name in names:
            zipped.writestr(name, "#!/bin/sh\n")
    return path


BAD_RELEASES = [
    pytest.param({"version": "1.4.0", "command": ["station"]}, (), id="no-launcher"),
    pytest.param({"version": "1.4.0", "command": []}, (LAUNCHER,), id="empty-command"),
    pytest.param({"version": "1.4.0"}, (LAUNCHER,), id="no-command"),
    pytest.param({"command": ["station"]}, (LAUNCHER,), id="no-version"),
    pytest.param({"version": "../x", "command": ["station"]}, (LAUNCHER,), id="traversal"),
    pytest.param(["1.4.0"], (LAUNCHER,), id="not-an-object"),
]


@pytest.mark.parametrize(("manifest", "names"), BAD_RELEASES)
def test_bad_release_is_refused_before_anything_is_written(tmp_path: Path, manifest: object,
                                                           names: tuple[str, ...]) -> None:
    done = _launcher("install", str(tmp_path / "apps"), "--from",
                     str(_zip_with(tmp_path / "bad.zip", manifest, names)))
    assert done.returncode == 1
    assert done.stderr.strip() and "Traceback" not in done.stderr
    assert not (tmp_path / "apps").exists()


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_damaged_archive_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.zip").write_bytes(content)
    with pytest.raises(InstallError):
        install_first(tmp_path / "apps", tmp_path / "bad.zip")
    assert not (tmp_path / "apps").exists()


def test_folder_without_launcher_is_refused(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "station", "1.4.0", with_launcher=False)
    with pytest.raises(InstallError):
        install_first(tmp_path / "apps", bundle)
    assert not (tmp_path / "apps").exists()


@pytest.mark.parametrize("args", [[], ["install", "apps"], ["a", "b"], ["--bogus"]])
def test_bad_usage_exits_with_2(tmp_path: Path, args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "station.updates", *args], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "usage" in done.stderr
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.text(min_size=1, max_size=12))
def test_any_version_installs_inside_the_apps_dir_or_is_refused(version: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        archive = _zip_with(base / "release.zip", {"version": version, "command": ["s"]})
        try:
            install_first(base / "apps" / "inner", archive)
        except InstallError:
            assert not (base / "apps").exists()
        else:
            assert (base / "apps" / "inner" / "versions" / version / LAUNCHER).is_file()
            assert (base / "apps" / "inner" / STATE_FILE).is_file()
        assert sorted(path.name for path in base.iterdir()) == (
            ["apps", "release.zip"] if (base / "apps").exists() else ["release.zip"])


def test_unwritable_apps_dir_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    release = _release(tmp_path, "1.4.0")
    (tmp_path / "apps").write_text("a file where the folder should be")
    done = _launcher("install", str(tmp_path / "apps"), "--from", str(release))
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
