"""Offline bundles: a station's envelopes and page files, or the township's receipts and
events, in one zip file for a USB stick (``docs/protocol.md`` section 9).

A bundle holds ``manifest.json``, a signed ``bundle`` document naming every other member
with its kind, size and SHA-256, and those members. A reader trusts nothing before the
manifest verifies, checks the archive's layout and limits before reading any member, reads
every member as a stream against its manifest entry, and either returns a fully verified
bundle or raises a BundleError: nothing is applied from a half-read bundle. A writer writes
to a temporary file beside the target, fsyncs it and renames it into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from forms.i18n import _
from sync import envelope, fields, messages
from sync import signed as documents
from sync.errors import MalformedError, SignatureError, SyncError

DOC_TYPE = "bundle"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
_NUMBER = r"[1-9][0-9]{0,17}"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
                   ValueError, RuntimeError, NotImplementedError)

Opener = Callable[[], BinaryIO]


@dataclass(frozen=True)
class BundleLimits:
    """What a reader accepts. ``max_ratio`` bounds a member's expanded size against its
    compressed size (page files are encrypted and do not compress; JSON compresses ~2:1)."""

    max_members: int = 100_000
    max_total_bytes: int = 64 * 1024**3
    max_blob_bytes: int = 1024**3
    max_document_bytes: int = envelope.MAX_ENVELOPE_BYTES
    max_documents_total: int = 256 * 1024**2
    max_manifest_bytes: int = documents.MAX_DOCUMENT_BYTES
    max_ratio: int = 20

    def member_limit(self, kind: str) -> int:
        if kind == "manifest":
            return self.max_manifest_bytes
        return self.max_blob_bytes if kind == "blob" else self.max_document_bytes


DEFAULT_LIMITS = BundleLimits()


# --- errors ----------------------------------------------------------------------------


class BundleError(SyncError):
    """A bundle was refused or could not be written. The message says what to do;
    ``reason`` is for logs and never names a person."""

    def __init__(self, reason: str, outbound: bool = True) -> None:
        super().__init__(_("{problem} {advice}").format(problem=self._problem(),
                                                         advice=self._advice(outbound)))
        self.reason = reason

    def _problem(self) -> str:
        raise NotImplementedError

    def _advice(self, outbound: bool) -> str:
        if outbound:
            return _("Ask the station to export the bundle again.")
        return _("Ask the township to write the return bundle again.")


class NotABundleError(BundleError):
    """Not a zip, no manifest, or a bundle of the other direction."""

    def _problem(self) -> str:
        return _("This file is not a bundle of the expected kind.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that you chose the right file.")


class DamagedBundleError(BundleError):
    """The zip is truncated or corrupt (bad CRC, bad compressed data, cut short)."""

    def _problem(self) -> str:
        return _("The bundle file is damaged or incomplete.")


class UnsafeBundleError(BundleError):
    """A member name that is not allowed (a path, "..", a duplicate), an encrypted or
    unknown compression method, or overlapping members."""

    def _problem(self) -> str:
        return _("The bundle contains a file name or an entry that is not allowed.")


class OversizedBundleError(BundleError):
    """Too many members, too large, or a compression ratio that only a zip bomb has."""

    def _problem(self) -> str:
        return _("The bundle is too large or unpacks to far more than its own size.")


class BundleMembersError(BundleError):
    """A member not in the manifest, a manifest entry without a member, or page files that
    are not exactly those the envelopes name."""

    def _problem(self) -> str:
        return _("The files in the bundle do not match its list of contents.")


class BundleSignatureError(BundleError):
    """The manifest or a document in the bundle is not signed by the expected key."""

    def _problem(self) -> str:
        return _("The bundle's signature does not verify.")


class TamperedBundleError(BundleError):
    """A member's size or digest differs from the manifest, or a document is malformed or
    does not match its name."""

    def _problem(self) -> str:
        return _("A file in the bundle was altered or does not belong to it.")


class UnknownStationError(BundleError):
    """The manifest names a station the township does not know."""

    def _problem(self) -> str:
        return _("The bundle comes from a station that is not enrolled here.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that the station is enrolled with this township.")


class WrongStationError(BundleError):
    """A return bundle addressed to another station."""

    def _problem(self) -> str:
        return _("This return bundle is for another station.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that you chose the right file.")


class MaterialFileError(BundleError):
    """While writing: a stored page file is missing, unreadable or not what its digest says."""

    def _problem(self) -> str:
        return _("A material file stored on this computer is missing or damaged, "
                 "so no bundle was written.")

    def _advice(self, outbound: bool) -> str:
        return _("Ask the township's support staff for help.")


class BundleWriteError(BundleError):
    """While writing: the target could not be written (full, read-only, removed)."""

    def _problem(self) -> str:
        return _("The bundle could not be written; no partial file was left behind.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that the USB stick is plugged in, writable and not full, "
                 "then try again.")


# --- what a bundle holds ---------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    direction: str
    kinds: dict[str, re.Pattern[str]]

    @property
    def outbound(self) -> bool:
        return self.direction == "outbound"

    def kind_of(self, name: str) -> str | None:
        return next((kind for kind, rule in self.kinds.items() if rule.fullmatch(name)), None)


_OUTBOUND = _Layout("outbound", {"envelope": re.compile(rf"envelopes/{_NUMBER}\.json"),
                                 "blob": re.compile(r"blobs/[0-9a-f]{64}")})
_RETURN = _Layout("return", {"receipt": re.compile(rf"receipts/{_NUMBER}\.json"),
                             "event": re.compile(rf"events/{_NUMBER}\.json")})
_LAYOUTS = (_OUTBOUND, _RETURN)


@dataclass(frozen=True)
class Member:
    """One manifest entry."""

    name: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The verified manifest: who signed for which station, when, and every member."""

    station: str
    direction: str
    created_at: datetime
    members: tuple[Member, ...]


