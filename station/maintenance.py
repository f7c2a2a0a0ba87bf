"""Housekeeping: retention purge of delivered cases' pages and the orphan-blob sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from station import settings
from station.materials import PurgeReport, referenced_blobs

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
    """Remove temp files and unreferenced blobs older than ``grace``; return how many."""
    with session.db.atomic():
        referenced = referenced_blobs()
    clock = session.ctx.clock

    def now() -> datetime:
        return clock.now().replace(tzinfo=timezone.utc)

    report = session.blobs.sweep(referenced, older_than=grace, now=now)
    return report.removed_temp + report.removed_orphans
