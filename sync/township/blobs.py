"""Page files uploaded by stations: one file per upload in a directory per station.

An upload grows in ``<sha256>.part`` by whole verified chunks, each appended and fsynced;
the caller records the new offset only after :meth:`BlobFiles.append` returns, and every
append first cuts the file back to the recorded offset, so the bytes of a chunk that was
interrupted never count. A finished upload is checked against its SHA-256 and renamed to
``<sha256>``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

_READ = 1024 * 1024


class BlobFiles:
    """The blob directory: ``<root>/<station>/<sha256[:2]>/<sha256>[.part]``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, station: str, sha256: str) -> Path:
        """Where the complete blob lives (it may not exist)."""
        return self.root / station / sha256[:2] / sha256

    def start(self, station: str, sha256: str) -> None:
        """Begin (or begin again) an upload with no bytes held."""
        partial = self._partial(station, sha256)
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as handle:
            os.fsync(handle.fileno())

    def append(self, station: str, sha256: str, offset: int, chunk: bytes) -> None:
        """Keep the first ``offset`` bytes held, add ``chunk`` and make it durable.

        Raises OSError (FileNotFoundError when the upload was never started).
        """
        with open(self._partial(station, sha256), "r+b") as handle:
            handle.truncate(offset)
            handle.seek(offset)
            handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())

    def finish(self, station: str, sha256: str) -> bool:
        """Move a whole upload into place when its bytes hash to ``sha256``; else drop it."""
        partial = self._partial(station, sha256)
        if _file_sha256(partial) != sha256:
            partial.unlink(missing_ok=True)
            return False
        os.replace(partial, self.path(station, sha256))
        _fsync_directory(partial.parent)
        return True

    def put(self, station: str, sha256: str, chunks: Iterable[bytes]) -> bool:
        """Store a whole blob from ``chunks`` (an offline bundle); False when the bytes are
        not ``sha256`` (nothing is kept then)."""
        self.start(station, sha256)
        with open(self._partial(station, sha256), "ab") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        return self.finish(station, sha256)

    def discard(self, station: str, sha256: str) -> None:
        self._partial(station, sha256).unlink(missing_ok=True)

    def open(self, station: str, sha256: str) -> BinaryIO:
        """The complete blob for reading. Raises FileNotFoundError."""
        return open(self.path(station, sha256), "rb")

    def _partial(self, station: str, sha256: str) -> Path:
        return self.path(station, sha256).with_suffix(".part")


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_READ):
            hasher.update(block)
    return hasher.hexdigest()


def _fsync_directory(path: Path) -> None:
    if os.name == "nt":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
