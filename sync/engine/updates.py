"""App updates through The Update Framework (python-tuf's ``ngclient``), station side.

The township serves a TUF repository under ``/tuf/`` (``docs/updates.md``). Each release is
a target whose custom metadata says its version and its staged rollout (:class:`Rollout`).
:class:`AppUpdater` refreshes the metadata (root -> timestamp -> snapshot -> targets, every
check of the TUF client workflow), picks the newest release above the running version that
this station is eligible for, and downloads it into a staging directory. Every refusal is
one :class:`UpdateError` subclass with a plain message for the agent.

Trust starts from ``root.json``: the app ships it (``trusted_root``) and the first check
pins it into ``metadata_dir``; later root versions arrive signed by the previous root.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuf.api import exceptions
from tuf.api.metadata import Metadata, TargetFile, Targets
from tuf.ngclient import Updater, UpdaterConfig
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

from forms.i18n import _
from sync.versions import parse_version

ProgressCallback = Callable[[int, int], None]
_PERCENT_BUCKETS = 100


class UpdateError(Exception):
    """Base of every refused or failed update; the message is for the agent."""


class UpdateRollbackError(UpdateError):
    """The server offered metadata or a release older than what the station trusts."""


class UpdateFreezeError(UpdateError):
    """The server's metadata has expired (a frozen or stale repository)."""


class UpdateMixAndMatchError(UpdateError):
    """The metadata files do not belong together (snapshot and targets disagree)."""


class UpdateTamperedError(UpdateError):
    """A downloaded file does not match its signed length and hashes."""


class UpdateTooLargeError(UpdateError):
    """The server sent more bytes than the signed length (endless data)."""


class UpdateUntrustedError(UpdateError):
    """Metadata is not signed by the keys the trusted root names."""


class UpdateMetadataError(UpdateError):
    """Metadata is invalid in another way (malformed, wrong type)."""


class UpdateTransportError(UpdateError):
    """The township could not be reached or answered with an HTTP error."""


def station_bucket(station_id: str) -> int:
    """The station's fixed place in 0..99 for percentage rollouts (from its id's hash)."""
    digest = hashlib.sha256(station_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % _PERCENT_BUCKETS


@dataclass(frozen=True)
class Rollout:
    """A release's custom metadata: its version and who gets it first. A station is
    eligible when it is named in ``stations`` or its bucket is below ``percent``."""

    version: str
    stations: tuple[str, ...] = ()
    percent: int = 100

    def __post_init__(self) -> None:
        parse_version(self.version)
        if type(self.percent) is not int or not 0 <= self.percent <= 100:
            raise ValueError("percent is an integer from 0 to 100")
        if not all(isinstance(station, str) and station for station in self.stations):
            raise ValueError("stations are non-empty ids")

    def eligible(self, station_id: str) -> bool:
        return station_id in self.stations or station_bucket(station_id) < self.percent

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "stations": list(self.stations),
                "percent": self.percent}

    @classmethod
    def from_json(cls, data: Any) -> Rollout:
        """Raises ValueError when ``data`` is not a rollout."""
        if not isinstance(data, dict) or not isinstance(data.get("stations", []), list):
            raise ValueError("not a rollout")
        return cls(data.get("version"), tuple(data.get("stations", [])),  # type: ignore[arg-type]
                   data.get("percent", 100))


@dataclass(frozen=True)
class Release:
    """A release this station may install: ``path`` is the TUF target path."""

    version: str
    path: str
    length: int
    target: TargetFile = field(repr=False, compare=False)


@dataclass(frozen=True)
class UpdateConfig:
    """Where the updater keeps its files and what it accepts. ``repository_url`` is the
    township's ``/tuf/`` URL (metadata under ``metadata/``, targets under ``targets/``)."""

    repository_url: str
    metadata_dir: Path
    staging_dir: Path
    max_target: int = 1024 * 1024 * 1024
    socket_timeout: int = 30


class _Fetcher(Urllib3Fetcher):
    """ngclient's fetcher that reports progress and remembers what it fetched last."""

    def __init__(self, config: UpdateConfig) -> None:
        super().__init__(socket_timeout=config.socket_timeout)
        self.last_url = ""
        self.progress: ProgressCallback | None = None
        self.expected = 0

    def _fetch(self, url: str) -> Iterator[bytes]:
        self.last_url = url
        chunks = super()._fetch(url)
        return chunks if self.progress is None else self._counted(chunks, self.progress)

    def _counted(self, chunks: Iterator[bytes], progress: ProgressCallback) -> Iterator[bytes]:
        done = 0
        for chunk in chunks:
            done += len(chunk)
            progress(min(done, self.expected), self.expected)
            yield chunk


