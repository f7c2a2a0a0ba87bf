"""Writing a workbook so that the target path holds a whole file or nothing.

The workbook is saved under a temporary name in the target's directory, flushed to disk,
then moved over the target with ``os.replace`` (atomic on one file system). A failed or
cancelled export leaves no partial file behind.
"""

from __future__ import annotations

import logging
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from openpyxl import Workbook

from station.errors import StationError
from station.i18n import _

log = logging.getLogger(__name__)


class LedgerWriteError(StationError):
    """The file could not be written (missing folder, no permission, disk full)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The file could not be saved. Check that the folder exists, that you may "
                "write there and that the disk has free space, then try again."
            )
        )


@contextmanager
def pending_file(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; whatever is left at it is removed at the end.

    Raises LedgerWriteError when the directory cannot take a new file.
    """
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".part")
    except OSError:
        raise LedgerWriteError() from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def save(workbook: Workbook, temporary: Path) -> None:
    """Save ``workbook`` at ``temporary`` and flush it to disk; raises LedgerWriteError."""
    try:
        workbook.save(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
    except OSError:
        raise LedgerWriteError() from None


def discard(workbook: Workbook, temporary: Path) -> None:
    """Close a write-only workbook that will not be kept.

    Saving is openpyxl's only public way to remove the worksheet data it streams to the
    system's temporary folder; the saved file is removed by ``pending_file``.
    """
    try:
        workbook.save(temporary)
    except Exception as exc:  # already failing: keep the first error, note this one
        log.warning("could not close an abandoned export: %s", type(exc).__name__)


def publish(temporary: Path, path: Path) -> None:
    """Move the finished file into place; raises LedgerWriteError."""
    try:
        os.replace(temporary, path)
    except OSError:
        raise LedgerWriteError() from None
