"""The ledger screen: export a month or a date range, and the station's day."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Callable

from station.i18n import _
from station.ledger import (
    DailySummary,
    LedgerReport,
    daily_summary,
    export_daily_summary,
    export_ledger,
    month_period,
)
from station.session import Session


def parse_day(text: str) -> date:
    """A date typed as YYYY-MM-DD. Raises ValueError."""
    return date.fromisoformat(text.strip())


class LedgerPresenter:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.cancelled = threading.Event()

    def this_month(self) -> tuple[date, date]:
        today = self._session.ctx.clock.today()
        return month_period(today.year, today.month)

    def suggested_name(self, start: date, end: date) -> str:
        station = self._session.ctx.station.code
        return f"{station}-台账-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"

    def export(self, start: date, end: date, path: Path,
               progress: Callable[[int, int], None]) -> LedgerReport:
        """Write the ledger (slow: runs on the worker; ``cancel`` stops it)."""
        self.cancelled.clear()
        return export_ledger(self._session, start, end, path, progress=progress,
                             cancel=self.cancelled.is_set)

    def cancel(self) -> None:
        self.cancelled.set()

    def day(self, day: date | None = None) -> DailySummary:
        return daily_summary(self._session, day or self._session.ctx.clock.today())

    def export_day(self, day: date, path: Path) -> Path:
        return export_daily_summary(self._session, day, path)

    @staticmethod
    def day_text(summary: DailySummary) -> str:
        lines = [_("Received: {n}").format(n=summary.received_total)]
        lines += [f"  · {name}: {count}" for name, count in summary.received]
        lines.append(_("Submitted {s} · returned {r} · completed {c}").format(
            s=summary.submitted, r=summary.returned, c=summary.completed))
        lines.append(_("Deferred materials due today: {n} · overdue: {o}").format(
            n=len(summary.due), o=len(summary.overdue)))
        return "\n".join(lines)
