"""`make run` for real: the demo opens the station window with its township running, and
stopping the demo (SIGTERM, as a desktop session ending does) stops the township too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.station.test_demo_township import _free_port, _listening

pytestmark = pytest.mark.usefixtures("display")


def test_the_demo_window_runs_with_its_township_and_stops_it(tmp_path: Path) -> None:
    port = _free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "station", "--data-dir", str(tmp_path / "station"), "--lang",
         "en", "demo", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ})
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if "admin:" in line:
                break
        assert any(f"127.0.0.1:{port}/console/" in line for line in lines), lines
        assert _listening(port), "the township serves while the window is open"
        time.sleep(1)  # let the window come up
        assert demo.poll() is None, "the window stays open"
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 128 + signal.SIGTERM
        assert not _listening(port), "the township stopped with the demo"
    finally:
        if demo.poll() is None:
            demo.kill()