@dataclass(frozen=True)
class BlobFile:
    """A verified page file, extracted to a temporary file the bundle removes on close."""

    sha256: str
    size: int
    path: Path

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


@dataclass(frozen=True)
class OutboundBundle:
    """A verified station bundle: envelopes as ``(seq, bytes)`` in sequence order, each
    verified with the station's key, and exactly the page files they name, extracted under
    ``directory``. Move the page files out before closing it (or leaving its ``with``): close
    removes the directory and whatever is left in it."""

    manifest: Manifest
    envelopes: tuple[tuple[int, bytes], ...]
    blobs: tuple[BlobFile, ...]
    directory: Path

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> OutboundBundle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class ReturnBundle:
    """A verified township bundle: receipts in sequence order and events in cursor order,
    each signed by the township and addressed to this station."""

    manifest: Manifest
    receipts: tuple[bytes, ...]
    events: tuple[bytes, ...]


# --- writing ---------------------------------------------------------------------------


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
        if _blob_pairs(headers) != _listed_pairs(sink.members.values()):
            raise ValueError("the page files are not exactly those the envelopes name")

    return _write(path, _OUTBOUND, station_id, station_key, created_at, fill)


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

    return _write(path, _RETURN, station_id, township_signing_key, created_at, fill)


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
            raise MaterialFileError("page file cannot be opened") from None
        with source:
            member = self.put(f"blobs/{sha256}", "blob", _source_chunks(source),
                              zipfile.ZIP_STORED, size)
        if (member.size, member.sha256) != (size, sha256):
            raise MaterialFileError("page file does not match its digest")


