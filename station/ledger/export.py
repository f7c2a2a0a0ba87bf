"""Exporting the ledger (台账) of a period to an .xlsx file.

Runs on a worker thread as well as on the UI thread: it opens that thread's own connection
if it has none (and closes it afterwards), and reads in one read transaction, so the rows
and totals are one consistent snapshot while agents go on saving cases. Rows stream to the
file in batches (openpyxl's write-only mode), so memory stays flat at 100,000 cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from openpyxl import Workbook

from station.audit import Action
from station.context import ServiceContext
from station.errors import StationError
from station.i18n import _
from station.ledger import files, styles
from station.ledger.access import connected, reading, service_context
from station.ledger.period import check_period, local_date
from station.ledger.rows import count_rows, ledger_batches
from station.ledger.sheet import LedgerSheet, SheetHeading

if TYPE_CHECKING:
    from station.session import Session

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class ExportCancelledError(StationError):
    """The agent stopped the export; no file was written."""

    def __init__(self) -> None:
        super().__init__(_("The export was cancelled; no file was saved."))


@dataclass(frozen=True)
class LedgerReport:
    """What an export wrote: how many case rows, and where."""

    rows: int
    path: Path


def export_ledger(
    source: "Session | ServiceContext",
    start: date,
    end: date,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    mask_id_numbers: bool = False,
) -> LedgerReport:
    """Write the ledger of the cases created (China dates) ``start``..``end`` to ``path``.

    ``progress(done, total)`` is called as rows are written; ``cancel()`` returning True
    stops the export. ``mask_id_numbers`` keeps only the first 6 and last 4 characters.
    The export is recorded in the audit log (period and count, nothing personal).
    Raises LedgerPeriodError, ExportCancelledError, LedgerWriteError; on any error
    ``path`` is left as it was.
    """
    check_period(start, end)
    ctx = service_context(source)
    path = Path(path)
    job = _LedgerJob(ctx, start, end, mask_id_numbers, progress or _ignore, cancel or _never)
    with files.pending_file(path) as temporary, connected(ctx):
        with reading(ctx):
            rows = job.write(temporary)
        detail = {"what": "ledger", "from": start.isoformat(), "to": end.isoformat()}
        detail.update(rows=rows, masked=mask_id_numbers)
        with ctx.atomic():
            ctx.record(Action.EXPORT, "ledger", None, detail)
            files.publish(temporary, path)
    log.info("ledger exported: %d rows", rows)
    return LedgerReport(rows, path)


@dataclass(frozen=True)
class _LedgerJob:
    ctx: ServiceContext
    start: date
    end: date
    mask_id_numbers: bool
    progress: Progress
    cancel: Cancel

    def write(self, temporary: Path) -> int:
        """Stream the sheet to ``temporary``; return the number of case rows."""
        total = count_rows(self.start, self.end)
        now = self.ctx.clock.now()
        workbook = Workbook(write_only=True)
        styles.register(workbook)
        heading = SheetHeading(self.ctx.station.name, self.start, self.end, now)
        sheet = LedgerSheet(workbook, heading, self.mask_id_numbers)
        self.progress(0, total)
        try:
            self._rows(sheet, total)
        except BaseException:
            files.discard(workbook, temporary)
            raise
        sheet.finish(self.ctx.agent.display_name, local_date(now))
        files.save(workbook, temporary)
        return sheet.rows

    def _rows(self, sheet: LedgerSheet, total: int) -> None:
        for batch in ledger_batches(self.start, self.end):
            for row in batch:
                if self.cancel():
                    raise ExportCancelledError()
                sheet.add(row)
            self.progress(sheet.rows, total)


def _ignore(done: int, total: int) -> None:
    """No progress display."""


def _never() -> bool:
    return False
