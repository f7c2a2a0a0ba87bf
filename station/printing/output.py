"""Where printed PDFs are written: ``<data dir>/print``, readable by the owner only.

Receipts carry personal data, so they never go to the world-readable system temp folder.
Files older than a day are removed whenever the folder is asked for.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from station.printing.documents import DocumentKind

if TYPE_CHECKING:
    from station.session import Session

log = logging.getLogger(__name__)

FOLDER = "print"
MAX_AGE_SECONDS = 24 * 60 * 60
_PRIVATE_DIR = 0o700


def output_dir(session: Session) -> Path:
    """``<data dir>/print``, created (mode 0700) if needed, cleared of old files."""
    return prepare_dir(Path(session.paths.root) / FOLDER)


def prepare_dir(folder: Path, *, now: float | None = None) -> Path:
    """Create ``folder`` private to the owner (tightening it if it exists) and remove
    the files in it older than a day (by ``now``, seconds since the epoch)."""
    folder.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(folder, _PRIVATE_DIR)
    cleanup(folder, now=now)
    return folder


def cleanup(folder: Path, *, now: float | None = None, max_age: float = MAX_AGE_SECONDS) -> int:
    """Remove the files in ``folder`` last changed more than ``max_age`` seconds before
    ``now`` (default: the current time); return how many went. A file still open in a
    viewer (Windows refuses to delete it) is left for the next time."""
    limit = (time.time() if now is None else now) - max_age
    removed = 0
    for entry in folder.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                entry.unlink()
                removed += 1
        except OSError:
            continue
    if removed:
        log.info("removed %d old printed files", removed)
    return removed


def pdf_path(folder: Path, case_number: str, kind: DocumentKind) -> Path:
    """A fresh file name for a document: case number (no personal data), kind and a
    random part, so that a copy still open in a viewer is never overwritten."""
    return folder / f"{case_number}-{kind}-{uuid.uuid4().hex[:8]}.pdf"
