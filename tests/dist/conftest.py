"""The packaged app, built once per test run (shared by pytest-xdist workers), its release
zip, and a display."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import display  # noqa: F401 - the Xvfb fixture of the UI tests

PROJECT = Path(__file__).resolve().parents[2]
SPEC = PROJECT / "packaging" / "station.spec"
RELEASE_ZIP = PROJECT / "packaging" / "release_zip.py"


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder bundle dist/station built from packaging/station.spec for this run."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base
    folder = shared / "bundle"
    with open(shared / "bundle.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "dist" / "station" / "station").is_file():
            _build(folder)
    return folder / "dist" / "station"


@pytest.fixture(scope="session")
def release(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release zip ``make dist`` writes from the bundle (this worker's own copy)."""
    done = subprocess.run([sys.executable, str(RELEASE_ZIP), str(bundle),
                           str(tmp_path_factory.mktemp("release"))],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def _build(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(folder / "dist"), "--workpath", str(folder / "work"), str(SPEC)],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, f"PyInstaller failed:\n{done.stderr[-4000:]}"
