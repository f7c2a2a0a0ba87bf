"""The township's TUF repository of app releases, in ``<data>/tuf/``.

``metadata/`` holds ``N.root.json`` (and ``root.json``, the newest, for shipping with the
app), ``N.targets.json``, ``N.snapshot.json`` and ``timestamp.json``: consistent snapshots,
so a station that reads while a release is added still sees one consistent state.
``targets/`` holds each artifact as ``village-station/<version>/<sha256>.<name>``. The
timestamp is written last, atomically: it is what makes a new state visible. Every write
holds the lock file ``.lock`` (``township release`` and the serving process's refresh may
run at the same moment, in different processes); readers need no lock.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO, TypeVar

from securesystemslib.signer import Signer
from tuf.api.exceptions import RepositoryError
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Signed,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from forms.i18n import _
from sync.engine.updates import Rollout, parse_version
from sync.township.config import Clock, utc_now
from sync.township.updates.keys import ONLINE_ROLES

PRODUCT = "village-station"
HASH = "sha256"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_Role = TypeVar("_Role", Root, Targets, Snapshot, Timestamp)
LOCK_NAME = ".lock"
LOCK_PATIENCE = timedelta(seconds=30)
_LOCK_POLL = 0.01

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl


class ReleaseError(Exception):
    """The repository refused: not initialised, initialised twice, a version twice."""


@dataclass(frozen=True)
class Expiry:
    """How long each role's metadata stays valid. The timestamp is re-signed daily by the
    serving township (``refresher.py``) or ``township release refresh``; its lifetime is
    how long a station may stay offline and still accept it once the network returns."""

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=90)
    snapshot: timedelta = timedelta(days=90)
    timestamp: timedelta = timedelta(days=14)


class ReleaseRepository:
    """Writes and signs the repository in ``directory`` with the ``online`` signers
    (``targets``, ``snapshot``, ``timestamp``)."""

    def __init__(self, directory: Path, online: dict[str, Signer], *,
                 clock: Clock = utc_now, expiry: Expiry = Expiry()) -> None:
        self.directory = directory
        self._online = online
        self._clock = clock
        self._expiry = expiry

    @property
    def metadata_dir(self) -> Path:
        return self.directory / "metadata"

    @property
    def targets_dir(self) -> Path:
        return self.directory / "targets"

    def init_root(self, root_signers: list[Signer], threshold: int) -> bytes:
        """Create root version 1 signed by every root signer, and empty targets, snapshot
        and timestamp; the root's bytes. Raises ReleaseError when a root exists or another
        process holds the lock too long."""
        if not 1 <= threshold <= len(root_signers):
            raise ReleaseError(_("The threshold must be between 1 and the number of root "
                                 "keys."))
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            return self._init_root(root_signers, threshold)

    def _init_root(self, root_signers: list[Signer], threshold: int) -> bytes:
        if (self.metadata_dir / "1.root.json").exists():
            raise ReleaseError(_("This township already has an update repository."))
        root = Metadata(Root(expires=self._now() + self._expiry.root))
        for signer in root_signers:
            root.signed.add_key(signer.public_key, Root.type)
        root.signed.roles[Root.type].threshold = threshold
        for role in ONLINE_ROLES:
            root.signed.add_key(self._online[role].public_key, role)
        for signer in root_signers:
            root.sign(signer, append=True)
        data = _bytes(root)
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        _write(self.metadata_dir / "1.root.json", data)
        _write(self.metadata_dir / "root.json", data)
        self._publish(Targets(expires=self._now() + self._expiry.targets))
        return data

    def add(self, artifact: Path, rollout: Rollout) -> TargetFile:
        """Add ``artifact`` as release ``rollout.version`` and re-sign targets, snapshot and
        timestamp; the new target. Raises ReleaseError when the version exists already or
        the file name would not make a plain URL, when there is no repository or another
        process holds the lock too long."""
        if not _NAME.fullmatch(artifact.name):
            raise ReleaseError(_("An artifact's file name may hold only letters, digits, "
                                 "'.', '_' and '-'."))
        with self._locked():
            return self._add(artifact, rollout)

    def _add(self, artifact: Path, rollout: Rollout) -> TargetFile:
        targets = self._current_targets()
        if rollout.version in (_version_of(target) for target in targets.targets.values()):
            raise ReleaseError(_("Version {version} has been released already.").format(
                version=rollout.version))
        path = f"{PRODUCT}/{rollout.version}/{artifact.name}"
        target = TargetFile.from_file(path, str(artifact), [HASH])
        target.unrecognized_fields["custom"] = rollout.to_json()
        stored = self.targets_dir / PRODUCT / rollout.version / (
            f"{target.hashes[HASH]}.{artifact.name}")
        stored.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifact, stored)
        targets.targets[path] = target
        targets.version += 1
        targets.expires = self._now() + self._expiry.targets
        self._publish(targets)
        return target

    def refresh(self) -> None:
        """Re-sign the timestamp, and snapshot and targets when they would expire within
        a timestamp lifetime. Raises ReleaseError when there is no repository or another
        process holds the lock too long."""
        with self._locked():
            self._refresh()

    def _refresh(self) -> None:
        snapshot = self._snapshot(self._current_timestamp())
        targets = self._targets(snapshot)
        limit = self._now() + self._expiry.timestamp
        if targets.expires <= limit:
            targets.version += 1
            targets.expires = self._now() + self._expiry.targets
            self._publish(targets)
        elif snapshot.expires <= limit:
            self._publish(targets, republish_targets=False)
        else:
            self._write_timestamp(snapshot.version)

    def releases(self) -> list[Rollout]:
        """The releases, oldest version first. Raises ReleaseError without a repository."""
        found = [Rollout.from_json(target.custom)
                 for target in self._current_targets().targets.values()]
        return sorted(found, key=lambda rollout: parse_version(rollout.version))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the repository's lock file. Raises ReleaseError without a repository
        directory, or after LOCK_PATIENCE of waiting."""
        try:
            handle = open(self.directory / LOCK_NAME, "a+b")
        except FileNotFoundError:
            raise _missing() from None
        with handle:
            deadline = time.monotonic() + LOCK_PATIENCE.total_seconds()
            while not _try_lock(handle):
                if time.monotonic() >= deadline:
                    raise ReleaseError(_("Another process is writing the update repository; "
                                         "try again in a moment."))
                time.sleep(_LOCK_POLL)
            try:
                yield
            finally:
                _unlock(handle)

    def _publish(self, targets: Targets, republish_targets: bool = True) -> None:
        if republish_targets:
            self._write_signed(targets, f"{targets.version}.targets.json")
        previous = self._optional_timestamp()
        snapshot = Snapshot(version=(previous.snapshot_meta.version + 1) if previous else 1,
                            expires=self._now() + self._expiry.snapshot,
                            meta={"targets.json": MetaFile(targets.version)})
        self._write_signed(snapshot, f"{snapshot.version}.snapshot.json")
        self._write_timestamp(snapshot.version)

    def _write_timestamp(self, snapshot_version: int) -> None:
        previous = self._optional_timestamp()
        timestamp = Timestamp(version=(previous.version + 1) if previous else 1,
                              expires=self._now() + self._expiry.timestamp,
                              snapshot_meta=MetaFile(snapshot_version))
        self._write_signed(timestamp, "timestamp.json")

    def _write_signed(self, signed: Signed, name: str) -> None:
        metadata = Metadata(signed)
        metadata.sign(self._online[signed.type])
        _write(self.metadata_dir / name, _bytes(metadata))

    def _current_timestamp(self) -> Timestamp:
        timestamp = self._optional_timestamp()
        if timestamp is None:
            raise _missing()
        return timestamp

    def _optional_timestamp(self) -> Timestamp | None:
        if not (self.metadata_dir / "timestamp.json").exists():
            return None
        return self._load(Timestamp, "timestamp.json")

    def _current_targets(self) -> Targets:
        return self._targets(self._snapshot(self._current_timestamp()))

    def _snapshot(self, timestamp: Timestamp) -> Snapshot:
        return self._load(Snapshot, f"{timestamp.snapshot_meta.version}.snapshot.json")

    def _targets(self, snapshot: Snapshot) -> Targets:
        return self._load(Targets, f"{snapshot.meta['targets.json'].version}.targets.json")

    def _load(self, kind: type[_Role], name: str) -> _Role:
        try:
            signed = Metadata.from_file(str(self.metadata_dir / name)).signed
        except RepositoryError as error:
            raise ReleaseError(_("The update repository's metadata is damaged; restore the "
                                 "data directory's tuf folder from a backup.")) from error
        if not isinstance(signed, kind):
            raise ReleaseError(_("The update repository is damaged: {name}.").format(name=name))
        return signed

    def _now(self) -> datetime:
        return self._clock().replace(tzinfo=timezone.utc)


def _missing() -> ReleaseError:
    return ReleaseError(_("There is no update repository yet; run `township release "
                          "init-root` first."))


def _try_lock(handle: BinaryIO) -> bool:
    """Take the exclusive lock on ``handle`` if no other process holds it."""
    try:
        if sys.platform == "win32":
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: BinaryIO) -> None:
    if sys.platform == "win32":
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _version_of(target: TargetFile) -> str | None:
    custom = target.custom
    return custom.get("version") if isinstance(custom, dict) else None


def _bytes(metadata: Metadata) -> bytes:
    return metadata.to_bytes(JSONSerializer(compact=False))


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
