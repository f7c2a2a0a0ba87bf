"""Times as township staff read them (China Standard Time, UTC+8, no daylight saving) and
deadlines: the promised working days counted from acceptance, and how close they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from forms.calendar import WorkCalendar

LOCAL = timezone(timedelta(hours=8))


class Urgency(StrEnum):
    OK = "ok"
    SOON = "soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Deadline:
    """When an accepted case is due; ``left`` counts working days after today up to it
    (negative once overdue)."""

    accepted_on: date
    due_on: date
    provisional: bool
    left: int
    urgency: Urgency


def local_time(moment: datetime) -> datetime:
    """A naive UTC time as China Standard Time."""
    return moment.replace(tzinfo=timezone.utc).astimezone(LOCAL)


def local_date(moment: datetime) -> date:
    return local_time(moment).date()


def utc_start(day: date) -> datetime:
    """The naive UTC time at which local ``day`` begins."""
    return datetime.combine(day, time(), LOCAL).astimezone(timezone.utc).replace(tzinfo=None)


def due_date(calendar: WorkCalendar, accepted_at: datetime,
             promised_days: int) -> tuple[date, bool]:
    """The due date of a case accepted at ``accepted_at`` and whether it is provisional."""
    deadline = calendar.add_working_days(local_date(accepted_at), promised_days)
    return deadline.date, deadline.provisional


def deadline(calendar: WorkCalendar, accepted_at: datetime, due_on: date, provisional: bool,
             today: date, soon_days: int) -> Deadline:
    """How ``due_on`` stands on ``today``: overdue after it, soon within ``soon_days``
    working days."""
    left = calendar.working_days_between(today, due_on)
    if due_on < today:
        urgency = Urgency.OVERDUE
    elif left <= soon_days:
        urgency = Urgency.SOON
    else:
        urgency = Urgency.OK
    return Deadline(local_date(accepted_at), due_on, provisional, left, urgency)
