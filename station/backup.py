"""Backups of a whole station into one file, and restoring them, still encrypted.

A backup is a ZIP archive (stored, not compressed: everything in it is already encrypted):
``station.db`` — a consistent online copy made with SQLite's backup API, under the same
data key —, ``station.keys`` (the wrapped data key), ``materials/<xx>/<name>`` for every
page the copy points at, and ``manifest.json`` with the SHA-256 of each member. Restoring
checks every digest and opens the copy with the agent's password before it touches the
data directory, whose old contents are moved aside, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import sqlcipher3

from station import __version__, migrations, store
from station.audit import Action
from station.errors import StationError
from station.i18n import _
from station.keyfile import KeyFile
from station.materials import referenced_blobs

log = logging.getLogger(__name__)

FORMAT = "village-station-backup"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_MEMBER = re.compile(r"^(station\.db|station\.keys|materials/[0-9a-f]{2}/[0-9a-f]{32})$")
_COPY_CHUNK = 1 << 20


class BackupError(StationError):
    """A backup could not be written or restored; nothing was changed."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    pages: int
    size: int


def create_backup(session: "Session", target: Path) -> BackupReport:  # noqa: F821
    """Write a backup of the logged-in station to ``target`` (replaced atomically)."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            snapshot = Path(scratch) / "station.db"
            _snapshot(session.db, snapshot, session.data_key)
            names = _snapshot_blobs(snapshot, session.data_key)
            _write_archive(partial, snapshot, session.paths.keys, session.blobs, names)
        _fsync(partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(
            _("The backup could not be written: {reason}").format(
                reason=exc.strerror or type(exc).__name__
            )
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with session.db.atomic():
        session.ctx.record(Action.EXPORT, "station", None, {"what": "backup", "pages": len(names)})
    log.info("backup written with %d pages", len(names))
    return BackupReport(target, len(names), target.stat().st_size)


def _snapshot(db: store.StoreDatabase, path: Path, key: bytes) -> None:
    target = sqlcipher3.connect(str(path))
    try:
        target.execute(f'PRAGMA key="{store.raw_key(key)}"')
        db.connection().backup(target)
    finally:
        target.close()


def _snapshot_blobs(snapshot: Path, key: bytes) -> list[str]:
    db = store.connect(snapshot, key)
    try:
        with store.bound(db):
            return sorted(referenced_blobs())
    finally:
        db.close()


def _write_archive(partial: Path, snapshot: Path, keys: Path, blobs, names: list[str]) -> None:
    digests: dict[str, str] = {}
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        digests["station.db"] = _add(archive, "station.db", snapshot)
        digests["station.keys"] = _add(archive, "station.keys", keys)
        for name in names:
            path = blobs.path_of(name)
            if not path.exists():
                raise BackupError(_("A page changed while the backup ran; run the backup again."))
            member = f"materials/{name[:2]}/{name}"
            digests[member] = _add(archive, member, path)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "app_version": __version__,
            "schema": migrations.LATEST,
            "created": datetime.now().isoformat(timespec="seconds"),
            "members": digests,
        }
        archive.writestr(_MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))


def _add(archive: zipfile.ZipFile, member: str, path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source, archive.open(member, "w", force_zip64=True) as sink:
        while chunk := source.read(_COPY_CHUNK):
            digest.update(chunk)
            sink.write(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def restore_backup(source: Path, data_dir: Path, login_name: str, password: str) -> Path | None:
    """Replace ``data_dir`` with the backup in ``source``; return where the old data went.

    Raises BackupError for a damaged or foreign file, and the key file's WrongPasswordError
    when the password does not open the backup; in every such case nothing is changed.
    """
    data_dir = Path(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir.parent))
    try:
        _extract(Path(source), staging)
        _check_staged(staging, login_name, password)
        return _swap_in(staging, data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _damaged() -> BackupError:
    return BackupError(
        _("This file is not a complete station backup (damaged or of another kind).")
    )


def _extract(source: Path, staging: Path) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = _manifest(archive)
            for member, expected in manifest["members"].items():
                if not _MEMBER.match(member):
                    raise _damaged()
                target = staging / member
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as stream, open(target, "wb") as sink:
                    if _copy_digest(stream, sink) != expected:
                        raise _damaged()
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError):
        raise _damaged() from None
    except OSError as exc:
        raise BackupError(
            _("The backup could not be read: {reason}").format(
                reason=exc.strerror or type(exc).__name__
            )
        ) from None


def _manifest(archive: zipfile.ZipFile) -> dict:
    manifest = json.loads(archive.read(_MANIFEST))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged()
    if not isinstance(manifest.get("members"), dict):
        raise _damaged()
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(_("This backup was made by a newer version of the station app."))
    if not {"station.db", "station.keys"} <= manifest["members"].keys():
        raise _damaged()
    return manifest


def _copy_digest(stream: IO[bytes], sink: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_COPY_CHUNK):
        digest.update(chunk)
        sink.write(chunk)
    sink.flush()
    os.fsync(sink.fileno())
    return digest.hexdigest()


def _check_staged(staging: Path, login_name: str, password: str) -> None:
    keys = KeyFile.load(staging / "station.keys").unlock(login_name, password)
    db = store.connect(staging / "station.db", keys.current)
    try:
        migrations.migrate(db)
        if store.integrity_check(db):
            raise _damaged()
        with store.bound(db):
            names = referenced_blobs()
    finally:
        db.close()
    if any(not (staging / "materials" / name[:2] / name).exists() for name in names):
        raise _damaged()


def _swap_in(staging: Path, data_dir: Path) -> Path | None:
    aside = None
    if data_dir.exists():
        aside = _aside_path(data_dir)
        os.replace(data_dir, aside)
    os.replace(staging, data_dir)
    log.info("backup restored")
    return aside


def _aside_path(data_dir: Path) -> Path:
    """A name beside ``data_dir`` that no earlier restore has used."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}-{n}")
    return aside
