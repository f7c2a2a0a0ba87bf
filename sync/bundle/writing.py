"""Writing bundles: every member hashed as it streams into the zip, the signed manifest
last, all into a temporary file beside the target that is fsynced and renamed into place."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import envelope, fields, messages
from sync import signed as documents
from sync.bundle.archive import CHUNK
from sync.bundle.errors import BundleWriteError, MaterialFileError, MaterialFileProblem
from sync.bundle.manifest import (DOC_TYPE, MANIFEST, OUTBOUND, RETURN, Layout, Manifest,
                                  Member, blob_pairs, listed_pairs, manifest_body)

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

Opener = Callable[[], BinaryIO]


def write_outbound(
    path: str | os.PathLike[str], station_id: str, station_key: Ed25519PrivateKey,
    envelopes: Iterable[tuple[int, bytes]], blobs: Iterable[tuple[str, int, Opener]],
    *, created_at: datetime | None = None,
) -> Manifest:
    """Write the station's ``envelopes`` and the page files they name as one bundle.

    Each opener is called once and read in chunks. Raises MaterialFileError (a page file
    is missing or does not match), BundleWriteError (the target could not be written),
    MalformedError or SignatureError (an envelope not signed by ``station_key``) and
    ValueError (an envelope of another station or seq, a repeat, or page files that are not
    exactly those the envelopes name). On any error nothing is left under ``path``.
    """
    public_key = station_key.public_key()

    def fill(sink: _Sink) -> None:
        headers = []
        for seq, data in envelopes:
            header = envelope.verify(data, public_key).header
            if header.station != station_id or header.seq != seq:
                raise ValueError("an envelope of another station or sequence")
            headers.append(header)
            sink.put_document(f"envelopes/{seq}.json", "envelope", data)
        for sha256, size, opener in blobs:
            sink.put_blob(sha256, size, opener)
        if blob_pairs(headers) != listed_pairs(sink.members.values()):
            raise ValueError("the page files are not exactly those the envelopes name")

    return _write(path, OUTBOUND, station_id, station_key, created_at, fill)


def write_return(
    path: str | os.PathLike[str], township_signing_key: Ed25519PrivateKey, station_id: str,
    receipts: Iterable[bytes], events: Iterable[bytes], *, created_at: datetime | None = None,
) -> Manifest:
    """Write receipts and events for ``station_id`` as one return bundle.

    Raises BundleWriteError, MalformedError or SignatureError (a document not signed by
    this township) and ValueError (a document for another station, or a repeat).
    """
    public_key = township_signing_key.public_key()

    def fill(sink: _Sink) -> None:
        for data in receipts:
            receipt = messages.read_receipt(data, public_key)
            if receipt.station != station_id:
                raise ValueError("a receipt for another station")
            sink.put_document(f"receipts/{receipt.seq}.json", "receipt", data)
        for data in events:
            event = messages.read_event(data, public_key)
            if event.station != station_id:
                raise ValueError("an event for another station")
            sink.put_document(f"events/{event.cursor}.json", "event", data)

    return _write(path, RETURN, station_id, township_signing_key, created_at, fill)


class _Sink:
    """Members written into an open zip, each hashed as it streams."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members: dict[str, Member] = {}

    def put(self, name: str, kind: str, chunks: Iterable[bytes], method: int,
            size: int) -> Member:
        if name in self.members:
            raise ValueError("a member is given twice")
        info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
        info.compress_type = method
        info.file_size = size
        hasher, count = hashlib.sha256(), 0
        with self.archive.open(info, "w") as target:
            for chunk in chunks:
                hasher.update(chunk)
                count += len(chunk)
                target.write(chunk)
        self.members[name] = member = Member(name, kind, count, hasher.hexdigest())
        return member

    def put_document(self, name: str, kind: str, data: bytes) -> None:
        self.put(name, kind, [data], zipfile.ZIP_DEFLATED, len(data))

    def put_blob(self, sha256: str, size: int, opener: Opener) -> None:
        """Raises MaterialFileError and ValueError (not a digest)."""
        if not fields.HEX64.fullmatch(sha256):
            raise ValueError("not a page file digest")
        try:
            source = opener()
        except OSError:
            raise MaterialFileError(MaterialFileProblem.MISSING) from None
        with source:
            member = self.put(f"blobs/{sha256}", "blob", _source_chunks(source),
                              zipfile.ZIP_STORED, size)
        if (member.size, member.sha256) != (size, sha256):
            raise MaterialFileError(MaterialFileProblem.ALTERED)


def _source_chunks(source: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := source.read(CHUNK):
            yield chunk
    except OSError:
        raise MaterialFileError(MaterialFileProblem.MISSING) from None


def _write(path: str | os.PathLike[str], layout: Layout, station: str,
           key: Ed25519PrivateKey, created_at: datetime | None,
           fill: Callable[[_Sink], None]) -> Manifest:
    moment = documents.parse_time(documents.time_text(created_at or datetime.now(timezone.utc)))
    try:
        with _atomic_file(Path(path)) as handle, zipfile.ZipFile(handle, "w") as archive:
            sink = _Sink(archive)
            fill(sink)
            members = tuple(sorted(sink.members.values(), key=lambda m: m.name))
            manifest = Manifest(station, layout.direction, moment, members)
            sink.put_document(MANIFEST, "manifest",
                              documents.sign(DOC_TYPE, manifest_body(manifest), key))
    except OSError as exc:
        raise BundleWriteError(type(exc).__name__, layout.outbound) from exc
    return manifest


@contextlib.contextmanager
def _atomic_file(target: Path) -> Iterator[BinaryIO]:
    """A new file that appears under ``target`` only once it is complete and on disk."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                dir=target.parent)
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform can; the file itself is already synced
    (Windows cannot open a directory, and some USB file systems refuse to sync one)."""
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):
                os.fsync(fd)
        finally:
            os.close(fd)
