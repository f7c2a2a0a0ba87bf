"""Reading bundles: the manifest verified before anything else is trusted, every member
streamed against its manifest entry, and either a fully verified bundle or a BundleError;
nothing is applied from a half-read bundle."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync import envelope, messages
from sync.bundle.archive import copy, open_archive
from sync.bundle.errors import (BundleMembersError, TamperedBundleError, UnknownStationError,
                                WrongStationError, refusing)
from sync.bundle.manifest import (DEFAULT_LIMITS, MANIFEST, OUTBOUND, RETURN, BundleLimits,
                                  Layout, Manifest, Member, blob_pairs, claimed_station,
                                  listed_pairs, verified_manifest)


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


def read_outbound(
    path: str | os.PathLike[str],
    lookup_station_key: Callable[[str], Ed25519PublicKey | None],
    *, limits: BundleLimits = DEFAULT_LIMITS, work_dir: str | os.PathLike[str] | None = None,
) -> OutboundBundle:
    """The verified station bundle at ``path``; page files go to a temporary directory in
    ``work_dir``. ``lookup_station_key`` gives the key of an enrolled station, else None.

    Raises a BundleError subclass; then nothing is left in ``work_dir``.
    """
    with open_archive(path, OUTBOUND, limits) as (archive, entries):
        data = _read_manifest(archive, entries, OUTBOUND)
        key = lookup_station_key(claimed_station(data, OUTBOUND))
        if key is None:
            raise UnknownStationError("unknown station", True)
        manifest = verified_manifest(data, key, OUTBOUND, entries)
        envelopes = _documents(archive, entries, manifest, "envelope", OUTBOUND)
        headers = [_envelope_header(data, seq, key, manifest) for seq, data in envelopes]
        blobs = [m for m in manifest.members if m.kind == "blob"]
        if blob_pairs(headers) != listed_pairs(blobs):
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
    with open_archive(path, RETURN, limits) as (archive, entries):
        data = _read_manifest(archive, entries, RETURN)
        claimed_station(data, RETURN)
        manifest = verified_manifest(data, township_public_key, RETURN, entries)
        if manifest.station != station_id:
            raise WrongStationError("addressed to another station", False)
        receipts = _documents(archive, entries, manifest, "receipt", RETURN)
        events = _documents(archive, entries, manifest, "event", RETURN)
    for seq, data in receipts:
        with refusing(RETURN.outbound):
            receipt = messages.read_receipt(data, township_public_key)
        _check_owner(receipt.station, receipt.seq, manifest, seq, RETURN)
    for cursor, data in events:
        with refusing(RETURN.outbound):
            event = messages.read_event(data, township_public_key)
        _check_owner(event.station, event.cursor, manifest, cursor, RETURN)
    return ReturnBundle(manifest, tuple(d for _, d in receipts), tuple(d for _, d in events))


def _read_manifest(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo],
                   layout: Layout) -> bytes:
    sink = io.BytesIO()
    copy(archive, entries[MANIFEST], sink, layout)
    return sink.getvalue()


def _documents(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo],
               manifest: Manifest, kind: str, layout: Layout) -> list[tuple[int, bytes]]:
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
    with refusing(OUTBOUND.outbound):
        header = envelope.verify(data, key).header
    _check_owner(header.station, header.seq, manifest, seq, OUTBOUND)
    return header


def _check_owner(station: str, number: int, manifest: Manifest, named: int,
                 layout: Layout) -> None:
    if station != manifest.station or number != named:
        raise TamperedBundleError("a document does not match its name", layout.outbound)


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Member,
             directory: Path) -> BlobFile:
    path = directory / member.sha256
    with open(path, "xb") as sink:
        _verified_copy(archive, info, member, sink, OUTBOUND)
    return BlobFile(member.sha256, member.size, path)


def _verified_copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Member,
                   sink: BinaryIO, layout: Layout) -> None:
    """Raises TamperedBundleError unless what streams out is the manifest's size and digest."""
    if copy(archive, info, sink, layout) != (member.size, member.sha256):
        raise TamperedBundleError("member differs from the manifest", layout.outbound)
