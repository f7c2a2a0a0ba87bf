"""The app-update step that rides on each successful sync round (``docs/updates.md``):
ask the township's TUF repository for a newer release, download it verified, unpack it
beside the running version, and say so to the window. The TUF trust root is pinned on the
first check from the township's ``update_root`` document, verified against the signing key
pinned at enrolment (ADR 0009)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from station import __version__
from station.appupdates import Report, UpdateNews, ready_version
from station.i18n import _
from station.updates import MANIFEST, InstallError, Installation
from sync.engine import Identity
from sync.engine.updates import AppUpdater, Release, UpdateConfig, UpdateError
from sync.errors import MalformedError, SyncError
from sync.messages import read_update_root
from sync.transport import RefusedError, Transport

log = logging.getLogger(__name__)


class _StoppedError(Exception):
    """The round was cancelled during a download."""


class AppUpdateStep:
    """The :class:`sync.engine.RoundStep` that checks, downloads and installs releases."""

    def __init__(self, installation: Installation, folder: Path,
                 running: str = __version__, report: Report = lambda _news: None) -> None:
        self._installation = installation
        self._folder = folder
        self._running = running
        self._report = report

    def __call__(self, transport: Transport, identity: Identity,
                 cancel: threading.Event) -> None:
        try:
            self._update(transport, identity, cancel)
        except (_StoppedError, SyncError) as error:
            if not cancel.is_set():
                log.warning("app update check failed: %s", type(error).__name__)
        except (UpdateError, InstallError) as error:
            if not cancel.is_set():
                log.warning("app update refused: %s", type(error).__name__)
                self._report(UpdateNews(ready=self.ready(), problem=str(error)))
        except OSError as error:
            log.warning("app update could not be stored: %s", type(error).__name__)
            self._report(UpdateNews(ready=self.ready(), problem=_(
                "The app update could not be saved on this computer: check the free disk "
                "space.")))

    def ready(self) -> str | None:
        """The version the agent may switch to (see :func:`ready_version`)."""
        return ready_version(self._installation, self._running)

    def _update(self, transport: Transport, identity: Identity,
                cancel: threading.Event) -> None:
        config = UpdateConfig(transport.update_url, self._folder / "metadata",
                              self._folder / "staging")
        root = _trusted_root(transport, identity, config.metadata_dir)
        if root is None:
            return
        updater = AppUpdater(config, identity.station, self._running, root)
        release = updater.check(refused=self._installation.state().refused)
        if release is not None and not _installed(self._installation, release.version):
            self._fetch(updater, release, cancel)
        self._report(UpdateNews(ready=self.ready()))

    def _fetch(self, updater: AppUpdater, release: Release, cancel: threading.Event) -> None:
        def progress(done: int, total: int) -> None:
            if cancel.is_set():
                raise _StoppedError()
            self._report(UpdateNews(release.version, done, total))

        archive = updater.download(release, progress)
        try:
            self._installation.install(archive, release.version)
        finally:
            archive.unlink(missing_ok=True)
        log.info("app release %s installed beside the running version", release.version)


def _installed(installation: Installation, version: str) -> bool:
    return (installation.versions / version / MANIFEST).exists()


def _trusted_root(transport: Transport, identity: Identity, metadata: Path) -> bytes | None:
    """The root to bootstrap TUF from: b"" when one is pinned already (unused then), the
    township's verified ``update_root`` otherwise, None when it publishes no updates.
    Raises SyncError (MalformedError, SignatureError for a document that does not verify)."""
    if (metadata / "root.json").exists():
        return b""
    try:
        data = transport.update_root()
    except RefusedError as error:
        if error.status == 404:
            return None
        raise
    found = read_update_root(data, identity.signing_key)
    if found.station != identity.station:
        raise MalformedError("update root: addressed to another station")
    return found.root
