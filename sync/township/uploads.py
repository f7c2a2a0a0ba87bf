"""Resumable blob uploads (tus 1.0 core, creation, checksum) of page files.

A blob is named by the SHA-256 of its bytes and belongs to the station that uploads it.
Only whole chunks whose checksum verifies are kept, so after an interruption the station
asks the offset and sends only what is missing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from sync import fields
from sync.errors import MalformedError
from sync.township.context import Context
from sync.township.db import lock_station, locked
from sync.township.errors import (
    BadRequestError,
    BlobDigestMismatchError,
    ChecksumMismatchError,
    NotFoundError,
    OffsetMismatchError,
    TooLargeError,
)
from sync.township.models import Blob

_DROPPED = "the uploaded bytes are not the named digest; the upload was dropped"


@dataclass(frozen=True)
class UploadState:
    offset: int
    length: int

    @property
    def complete(self) -> bool:
        return self.offset == self.length


def check_sha256(value: str) -> str:
    """Raise BadRequestError unless ``value`` is a lower-case hex SHA-256."""
    try:
        return fields.match(value, fields.HEX64, "sha256")
    except MalformedError:
        raise BadRequestError("not a SHA-256 in hex") from None


class UploadService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def create(self, station: str, sha256: str, length: int) -> UploadState:
        """Start the upload of ``sha256`` or tell how much of it is held.

        Raises BadRequestError, TooLargeError, BlobDigestMismatchError (a held blob of
        another length, or an empty upload that is not the empty string's digest).
        """
        check_sha256(sha256)
        if length < 0 or length > self._context.limits.max_blob:
            raise TooLargeError("blob larger than the township accepts")
        now = self._context.clock()
        with self._context.database.atomic():
            lock_station(station)
            row = locked(Blob.select().where(Blob.station == station,
                                             Blob.sha256 == sha256)).first()
            if row is not None and row.complete:
                if row.size != length:
                    raise BlobDigestMismatchError("a blob of that digest has another length")
                return UploadState(row.size, row.size)
            if row is None:
                row = Blob(station=station, sha256=sha256, created_at=now)
            if row.id is None or row.size != length:
                self._context.blobs.start(station, sha256)
                row.size, row.offset = length, 0
            row.updated_at = now
            row.save()
            whole = length > 0 or self._finish(row)
        if not whole:
            raise BlobDigestMismatchError(_DROPPED)
        return UploadState(row.offset, row.size)

    def state(self, station: str, sha256: str) -> UploadState:
        """How much of the blob is held. Raises NotFoundError."""
        row = Blob.get_or_none(Blob.station == station, Blob.sha256 == check_sha256(sha256))
        if row is None:
            raise NotFoundError("no such upload")
        return UploadState(row.offset, row.size)

    def append(self, station: str, sha256: str, offset: int, chunk: bytes,
               checksum: bytes) -> UploadState:
        """Add ``chunk`` at ``offset`` when its SHA-256 is ``checksum``.

        Raises NotFoundError, OffsetMismatchError, TooLargeError, ChecksumMismatchError,
        BlobDigestMismatchError (the whole blob is not ``sha256``; the upload is dropped).
        """
        if len(chunk) > self._context.limits.max_chunk:
            raise TooLargeError("chunk larger than the township accepts")
        with self._context.database.atomic():
            row = locked(Blob.select().where(Blob.station == station,
                                             Blob.sha256 == check_sha256(sha256))).first()
            if row is None:
                raise NotFoundError("no such upload")
            if offset != row.offset or row.complete:
                raise OffsetMismatchError(row.offset)
            if offset + len(chunk) > row.size:
                raise TooLargeError("chunk goes past the upload length")
            if not hmac.compare_digest(hashlib.sha256(chunk).digest(), checksum):
                raise ChecksumMismatchError("chunk checksum does not match")
            self._context.blobs.append(station, sha256, offset, chunk)
            row.offset, row.updated_at = offset + len(chunk), self._context.clock()
            row.save()
            whole = row.offset < row.size or self._finish(row)
        if not whole:
            raise BlobDigestMismatchError(_DROPPED)
        return UploadState(row.offset, row.size)

    def store_whole(self, station: str, sha256: str, size: int,
                    chunks: Iterable[bytes]) -> None:
        """Keep a whole, already verified blob (from an offline bundle) unless held.

        Raises BlobDigestMismatchError when the bytes are not ``sha256``.
        """
        now = self._context.clock()
        with self._context.database.atomic():
            lock_station(station)
            row = locked(Blob.select().where(Blob.station == station,
                                             Blob.sha256 == check_sha256(sha256))).first()
            if row is not None and row.complete:
                return
            if not self._context.blobs.put(station, sha256, chunks):
                raise BlobDigestMismatchError(_DROPPED)
            row = row or Blob(station=station, sha256=sha256, created_at=now)
            row.size, row.offset, row.complete, row.updated_at = size, size, True, now
            row.save()

    def _finish(self, row: Blob) -> bool:
        """Mark the upload complete, or drop it (row and bytes) when it is not its digest."""
        if not self._context.blobs.finish(row.station_id, row.sha256):
            row.delete_instance()
            return False
        row.complete = True
        row.save()
        return True