def _source_chunks(source: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := source.read(CHUNK):
            yield chunk
    except OSError:
        raise MaterialFileError("page file cannot be read") from None


def _write(path: str | os.PathLike[str], layout: _Layout, station: str,
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
                              documents.sign(DOC_TYPE, _manifest_body(manifest), key))
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


def _manifest_body(manifest: Manifest) -> dict[str, Any]:
    return {
        "station": manifest.station, "direction": manifest.direction,
        "created_at": documents.time_text(manifest.created_at),
        "members": [{"name": m.name, "kind": m.kind, "size": m.size, "sha256": m.sha256}
                    for m in manifest.members],
    }


# --- reading ---------------------------------------------------------------------------


def read_outbound(
    path: str | os.PathLike[str],
    lookup_station_key: Callable[[str], Ed25519PublicKey | None],
    *, limits: BundleLimits = DEFAULT_LIMITS, work_dir: str | os.PathLike[str] | None = None,
) -> OutboundBundle:
    """The verified station bundle at ``path``; page files go to a temporary directory in
    ``work_dir``. ``lookup_station_key`` gives the key of an enrolled station, else None.

    Raises a BundleError subclass; then nothing is left in ``work_dir``.
    """
    with _archive(path, _OUTBOUND, limits) as (archive, entries):
        data = _read_manifest(archive, entries, _OUTBOUND)
        key = lookup_station_key(_claimed_station(data, _OUTBOUND))
        if key is None:
            raise UnknownStationError("unknown station", True)
        manifest = _verified_manifest(data, key, _OUTBOUND, entries)
        envelopes = _documents(archive, entries, manifest, "envelope", _OUTBOUND)
        headers = [_envelope_header(data, seq, key, manifest) for seq, data in envelopes]
        blobs = [m for m in manifest.members if m.kind == "blob"]
        if _blob_pairs(headers) != _listed_pairs(blobs):
            raise BundleMembersError("page files differ from those the envelopes name", True)
        directory = Path(tempfile.mkdtemp(prefix="bundle-", dir=work_dir))
        try:
            files = tuple(_extract(archive, entries[m.name], m, directory) for m in blobs)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    return OutboundBundle(manifest, tuple(envelopes), files, directory)


def read_return(
    path: str | os.PathLike[str], township_public_key: Ed25519PublicKey, station_id: str,
    *, limits: BundleLimits = DEFAULT_LIMITS,
) -> ReturnBundle:
    """The verified return bundle at ``path`` for ``station_id``.

    Raises a BundleError subclass (WrongStationError when it is for another station).
    """
    with _archive(path, _RETURN, limits) as (archive, entries):
        data = _read_manifest(archive, entries, _RETURN)
        _claimed_station(data, _RETURN)
        manifest = _verified_manifest(data, township_public_key, _RETURN, entries)
        if manifest.station != station_id:
            raise WrongStationError("addressed to another station", False)
        receipts = _documents(archive, entries, manifest, "receipt", _RETURN)
        events = _documents(archive, entries, manifest, "event", _RETURN)
    for seq, data in receipts:
        with _refusing(_RETURN):
            receipt = messages.read_receipt(data, township_public_key)
        _check_owner(receipt.station, receipt.seq, manifest, seq, _RETURN)
    for cursor, data in events:
        with _refusing(_RETURN):
            event = messages.read_event(data, township_public_key)
        _check_owner(event.station, event.cursor, manifest, cursor, _RETURN)
    return ReturnBundle(manifest, tuple(d for _, d in receipts), tuple(d for _, d in events))


@contextlib.contextmanager
def _archive(path: str | os.PathLike[str], layout: _Layout,
             limits: BundleLimits) -> Iterator[tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]]:
    """The open zip and its entries by name, once its layout is within the rules."""
    try:
        handle = open(path, "rb")
    except OSError:
        raise NotABundleError("cannot open the file", layout.outbound) from None
    with handle:
        magic, size = handle.read(4), os.fstat(handle.fileno()).st_size
        try:
            archive = zipfile.ZipFile(handle)
        except _ARCHIVE_ERRORS:
            error = DamagedBundleError if magic == b"PK\x03\x04" else NotABundleError
            raise error("not a readable zip", layout.outbound) from None
        with archive:
            yield archive, _entries(archive.infolist(), layout, limits, size)


def _entries(infos: list[zipfile.ZipInfo], layout: _Layout, limits: BundleLimits,
             archive_size: int) -> dict[str, zipfile.ZipInfo]:
    """Raises UnsafeBundleError, OversizedBundleError or NotABundleError."""
    if len(infos) > limits.max_members + 1:
        raise OversizedBundleError("too many members", layout.outbound)
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in entries:
            raise UnsafeBundleError("duplicate member name", layout.outbound)
        entries[info.filename] = _checked_entry(info, layout, limits)
    if MANIFEST not in entries:
        raise NotABundleError("no manifest", layout.outbound)
    if sum(i.compress_size for i in infos) > archive_size:
        raise UnsafeBundleError("overlapping members", layout.outbound)
    if sum(i.file_size for i in infos) > limits.max_total_bytes:
        raise OversizedBundleError("total size", layout.outbound)
    documents_size = sum(i.file_size for n, i in entries.items() if not n.startswith("blobs/"))
    if documents_size > limits.max_documents_total:
        raise OversizedBundleError("documents size", layout.outbound)
    return entries


def _checked_entry(info: zipfile.ZipInfo, layout: _Layout,
                   limits: BundleLimits) -> zipfile.ZipInfo:
    kind = "manifest" if info.filename == MANIFEST else layout.kind_of(info.filename)
    if kind is None and any(other.kind_of(info.filename) for other in _LAYOUTS):
        raise NotABundleError("a bundle of the other direction", layout.outbound)
    if kind is None or info.orig_filename != info.filename:
        raise UnsafeBundleError("member name not allowed", layout.outbound)
    if info.flag_bits & 0x1 or info.compress_type not in _METHODS:
        raise UnsafeBundleError("encrypted or unknown compression", layout.outbound)
    if info.file_size > limits.member_limit(kind):
        raise OversizedBundleError(f"{kind} too large", layout.outbound)
    if info.file_size > info.compress_size * limits.max_ratio:
        raise OversizedBundleError("compression ratio", layout.outbound)
    return info


def _read_manifest(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo],
                   layout: _Layout) -> bytes:
    sink = io.BytesIO()
    _copy(archive, entries[MANIFEST], sink, layout)
    return sink.getvalue()


def _claimed_station(data: bytes, layout: _Layout) -> str:
    """The station the manifest names, not yet verified; NotABundleError for the other
    direction."""
    with _refusing(layout):
        body = documents.unverified(data, DOC_TYPE)
    if body.get("direction") != layout.direction:
        raise NotABundleError("a bundle of the other direction", layout.outbound)
    with _refusing(layout):
        return fields.match(body.get("station"), fields.STATION, "station")


