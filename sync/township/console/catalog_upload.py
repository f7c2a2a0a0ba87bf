"""Unpacking an uploaded catalog zip safely: a catalog directory (``catalog.yaml``,
``matters/*.yaml``, ``calendar/*.yaml``, an optional ``README.md``) at the zip's root or
inside exactly one top folder, and nothing else.

Every member name is checked before anything is written: no absolute path, no ``..``, no
link or special file, no encrypted member, nothing outside the catalog layout. The member
count and the compressed and uncompressed totals are limited, and the uncompressed bytes
are counted as they are written (a member's declared size is not trusted), so a zip bomb
stops at the limit. The files go into a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from forms.catalog import CALENDAR_DIR, HEADER_FILE, MATTERS_DIR
from forms.i18n import _
from sync.township.config import MiB

README = "README.md"
_YAML_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.yaml")
_CHUNK = 64 * 1024
_SHOWN = 80  # characters of a refused member name shown on the page


@dataclass(frozen=True)
class UploadLimits:
    """What an uploaded catalog zip may hold."""

    compressed: int = 16 * MiB
    uncompressed: int = 64 * MiB
    members: int = 2000


class CatalogUploadError(Exception):
    """The upload is not a catalog zip this console unpacks; the message says why."""


@contextmanager
def unpacked(source: BinaryIO, limits: UploadLimits = UploadLimits()) -> Iterator[Path]:
    """The catalog directory of the zip ``source``, unpacked into a temporary directory
    that is removed when the block ends. Raises CatalogUploadError (nothing unpacked)."""
    with tempfile.TemporaryDirectory(prefix="township-catalog-") as folder:
        target = Path(folder) / "catalog"
        _unpack(source, target, limits)
        yield target


def _unpack(source: BinaryIO, target: Path, limits: UploadLimits) -> None:
    source.seek(0, 2)
    if source.tell() > limits.compressed:
        raise CatalogUploadError(_("The zip is larger than {size} MB.").format(
            size=limits.compressed // MiB))
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            _extract(archive, _checked_members(archive, limits), target, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise CatalogUploadError(_("The file is not a zip archive that can be read.")) \
            from error


def _checked_members(archive: zipfile.ZipFile,
                     limits: UploadLimits) -> dict[zipfile.ZipInfo, tuple[str, ...]]:
    """The file members to write, each with its path inside the catalog directory.
    Raises CatalogUploadError."""
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise CatalogUploadError(_("The zip holds more than {count} entries.").format(
            count=limits.members))
    parts = {info: _parts(info) for info in infos}
    top = _top_folder(set(parts.values()))
    files = {info: path[len(top):] for info, path in parts.items() if not info.is_dir()}
    for info, path in files.items():
        if not _allowed(path):
            raise CatalogUploadError(_refused_name(info.filename))
    if sum(info.file_size for info in files) > limits.uncompressed:
        raise _too_large(limits)
    return files


def _parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The components of a member's name; raises CatalogUploadError for an absolute or
    climbing name, a link, a special file or an encrypted member."""
    name = info.filename
    parts = tuple(name.rstrip("/").split("/"))
    if (name.startswith("/") or "\\" in name or ":" in name
            or any(part in ("", ".", "..") for part in parts)):
        raise CatalogUploadError(_refused_name(name))
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise CatalogUploadError(_("The zip holds a link or a special file: {name}").format(
            name=name[:_SHOWN]))
    if info.flag_bits & 0x1:
        raise CatalogUploadError(_("The zip holds an encrypted file: {name}").format(
            name=name[:_SHOWN]))
    return parts


def _top_folder(found: Collection[tuple[str, ...]]) -> tuple[str, ...]:
    """``()`` when catalog.yaml is at the root, ``(folder,)`` when every member is inside
    one folder that holds it. Raises CatalogUploadError otherwise."""
    if (HEADER_FILE,) in found:
        return ()
    tops = {path[0] for path in found}
    if len(tops) == 1:
        top = tops.pop()
        if (top, HEADER_FILE) in found:
            return (top,)
    raise CatalogUploadError(_("The zip has no catalog.yaml at its root or inside one "
                               "top folder."))


def _allowed(path: tuple[str, ...]) -> bool:
    if path in ((HEADER_FILE,), (README,)):
        return True
    return (len(path) == 2 and path[0] in (MATTERS_DIR, CALENDAR_DIR)
            and _YAML_NAME.fullmatch(path[1]) is not None)


def _extract(archive: zipfile.ZipFile, files: dict[zipfile.ZipInfo, tuple[str, ...]],
             target: Path, limits: UploadLimits) -> None:
    """Write ``files`` under ``target``, counting the bytes actually unpacked."""
    budget = limits.uncompressed
    for info, path in files.items():
        destination = target.joinpath(*path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(destination, "xb") as sink:
            budget -= _copy(source, sink, budget + 1)
        if budget < 0:
            raise _too_large(limits)


def _copy(source: BinaryIO, sink: BinaryIO, most: int) -> int:
    """Copy at most ``most`` bytes; the number copied."""
    copied = 0
    while copied < most:
        chunk = source.read(min(_CHUNK, most - copied))
        if not chunk:
            break
        sink.write(chunk)
        copied += len(chunk)
    return copied


def _too_large(limits: UploadLimits) -> CatalogUploadError:
    return CatalogUploadError(_("The zip unpacks to more than {size} MB.").format(
        size=limits.uncompressed // MiB))


def _refused_name(name: str) -> str:
    return _("The zip holds a file that does not belong to a catalog: {name}").format(
        name=name[:_SHOWN])

