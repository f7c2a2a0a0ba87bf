"""Installing app releases beside the running version, switching at the next start, and
falling back when a new version never reaches its login window (``docs/updates.md``).

Layout of the apps directory::

    versions/<version>/app.json    {"version": "...", "command": ["relative/exe", ...]}
    versions/<version>/...         the unpacked release
    launcher.json                  which version runs, which is pending, which failed
    health/<version>               written by the app once its login window shows
    launch                         (POSIX) runs the first installed version's launcher

The launcher (``station-launcher APPS_DIR``, or ``python -m station.updates APPS_DIR``)
starts the current version. A version the agent agreed to switch to starts on trial; if it
exits or hangs before writing its health file, the launcher marks it refused and starts the
previous version again. ``station-launcher install APPS_DIR --from RELEASE`` makes the first
installation from a release zip or an unpacked bundle folder (``install_first``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from station import i18n
from station.i18n import _
from station.launchenv import APPS_ENV, HEALTH_ENV

MANIFEST = "app.json"
STATE_FILE = "launcher.json"
LAUNCHER = "station-launcher.exe" if os.name == "nt" else "station-launcher"
LAUNCH_SCRIPT = "launch"
HEALTH_TIMEOUT = 300.0
_POLL = 0.5
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*")


class InstallError(Exception):
    """A release could not be installed: damaged archive, wrong version, disk refused."""


@dataclass(frozen=True)
class LauncherState:
    """``current`` runs; ``pending`` starts at the next launch, on ``trial`` until healthy;
    ``previous`` is what a failed trial falls back to; ``refused`` never runs again."""

    current: str
    pending: str | None = None
    previous: str | None = None
    trial: bool = False
    refused: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"current": self.current, "pending": self.pending, "previous": self.previous,
                "trial": self.trial, "refused": list(self.refused)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LauncherState:
        return cls(data["current"], data.get("pending"), data.get("previous"),
                   bool(data.get("trial")), tuple(data.get("refused", ())))


class Installation:
    """The versions installed in ``root`` and the launcher's state."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    def health_file(self, version: str) -> Path:
        return self.root / "health" / version

    def state(self) -> LauncherState:
        """Raises InstallError when there is no state (nothing installed)."""
        try:
            return LauncherState.from_json(json.loads((self.root / STATE_FILE).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            raise InstallError(_("The app installation is missing or damaged.")) from None

    def save(self, state: LauncherState) -> None:
        path = self.root / STATE_FILE
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(state.to_json(), indent=2) + "\n", "utf-8")
        os.replace(temporary, path)

    def install(self, archive: Path, version: str) -> Path:
        """Unpack the verified release ``archive`` into ``versions/<version>``; its folder.
        Raises InstallError when it is not a zip whose manifest names ``version``."""
        target = self.versions / version
        if target.exists():
            return target
        partial = self.versions / f".{version}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            _unpack(archive, partial)
            if _manifest(partial).get("version") != version:
                raise InstallError(_("The release does not contain the version it claims."))
            os.replace(partial, target)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target

    def schedule(self, version: str) -> None:
        """The agent agreed: start ``version`` at the next launch. Raises InstallError when
        it is not installed or was refused before."""
        state = self.state()
        if version in state.refused or not (self.versions / version / MANIFEST).exists():
            raise InstallError(_("That version cannot be started."))
        self.save(replace(state, pending=version))

    def begin(self) -> str:
        """At launch: switch to the pending version (on trial); the version to start."""
        state = self.state()
        if state.pending is not None and state.pending != state.current:
            state = LauncherState(state.pending, None, state.current, True, state.refused)
            self.save(state)
        return state.current

    def end(self, version: str, healthy: bool) -> str | None:
        """After ``version`` ran: confirm a healthy trial, or refuse the version and fall
        back; the version to start instead, or None."""
        state = self.state()
        if not state.trial or state.current != version:
            return None
        if healthy:
            self.save(replace(state, trial=False))
            return None
        fallback = state.previous or state.current
        self.save(LauncherState(fallback, None, None, False, (*state.refused, version)))
        return fallback

    def command(self, version: str) -> list[str]:
        """The command that starts ``version``. Raises InstallError."""
        folder = self.versions / version
        command = _manifest(folder).get("command")
        if not _is_command(command):
            raise InstallError(_("The installed version has no valid start command."))
        return [str(folder / command[0]), *command[1:]]


Runner = Callable[[list[str], dict[str, str], Path], bool]


class Launcher:
    """Starts the current version and falls back when a trial fails. ``run`` starts a
    command and says whether it wrote its health file (injected in tests)."""

    def __init__(self, installation: Installation, run: Runner | None = None) -> None:
        self.installation = installation
        self._run = run or run_until_healthy

    def launch(self) -> str:
        """Run the app; the version that ran last. Raises InstallError."""
        version = self.installation.begin()
        while True:
            healthy = self._start(version)
            fallback = self.installation.end(version, healthy)
            if fallback is None:
                return version
            version = fallback

    def _start(self, version: str) -> bool:
        health = self.installation.health_file(version)
        health.parent.mkdir(parents=True, exist_ok=True)
        health.unlink(missing_ok=True)
        environment = {**os.environ, HEALTH_ENV: str(health),
                       APPS_ENV: str(self.installation.root)}
        return self._run(self.installation.command(version), environment, health)


def run_until_healthy(command: list[str], environment: dict[str, str], health: Path,
                      timeout: float = HEALTH_TIMEOUT) -> bool:
    """Run ``command`` to its end; whether it wrote ``health`` (a process still without it
    after ``timeout`` seconds is stopped and counts as failed)."""
    process = subprocess.Popen(command, env=environment)
    deadline = time.monotonic() + timeout
    while not health.exists():
        try:
            process.wait(_POLL)
            return health.exists()
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                process.kill()
                process.wait()
                return False
    process.wait()
    return True


def _unpack(archive: Path, folder: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                extracted = Path(zipped.extract(member, folder))
                if (member.external_attr >> 16) & 0o111:
                    extracted.chmod(0o755)
    except (zipfile.BadZipFile, OSError):
        raise InstallError(_("The release archive is damaged.")) from None


def _is_command(command: object) -> bool:
    """Whether ``command`` is a manifest's start command: a non-empty list of strings."""
    return isinstance(command, list) and bool(command) and all(
        isinstance(part, str) for part in command)


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise InstallError(_("The release archive is damaged.")) from None
    if not isinstance(manifest, dict):
        raise InstallError(_("The release archive is damaged."))
    return manifest


def install_first(root: Path, source: Path) -> str:
    """The first installation in ``root``: put the release ``source`` (a release zip or an
    unpacked bundle folder, each with its ``app.json``) into ``versions/<version>``, make it
    current when nothing is, and write the ``launch`` script (POSIX); the version. Raises
    InstallError, changing nothing, when the release is damaged or has no launcher, or
    another version is already current in ``root``."""
    version = _release_version(source)
    installation = Installation(root)
    if (root / STATE_FILE).exists() and (current := installation.state().current) != version:
        raise InstallError(_("Version {current} is already installed in this folder; newer "
                             "versions arrive as updates.").format(current=current))
    installation.versions.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        _copy_release(source, installation.versions, version)
    else:
        installation.install(source, version)
    if not (root / STATE_FILE).exists():
        installation.save(LauncherState(version))
    if os.name == "posix":
        _write_launch_script(installation, version)
    return version


def _release_version(source: Path) -> str:
    """The version a release names, once it is known to carry a valid start command and
    the launcher. Raises InstallError."""
    try:
        if source.is_dir():
            manifest, has_launcher = _manifest(source), (source / LAUNCHER).is_file()
        else:
            with zipfile.ZipFile(source) as zipped:
                manifest = json.loads(zipped.read(MANIFEST))
                has_launcher = LAUNCHER in zipped.namelist()
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        raise InstallError(_("The release archive is damaged.")) from None
    if not isinstance(manifest, dict) or not _is_command(manifest.get("command")):
        raise InstallError(_("The release archive is damaged."))
    version = manifest.get("version")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise InstallError(_("The release archive is damaged."))
    if not has_launcher:
        raise InstallError(_("The release has no launcher program."))
    return version


def _copy_release(source: Path, versions: Path, version: str) -> None:
    """Copy the bundle folder ``source`` to ``versions/<version>`` (whole or not at all)."""
    target = versions / version
    if target.exists():
        return
    partial = versions / f".{version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        shutil.copytree(source, partial, symlinks=True)
        os.replace(partial, target)
    except OSError:
        raise InstallError(_("The release could not be copied.")) from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _write_launch_script(installation: Installation, version: str) -> None:
    """``<root>/launch``: runs the launcher of the first installed version for ``root``,
    so a desktop entry names one path that stays valid across updates."""
    root = installation.root.absolute()
    launcher = installation.versions.absolute() / version / LAUNCHER
    script = root / LAUNCH_SCRIPT
    script.write_text(f"#!/bin/sh\nexec {shlex.quote(str(launcher))} "
                      f"{shlex.quote(str(root))}\n", "utf-8")
    script.chmod(0o755)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station-launcher",
        usage="station-launcher APPS_DIR | station-launcher install APPS_DIR --from RELEASE",
        description=_("Start the village station app installed in APPS_DIR, or install it "
                      "there the first time."))
    commands = parser.add_subparsers(dest="command")
    install = commands.add_parser("install", help=_("Install the app for the first time."))
    install.add_argument("apps_dir", type=Path, metavar="APPS_DIR")
    install.add_argument("--from", dest="source", type=Path, required=True,
                         metavar="RELEASE", help=_("A release zip or bundle folder."))
    return parser


def main(argv: list[str] | None = None) -> int:
    """``station-launcher APPS_DIR``: launch the app installed in APPS_DIR;
    ``station-launcher install APPS_DIR --from RELEASE``: install it the first time.
    Errors are one line on stderr and exit code 1 (an unwritable APPS_DIR too); bad usage
    exits with 2."""
    arguments = sys.argv[1:] if argv is None else argv
    i18n.setup()
    try:
        if len(arguments) == 1 and arguments[0] != "install" and arguments[0][:1] != "-":
            Launcher(Installation(Path(arguments[0]))).launch()
            return 0
        options = _parser().parse_args(arguments)
        if options.command is None:
            _parser().error(_("Give APPS_DIR, or: install APPS_DIR --from RELEASE"))
        version = install_first(options.apps_dir, options.source)
        print(_("Installed version {version}.").format(version=version))
    except InstallError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError:
        print(_("The app folder cannot be read or written."), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
