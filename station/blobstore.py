"""Encrypted material files (scanned pages) stored as files beside the station database.

Layout under ``root``::

    tmp/<name>.part        being written; never referenced; removed by :meth:`BlobStore.sweep`
    <name[:2]>/<name>      complete, durable blob in the format of :mod:`station.streamcrypt`

A name is 32 random lowercase hex characters, never derived from content or personal data.
Each blob has its own random key, which the caller keeps (with name, digest and size) in the
encrypted database; so rotating the database key never touches blobs.

Durability: :meth:`BlobStore.put` writes a temp file, fsyncs it, renames it into place with
``os.replace`` (atomic) and fsyncs the directory. A crash at any point leaves no file, a temp
file, or a complete final file, never a partial file under a final name. The caller commits
the row that references a blob only after ``put`` returned; a blob whose row never committed
is an orphan that :meth:`BlobStore.sweep` removes.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import os
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from station.errors import StationError
from station.i18n import _
from station.streamcrypt import (
    DEFAULT_CHUNK_SIZE,
    EncryptResult,
    Fault,
    MaterialIntegrityError,
    Sink,
    Source,
    decrypt_stream,
    encrypt_stream,
    iter_plaintext,
    new_key,
)

__all__ = [
    "BlobStore",
    "DiskFullError",
    "MaterialIntegrityError",
    "MaterialMissingError",
    "MaterialReadError",
    "MaterialWriteError",
    "StoredBlob",
    "SweepReport",
]

_NAME = re.compile(r"[0-9a-f]{32}")
_SHARD = re.compile(r"[0-9a-f]{2}")
_TEMP_DIR = "tmp"
_TEMP_SUFFIX = ".part"
_DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class DiskFullError(StationError):
    """The disk (or the user's quota) is full; nothing was saved."""

    def __init__(self) -> None:
        super().__init__(
            _("The disk is full: free some space, then save again. Nothing was saved.")
        )


class MaterialWriteError(StationError):
    """A scan could not be read from its source or written to disk; nothing was saved."""

    def __init__(self) -> None:
        super().__init__(
            _("The scan could not be saved: check the scanned file and the disk, then save again.")
        )


class MaterialMissingError(StationError):
    """The file of a stored scan is gone."""

    def __init__(self) -> None:
        super().__init__(_("A stored scan is missing; rescan the page."))


class MaterialReadError(StationError):
    """The file of a stored scan exists but the system refused to read it."""

    def __init__(self) -> None:
        super().__init__(
            _("A stored scan could not be read; close other programs using it, then try again.")
        )


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A durably stored blob: what the database row must keep to read it back."""

    name: str
    key: bytes = field(repr=False)
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What :meth:`BlobStore.sweep` removed, and how many leftovers it could not remove."""

    removed_temp: int
    removed_orphans: int
    skipped: int = 0


class BlobStore:
    """Encrypted, durable, content-blind file storage under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._temp_dir = self.root / _TEMP_DIR

    def put(self, source: Path | Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> StoredBlob:
        """Encrypt ``source`` (a path, or a binary stream read to its end) into a new blob.

        The blob is durable when this returns. Raises DiskFullError when the disk or quota is
        full and MaterialWriteError for any other OSError (of the source too); in both cases,
        and for any other exception, no file of this blob remains.
        """
        name, key = os.urandom(16).hex(), new_key()
        temp, final = self._temp_dir / (name + _TEMP_SUFFIX), self.path_of(name)
        try:
            result = _write_temp(source, temp, key, chunk_size)
            _ensure_dir(final.parent)
            os.replace(temp, final)
            _fsync_dir(final.parent)
        except BaseException as exc:
            _remove_quietly(temp, final)
            if isinstance(exc, OSError):
                error = DiskFullError() if exc.errno in _DISK_FULL else MaterialWriteError()
                raise error from _without_path(exc)
            raise
        return StoredBlob(name, key, result.sha256_hex, result.size)

    def open(self, name: str, key: bytes) -> Iterator[bytes]:
        """Return an iterator over the plaintext chunks of blob ``name``.

        Raises MaterialMissingError at once if the blob is gone. During iteration raises
        MaterialIntegrityError, MaterialMissingError or MaterialReadError (cannot open), and
        an OSError while reading propagates. The blob is proven complete only when the
        iteration ends without error.
        """
        path = self.path_of(name)
        if not path.is_file():
            raise MaterialMissingError()
        return _iter_file(path, key)

    def read_into(self, name: str, key: bytes, dst: Sink) -> EncryptResult:
        """Decrypt blob ``name`` into ``dst``; return size and SHA-256 of the plaintext.

        On error ``dst`` may hold a prefix of the blob: discard it. Raises
        MaterialMissingError, MaterialReadError (cannot open) or MaterialIntegrityError;
        an OSError while reading the opened blob or writing ``dst`` propagates.
        """
        with _open_blob(self.path_of(name)) as src:
            return decrypt_stream(src, dst, key)

    def verify(self, name: str, key: bytes, digest: str) -> None:
        """Check that blob ``name`` decrypts intact to content with SHA-256 ``digest`` (hex).

        Raises MaterialMissingError, MaterialReadError or MaterialIntegrityError; an OSError
        while reading the opened blob propagates.
        """
        result = self.read_into(name, key, _NullSink())
        if not hmac.compare_digest(result.sha256_hex, digest.lower()):
            raise MaterialIntegrityError(Fault.DIGEST)

    def delete(self, name: str) -> None:
        """Remove blob ``name`` durably; nothing happens if it is already gone.

        An OSError (such as a file held open by another program on Windows) propagates.
        """
        path = self.path_of(name)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def names(self) -> Iterator[str]:
        """Yield the names of all stored blobs (referenced or not), in no particular order."""
        for shard in self._shards():
            yield from (entry.name for entry in _files(shard) if _NAME.fullmatch(entry.name))

    def path_of(self, name: str) -> Path:
        """Return the final path of blob ``name``; raise ValueError if it is not a blob name."""
        if not _NAME.fullmatch(name):
            raise ValueError("not a blob name")
        return self.root / name[:2] / name

    def sweep(
        self,
        referenced: Collection[str],
        *,
        older_than: timedelta = timedelta(0),
        now: Callable[[], datetime] | None = None,
    ) -> SweepReport:
        """Remove temp files and blobs not in ``referenced``, if last written ``older_than`` ago.

        A sweep running beside ``put`` must use a grace period longer than the time from
        ``put`` to the commit of the row that references the blob. ``now`` (default: the
        system clock) returns a timezone-aware datetime. Files that cannot be removed are
        counted in ``skipped`` and left for the next sweep.
        """
        cutoff = ((now or _utc_now)() - older_than).timestamp()
        keep = frozenset(referenced)

        def is_orphan(name: str) -> bool:
            return bool(_NAME.fullmatch(name)) and name not in keep

        removed_temp, skipped = _remove_old(self._temp_dir, lambda _name: True, cutoff)
        removed_orphans = 0
        for shard in self._shards():
            removed, skipped_here = _remove_old(shard, is_orphan, cutoff)
            removed_orphans += removed
            skipped += skipped_here
        return SweepReport(removed_temp, removed_orphans, skipped)

    def _shards(self) -> Iterator[Path]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return
        for entry in entries:
            if _SHARD.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                yield Path(entry.path)


class _NullSink:
    """A binary sink that discards what it is given (for :meth:`BlobStore.verify`)."""

    def write(self, data: bytes) -> int:
        return len(data)


def _open_blob(path: Path) -> BinaryIO:
    """Open a blob file; raise MaterialMissingError or MaterialReadError if that fails."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise MaterialMissingError() from None
    except OSError as exc:
        raise MaterialReadError() from _without_path(exc)


def _iter_file(path: Path, key: bytes) -> Iterator[bytes]:
    with _open_blob(path) as src:
        yield from iter_plaintext(src, key)


def _without_path(exc: OSError) -> OSError:
    """The same OS error without file names (a source path may name a person)."""
    return OSError(exc.errno, exc.strerror)


def _open_temp(path: Path) -> BinaryIO:
    """Create ``path`` exclusively, readable by its owner only, for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(path, flags, 0o600), "wb")


def _write_temp(source: Path | Source, temp: Path, key: bytes, chunk_size: int) -> EncryptResult:
    """Encrypt ``source`` into the new file ``temp`` and fsync it."""
    _ensure_dir(temp.parent)
    with _open_temp(temp) as out:
        if isinstance(source, os.PathLike):
            with open(source, "rb") as src:
                result = encrypt_stream(src, out, key, chunk_size=chunk_size)
        else:
            result = encrypt_stream(source, out, key, chunk_size=chunk_size)
        out.flush()
        os.fsync(out.fileno())
    return result


def _ensure_dir(path: Path) -> None:
    """Create ``path`` and missing parents, each made durable in its parent directory."""
    if path.is_dir():
        return
    _ensure_dir(path.parent)
    path.mkdir(exist_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    """Make the entries of directory ``path`` durable (not possible, nor needed, on Windows)."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(*paths: Path) -> None:
    """Best-effort removal after a failure; what remains is a temp file for the sweep."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _files(directory: Path) -> Iterator[os.DirEntry[str]]:
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    yield from (entry for entry in entries if entry.is_file(follow_symlinks=False))


def _remove_old(directory: Path, wanted: Callable[[str], bool], cutoff: float) -> tuple[int, int]:
    """Remove wanted files of ``directory`` last modified at or before ``cutoff``.

    Return (removed, skipped); skipped files could not be removed.
    """
    removed = skipped = 0
    for entry in _files(directory):
        try:
            if not wanted(entry.name) or entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
            os.unlink(entry.path)
            removed += 1
        except FileNotFoundError:
            continue
        except OSError:
            skipped += 1
    if removed:
        _fsync_dir(directory)
    return removed, skipped


def _utc_now() -> datetime:
    return datetime.now(UTC)
