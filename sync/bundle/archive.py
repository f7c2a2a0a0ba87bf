"""The zip container as a reader sees it: opened only once every entry's name, compression,
size and ratio, and the entries' total and overlap, are within the rules; members streamed
in chunks."""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from sync.bundle.errors import (DamagedBundleError, NotABundleError, OversizedBundleError,
                                UnsafeBundleError)
from sync.bundle.manifest import LAYOUTS, MANIFEST, BundleLimits, Layout

CHUNK = 1024 * 1024
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
                   ValueError, RuntimeError, NotImplementedError)


@contextlib.contextmanager
def open_archive(
    path: str | os.PathLike[str], layout: Layout, limits: BundleLimits,
) -> Iterator[tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]]:
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


def _entries(infos: list[zipfile.ZipInfo], layout: Layout, limits: BundleLimits,
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


def _checked_entry(info: zipfile.ZipInfo, layout: Layout,
                   limits: BundleLimits) -> zipfile.ZipInfo:
    kind = "manifest" if info.filename == MANIFEST else layout.kind_of(info.filename)
    if kind is None and any(other.kind_of(info.filename) for other in LAYOUTS):
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


def copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: BinaryIO,
         layout: Layout) -> tuple[int, str]:
    """Stream a member into ``sink``; its size and SHA-256. Raises DamagedBundleError."""
    hasher, count = hashlib.sha256(), 0
    for chunk in _member_chunks(archive, info, layout):
        hasher.update(chunk)
        count += len(chunk)
        sink.write(chunk)
    return count, hasher.hexdigest()


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   layout: Layout) -> Iterator[bytes]:
    try:
        with archive.open(info) as source:
            while chunk := source.read(CHUNK):
                yield chunk
    except _ARCHIVE_ERRORS:
        raise DamagedBundleError("member cannot be read to its end", layout.outbound) from None
