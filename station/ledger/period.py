"""Periods of China dates and the naive-UTC store times that bound them."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone

from station.clock import CHINA, to_local
from station.errors import StationError
from station.i18n import _


class LedgerPeriodError(StationError):
    """The period asked for is empty (it ends before it starts)."""

    def __init__(self) -> None:
        super().__init__(
            _("The period ends before it starts: choose an end date on or after the start.")
        )


def utc_start(day: date) -> datetime:
    """Midnight at the start of a China date, as naive UTC."""
    local = datetime.combine(day, time.min, tzinfo=CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def check_period(start: date, end: date) -> None:
    """Raises LedgerPeriodError when ``end`` is before ``start``."""
    if end < start:
        raise LedgerPeriodError()


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[from, until) in store time for the China dates ``start`` to ``end``, both included.

    Raises LedgerPeriodError when ``end`` is before ``start``.
    """
    check_period(start, end)
    return utc_start(start), utc_start(end + timedelta(days=1))


def local_date(moment: datetime | None) -> date | None:
    """The China date of a naive-UTC store time."""
    return to_local(moment).date() if moment is not None else None


def month_period(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month, for exporting a month's ledger."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
