"""What the launcher (:mod:`station.updates`) tells the app it starts, through the
environment; light enough for the app to read at start-up."""

from __future__ import annotations

import os
from pathlib import Path

HEALTH_ENV = "STATION_HEALTH_FILE"
APPS_ENV = "STATION_APPS_DIR"  # tells the app it may update itself, and where


def report_healthy() -> None:
    """Called by the app once its first window shows: the launcher keeps this version."""
    path = os.environ.get(HEALTH_ENV)
    if path:
        Path(path).write_text("ok\n", "utf-8")