class AppUpdater:
    """One update check for one station. ``check`` first, then ``download``.

    ``trusted_root`` is the ``root.json`` shipped with the app, used only until one is
    pinned in ``metadata_dir``.
    """

    def __init__(self, config: UpdateConfig, station_id: str, running_version: str,
                 trusted_root: bytes) -> None:
        self.config = config
        self.station_id = station_id
        self.running = parse_version(running_version)
        self._trusted_root = trusted_root
        self._fetcher = _Fetcher(config)
        self._updater: Updater | None = None

    def check(self, refused: Collection[str] = ()) -> Release | None:
        """Refresh the metadata; the newest eligible release above the running version and
        not in ``refused`` (versions that failed to start here), or None. Raises an
        UpdateError subclass (see the module), OSError when the disk refuses."""
        updater = self._new_updater()
        with _mapped(self._fetcher):
            updater.refresh()
            listed = Metadata[Targets].from_file(str(self.config.metadata_dir / "targets.json"))
        releases = [self._release(path, target)
                    for path, target in listed.signed.targets.items()]
        newer = [release for release in releases if release is not None
                 and parse_version(release.version) > self.running
                 and release.version not in refused]
        return max(newer, key=lambda release: parse_version(release.version), default=None)

    def download(self, release: Release,
                 progress: ProgressCallback | None = None) -> Path:
        """Download and verify ``release`` into the staging directory; its path. Raises
        UpdateRollbackError for a release not above the running version, else as ``check``."""
        if self._updater is None:
            raise ValueError("check for updates before downloading one")
        if parse_version(release.version) <= self.running:
            raise _refusal(UpdateRollbackError)
        target = self.config.staging_dir / release.version / Path(release.path).name
        partial = target.with_name(target.name + ".part")
        self._fetcher.progress, self._fetcher.expected = progress, release.length
        try:
            with _mapped(self._fetcher):
                target_info = self._updater.get_targetinfo(release.path)
                if target_info is None or target_info != release.target:
                    raise _refusal(UpdateMixAndMatchError)
                self._updater.download_target(target_info, str(partial))
        finally:
            self._fetcher.progress = None
        os.replace(partial, target)
        return target

    def _new_updater(self) -> Updater:
        metadata = self.config.metadata_dir
        metadata.mkdir(parents=True, exist_ok=True)
        bootstrap = None if (metadata / "root.json").exists() else self._trusted_root
        base = self.config.repository_url.rstrip("/")
        config = UpdaterConfig(targets_max_length=8 * 1024 * 1024)
        with _mapped(self._fetcher):
            self._updater = Updater(str(metadata), base + "/metadata/", None,
                                    base + "/targets/", self._fetcher, config,
                                    bootstrap=bootstrap)
        return self._updater

    def _release(self, path: str, target: TargetFile) -> Release | None:
        try:
            rollout = Rollout.from_json(target.custom)
        except ValueError:
            return None
        if not rollout.eligible(self.station_id) or target.length > self.config.max_target:
            return None
        return Release(rollout.version, path, target.length, target)


@contextmanager
def _mapped(fetcher: _Fetcher) -> Iterator[None]:
    """Turn python-tuf's errors into UpdateError subclasses."""
    try:
        yield
    except (exceptions.RepositoryError, exceptions.DownloadError) as error:
        raise _refusal(_classify(error, fetcher.last_url)) from error


def _refusal(kind: type[UpdateError]) -> UpdateError:
    return kind(_messages()[kind])


def _classify(error: BaseException, last_url: str) -> type[UpdateError]:
    """The UpdateError class for a python-tuf error; ``last_url`` tells which metadata
    file failed (a targets version that does not match the snapshot is mix-and-match)."""
    if isinstance(error, exceptions.BadVersionNumberError):
        return (UpdateMixAndMatchError if last_url.endswith("targets.json")
                else UpdateRollbackError)
    table: list[tuple[type[BaseException], type[UpdateError]]] = [
        (exceptions.ExpiredMetadataError, UpdateFreezeError),
        (exceptions.UnsignedMetadataError, UpdateUntrustedError),
        (exceptions.LengthOrHashMismatchError, UpdateTamperedError),
        (exceptions.DownloadLengthMismatchError, UpdateTooLargeError),
        (exceptions.DownloadError, UpdateTransportError),
    ]
    return next((mapped for kind, mapped in table if isinstance(error, kind)),
                UpdateMetadataError)


def _messages() -> dict[type[UpdateError], str]:
    return {
        UpdateRollbackError: _("The update server offered an older version than this "
                               "station already has. The update was refused."),
        UpdateFreezeError: _("The update information from the township has expired. The "
                             "update was refused; the township must renew it."),
        UpdateMixAndMatchError: _("The update information from the township does not fit "
                                  "together. The update was refused."),
        UpdateTamperedError: _("The downloaded update does not match its signature. It "
                               "was refused and deleted."),
        UpdateTooLargeError: _("The township sent more data than the update may have. The "
                               "download was refused."),
        UpdateUntrustedError: _("The update information is not signed by a trusted key. "
                                "The update was refused."),
        UpdateMetadataError: _("The update information from the township is damaged. The "
                               "update was refused."),
        UpdateTransportError: _("The township's update service cannot be reached now; the "
                                "station will try again at the next sync."),
    }
