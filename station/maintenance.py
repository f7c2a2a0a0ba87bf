"""Housekeeping: retention purge of delivered cases' pages and the orphan-blob sweep."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone

from station import settings
from station.materials import PurgeReport, referenced_blobs

# Where imports prepare scans (see station.importer); the new-case screen uses it.
WORK_DIR = "work"
# Blobs younger than this may belong to a save still in progress in another window/process.
SWEEP_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class MaintenanceReport:
    purged: PurgeReport
    swept: int


def run_maintenance(
    session: "Session", retention_days: int | None = None, grace: timedelta = SWEEP_GRACE  # noqa: F821
) -> MaintenanceReport:
    """Purge what retention allows, then sweep leftovers older than ``grace``."""
    if retention_days is not None:
        with session.db.atomic():
            settings.put("retention_days", retention_days)
    purged = session.materials.purge(settings.get("retention_days"))
    report = sweep(session, grace)
    return MaintenanceReport(purged, report)


def sweep(session: "Session", grace: timedelta = SWEEP_GRACE) -> int:  # noqa: F821
    """Remove temp files, unreferenced blobs and scan working copies left by a crash, all
    older than ``grace``; return how many."""
    with session.db.atomic():
        referenced = referenced_blobs()
    clock = session.ctx.clock

    def now() -> datetime:
        return clock.now().replace(tzinfo=timezone.utc)

    report = session.blobs.sweep(referenced, older_than=grace, now=now)
    work = _sweep_work(session.paths.root / WORK_DIR, now() - grace)
    return report.removed_temp + report.removed_orphans + work


def _sweep_work(folder: Path, cutoff: datetime) -> int:
    """Working folders of imports a crash interrupted: plain copies of scans."""
    removed = 0
    for leftover in folder.glob("scans-*") if folder.is_dir() else ():
        if datetime.fromtimestamp(leftover.stat().st_mtime, timezone.utc) < cutoff:
            shutil.rmtree(leftover, ignore_errors=True)
            removed += 1
    return removed
