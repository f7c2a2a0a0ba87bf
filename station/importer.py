"""Importing many scans as pages of one material, on a worker thread.

Each file is prepared (:func:`station.images.prepare_scan`) into a private working
directory; then every good one is stored by one
:meth:`station.materials.MaterialService.attach_pages` call, all or none.

A file that is not a usable scan (not a JPEG/PNG/PDF, damaged, too large, unreadable) is
skipped and reported, and the good pages are still added: one bad file must not cost the
agent the others. A failure to store (disk full, the case no longer editable) adds nothing
and is raised. Cancelling stops before the next file and adds nothing.

Nothing here names a file: problems point back into the caller's list by index, and
messages are the scan errors' plain words (a path can name a person). ``progress`` is
called on the worker thread; the UI's callback puts the value on its queue.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from station.i18n import _, ngettext
from station.images import PreparedScan, ScanError, ScanLimits, prepare_scan, private_workdir
from station.models import MaterialFile

log = logging.getLogger(__name__)


class ImportProgress(NamedTuple):
    """Files looked at so far, of ``total``, and their size in bytes."""

    done: int
    total: int
    bytes: int


class PageSink(Protocol):
    """Where good pages go, all or none: :class:`station.materials.MaterialService`, or an
    adapter that stores them another way (materials brought after submission)."""

    def attach_pages(
        self, case_uuid: str, requirement_code: str, sources: Sequence[Path]
    ) -> list[MaterialFile]: ...


class CancelToken(Protocol):
    """What ``cancel`` must offer; a :class:`threading.Event` does."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class ImportProblem:
    """A file that was skipped: its index in the caller's list and why."""

    index: int
    error: ScanError

    @property
    def message(self) -> str:
        return str(self.error)


@dataclass(frozen=True)
class ImportedPage:
    """A page that was added: the file's index in the caller's list and what was done to it."""

    index: int
    page_uuid: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_pages` did."""

    pages: tuple[ImportedPage, ...] = ()
    problems: tuple[ImportProblem, ...] = ()
    cancelled: bool = False

    def summary(self) -> str:
        """One plain sentence for the agent."""
        if self.cancelled:
            return _("Import cancelled; no page was added.")
        added = ngettext("{n} page added.", "{n} pages added.", len(self.pages)).format(
            n=len(self.pages)
        )
        if not self.problems:
            return added
        skipped = ngettext(
            "{n} file could not be used.", "{n} files could not be used.", len(self.problems)
        ).format(n=len(self.problems))
        return f"{added} {skipped}"


def import_pages(
    materials: PageSink,
    case_uuid: str,
    requirement_code: str,
    paths: Sequence[Path],
    *,
    progress: Callable[[ImportProgress], None] | None = None,
    cancel: CancelToken | None = None,
    work_dir: Path | None = None,
    limits: ScanLimits = ScanLimits(),
) -> ImportReport:
    """Prepare ``paths`` and add the good ones as the next pages of a requirement.

    ``work_dir`` is where the private working directory is made (best on the station's
    disk; default: the system temp directory). Raises what ``attach_pages`` raises
    (CaseEditError, MaterialError, DiskFullError, MaterialWriteError), at once if the case
    is not editable; then no page was added.
    """
    materials.attach_pages(case_uuid, requirement_code, [])  # fails early if not editable
    report = _Progress(len(paths), progress)
    with private_workdir(work_dir) as scratch:
        prepared: list[tuple[int, PreparedScan]] = []
        problems: list[ImportProblem] = []
        for index, path in enumerate(paths):
            if cancel is not None and cancel.is_set():
                return ImportReport(problems=tuple(problems), cancelled=True)
            try:
                prepared.append((index, prepare_scan(path, scratch, limits)))
            except ScanError as error:
                problems.append(ImportProblem(index, error))
            report.file_done(path)
        if cancel is not None and cancel.is_set():
            return ImportReport(problems=tuple(problems), cancelled=True)
        pages = _attach(materials, case_uuid, requirement_code, prepared)
    log.info("imported %d pages, skipped %d files", len(pages), len(problems))
    return ImportReport(tuple(pages), tuple(problems))


def _attach(
    materials: PageSink,
    case_uuid: str,
    requirement_code: str,
    prepared: list[tuple[int, PreparedScan]],
) -> list[ImportedPage]:
    rows = materials.attach_pages(case_uuid, requirement_code, [scan.path for _i, scan in prepared])
    return [
        ImportedPage(index, row.uuid, tuple(scan.notes()))
        for (index, scan), row in zip(prepared, rows, strict=True)
    ]


class _Progress:
    """Counts files and bytes and tells ``callback`` after each file (and once at the start)."""

    def __init__(self, total: int, callback: Callable[[ImportProgress], None] | None) -> None:
        self._callback = callback
        self._value = ImportProgress(0, total, 0)
        self._tell()

    def file_done(self, path: Path) -> None:
        done, total, size = self._value
        self._value = ImportProgress(done + 1, total, size + _size_of(path))
        self._tell()

    def _tell(self) -> None:
        if self._callback is not None:
            self._callback(self._value)


def _size_of(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
