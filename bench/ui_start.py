"""Cold start to an interactive login window, against a bare ttkbootstrap window.

Both are started as fresh processes on a private Xvfb display, alternately, N times each;
a process reports once its window is mapped and the event loop is idle. Prints medians and
the ratio (target, issue 4: <= 1.3).

    .venv/bin/python bench/ui_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/forms.py would hide the forms package: keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

BARE = """
import ttkbootstrap as tb
root = tb.Window(title="bare", themename="bootstrap-light", size=(1200, 760))
tb.Label(root, text="x").pack()
root.after_idle(lambda: (print("ready", flush=True), root.destroy()))
root.mainloop()
"""

APP = """
import sys
import station.cli  # what `station app` imports before it opens the window
from station import i18n
i18n.setup()
from station.ui.app import StationApp
app = StationApp(sys.argv[1])
app.root.after_idle(lambda: (print("ready", flush=True), app.quit()))
app.run()
"""


def _start(code: str, *args: str) -> float:
    began = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert "ready" in out, out
    return time.perf_counter() - began


def _station(folder: Path) -> Path:
    from station import session as sessions

    data_dir = folder / "station"
    setup = sessions.StationSetup(code="BENCH", name="基准站", township="基准镇", login="wang",
                                  display_name="王", password="bench password")
    sessions.init_station(data_dir, setup)
    return data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        sys.exit("Xvfb is needed (Debian package xvfb)")
    display = subprocess.Popen([xvfb, ":77", "-screen", "0", "1366x768x24"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = ":77"
    time.sleep(1)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            data_dir = _station(Path(scratch))
            bare, app = [], []
            _start(BARE), _start(APP, str(data_dir))  # warm the OS file cache
            for _ in range(runs):
                bare.append(_start(BARE))
                app.append(_start(APP, str(data_dir)))
    finally:
        display.terminate()
    b, a = statistics.median(bare), statistics.median(app)
    print(f"bare ttkbootstrap window: median {b * 1000:.0f} ms")
    print(f"station login window:     median {a * 1000:.0f} ms")
    print(f"ratio: {a / b:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
