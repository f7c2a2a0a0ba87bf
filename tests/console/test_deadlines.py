"""Deadlines: promised working days counted from acceptance on the official calendar, in
China Standard Time, and how close a due date is."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from forms.calendar import WorkCalendar
from sync.township.console.deadlines import Urgency, deadline, due_date, local_date, utc_start

CALENDAR = WorkCalendar.bundled()


@pytest.mark.parametrize("accepted_at, days, due", [
    (datetime(2026, 11, 23, 2, 0), 1, date(2026, 11, 24)),      # Monday in Beijing
    (datetime(2026, 11, 22, 17, 0), 1, date(2026, 11, 24)),     # Monday 01:00 in Beijing
    (datetime(2026, 11, 20, 2, 0), 1, date(2026, 11, 23)),      # Friday -> Monday
    (datetime(2026, 9, 30, 2, 0), 1, date(2026, 10, 8)),        # across the National Day
    (datetime(2026, 11, 23, 2, 0), 0, date(2026, 11, 23)),
])
def test_the_due_date_counts_working_days_in_beijing(accepted_at: datetime, days: int,
                                                     due: date) -> None:
    assert due_date(CALENDAR, accepted_at, days) == (due, False)


def test_a_year_without_a_calendar_is_provisional() -> None:
    assert due_date(CALENDAR, datetime(2099, 12, 30, 2, 0), 5)[1] is True


@pytest.mark.parametrize("today, urgency, left", [
    (date(2026, 11, 16), Urgency.OK, 5),
    (date(2026, 11, 18), Urgency.SOON, 3),
    (date(2026, 11, 23), Urgency.SOON, 0),
    (date(2026, 11, 24), Urgency.OVERDUE, -1),
])
def test_how_close_a_due_date_is(today: date, urgency: Urgency, left: int) -> None:
    found = deadline(CALENDAR, datetime(2026, 11, 2, 2, 0), date(2026, 11, 23), False, today, 3)
    assert (found.urgency, found.left, found.accepted_on) == (urgency, left, date(2026, 11, 2))


def test_local_days_begin_at_midnight_in_beijing() -> None:
    assert utc_start(date(2026, 11, 23)) == datetime(2026, 11, 22, 16, 0)
    assert local_date(datetime(2026, 11, 22, 16, 0)) == date(2026, 11, 23)
    assert local_date(datetime(2026, 11, 22, 15, 59)) == date(2026, 11, 22)
