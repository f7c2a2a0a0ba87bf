"""App updates in the running app (``docs/updates.md``): what the window shows
(:class:`UpdateNews`), the version the agent may switch to (:func:`ready_version`), the
agent's yes (:func:`choose`), and the step that rides on sync rounds (:func:`step_for`,
:mod:`station.updatestep`, loaded only when it runs).

Only an app started by the launcher updates itself: the launcher names its apps directory
in ``STATION_APPS_DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from station import __version__
from station.i18n import _
from station.launchenv import APPS_ENV
from station.updates import MANIFEST, InstallError, Installation
from sync.versions import parse_version

if TYPE_CHECKING:
    from station.updatestep import AppUpdateStep

FOLDER = "updates"


@dataclass(frozen=True)
class UpdateNews:
    """What the window shows of app updates: a download under way (``downloading`` with
    bytes ``done`` of ``total``), a version ``ready`` for the agent to switch to, or the
    last ``problem`` in words."""

    downloading: str | None = None
    done: int = 0
    total: int = 0
    ready: str | None = None
    problem: str | None = None


Report = Callable[[UpdateNews], None]


def ready_version(installation: Installation, running: str = __version__) -> str | None:
    """The newest installed version above ``running`` that did not fail to start here and
    is not already chosen for the next start; None when there is none."""
    try:
        state = installation.state()
        folders = list(installation.versions.iterdir())
    except (InstallError, OSError):
        return None
    newer = []
    for folder in folders:
        version = folder.name
        try:
            above = parse_version(version) > parse_version(running)
        except ValueError:
            continue
        if above and version not in state.refused and (folder / MANIFEST).exists():
            newer.append(version)
    best = max(newer, key=parse_version, default=None)
    return None if best is None or best == state.pending else best


def step_for(data_dir: Path, report: Report) -> AppUpdateStep | None:
    """The update step of an app started by the launcher (``STATION_APPS_DIR``); None
    otherwise (a developer's checkout, ``station sync`` from a script)."""
    apps = os.environ.get(APPS_ENV)
    if not apps:
        return None
    from station.updatestep import AppUpdateStep

    return AppUpdateStep(Installation(Path(apps)), Path(data_dir) / FOLDER, report=report)


def choose(version: str) -> None:
    """The agent agreed: the launcher starts ``version`` at the next launch. Raises
    InstallError (not started by the launcher, or that version cannot start)."""
    apps = os.environ.get(APPS_ENV)
    if not apps:
        raise InstallError(_("This app was not started by the station launcher, so it "
                             "cannot switch versions."))
    Installation(Path(apps)).schedule(version)