def _verified_manifest(data: bytes, key: Ed25519PublicKey, layout: _Layout,
                       entries: dict[str, zipfile.ZipInfo]) -> Manifest:
    """The manifest once it verifies and names exactly the members present."""
    with _refusing(layout):
        body = fields.exact(documents.read(data, DOC_TYPE, key),
                            {"station", "direction", "created_at", "members"}, "bundle")
        manifest = Manifest(fields.match(body["station"], fields.STATION, "station"),
                            fields.choice(body["direction"], (layout.direction,), "direction"),
                            documents.parse_time(body["created_at"]),
                            _members(body["members"], layout))
    if {m.name for m in manifest.members} != set(entries) - {MANIFEST}:
        raise BundleMembersError("members differ from the manifest", layout.outbound)
    return manifest


def _members(value: Any, layout: _Layout) -> tuple[Member, ...]:
    if not isinstance(value, list):
        raise MalformedError("members")
    members = tuple(_member(item, layout) for item in value)
    names = [m.name for m in members]
    if names != sorted(set(names)):
        raise MalformedError("members not sorted or repeated")
    return members


def _member(item: Any, layout: _Layout) -> Member:
    if not isinstance(item, dict) or set(item) != {"name", "kind", "size", "sha256"}:
        raise MalformedError("member entry")
    kind = fields.choice(item["kind"], tuple(layout.kinds), "member kind")
    name = fields.match(item["name"], layout.kinds[kind], "member name")
    sha256 = fields.match(item["sha256"], fields.HEX64, "member digest")
    if kind == "blob" and name != f"blobs/{sha256}":
        raise MalformedError("page file name is not its digest")
    return Member(name, kind, fields.positive(item["size"], "member size", zero=True), sha256)


def _documents(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo],
               manifest: Manifest, kind: str, layout: _Layout) -> list[tuple[int, bytes]]:
    """Every member of ``kind`` as (the number in its name, its verified bytes), in order."""
    found = []
    for member in manifest.members:
        if member.kind == kind:
            sink = io.BytesIO()
            _verified_copy(archive, entries[member.name], member, sink, layout)
            found.append((int(member.name.split("/")[1].split(".")[0]), sink.getvalue()))
    return sorted(found, key=lambda pair: pair[0])


def _envelope_header(data: bytes, seq: int, key: Ed25519PublicKey,
                     manifest: Manifest) -> envelope.Header:
    with _refusing(_OUTBOUND):
        header = envelope.verify(data, key).header
    _check_owner(header.station, header.seq, manifest, seq, _OUTBOUND)
    return header


def _check_owner(station: str, number: int, manifest: Manifest, named: int,
                 layout: _Layout) -> None:
    if station != manifest.station or number != named:
        raise TamperedBundleError("a document does not match its name", layout.outbound)


def _blob_pairs(headers: Iterable[envelope.Header]) -> set[tuple[str, int]]:
    return {(ref.sha256, ref.size) for header in headers for ref in header.blobs}


def _listed_pairs(members: Iterable[Member]) -> set[tuple[str, int]]:
    return {(m.sha256, m.size) for m in members if m.kind == "blob"}


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Member,
             directory: Path) -> BlobFile:
    path = directory / member.sha256
    with open(path, "xb") as sink:
        _verified_copy(archive, info, member, sink, _OUTBOUND)
    return BlobFile(member.sha256, member.size, path)


def _verified_copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Member,
                   sink: BinaryIO, layout: _Layout) -> None:
    """Raises TamperedBundleError unless what streams out is the manifest's size and digest."""
    if _copy(archive, info, sink, layout) != (member.size, member.sha256):
        raise TamperedBundleError("member differs from the manifest", layout.outbound)


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: BinaryIO,
          layout: _Layout) -> tuple[int, str]:
    """Stream a member into ``sink``; its size and SHA-256. Raises DamagedBundleError."""
    hasher, count = hashlib.sha256(), 0
    for chunk in _member_chunks(archive, info, layout):
        hasher.update(chunk)
        count += len(chunk)
        sink.write(chunk)
    return count, hasher.hexdigest()


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   layout: _Layout) -> Iterator[bytes]:
    try:
        with archive.open(info) as source:
            while chunk := source.read(CHUNK):
                yield chunk
    except _ARCHIVE_ERRORS:
        raise DamagedBundleError("member cannot be read to its end", layout.outbound) from None


@contextlib.contextmanager
def _refusing(layout: _Layout) -> Iterator[None]:
    """Turn the protocol's MalformedError and SignatureError into bundle errors."""
    try:
        yield
    except MalformedError as exc:
        raise TamperedBundleError(exc.reason, layout.outbound) from None
    except SignatureError as exc:
        raise BundleSignatureError(exc.reason, layout.outbound) from None
