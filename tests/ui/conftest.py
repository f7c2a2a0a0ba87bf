"""UI fixtures: the station fixtures, plus a real X display (Xvfb) for widget tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.station.conftest import (  # noqa: F401 - fixtures shared with the station tests
    applicant,
    clock,
    draft,
    matter,
    queued,
    scans,
    session,
    station_dir,
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="session")
def display():
    """A private Xvfb display for this test worker; fails (never skips) without Xvfb."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: `make test` installs it (Debian package xvfb)"
    read_end, write_end = os.pipe()
    process = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0", "1366x768x24",
                                "-nolisten", "tcp"], pass_fds=(write_end,),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    assert number, "Xvfb did not start"
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    yield os.environ["DISPLAY"]
    process.terminate()
    process.wait()
    if previous is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = previous


def screenshot(root, name: str) -> Path:
    """Save what the window shows now under build/screenshots/NAME.png."""
    from PIL import ImageGrab

    root.update()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    x, y = root.winfo_rootx(), root.winfo_rooty()
    box = (x, y, x + root.winfo_width(), y + root.winfo_height())
    path = SCREENSHOTS / f"{name}.png"
    ImageGrab.grab(bbox=box, xdisplay=os.environ["DISPLAY"]).save(path)
    return path
