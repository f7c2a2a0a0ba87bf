"""Time for the station: naive UTC in the store, China Standard Time for dates people see."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# China has one time zone and no daylight saving time; a fixed offset needs no tz database.
CHINA = timezone(timedelta(hours=8), "CST")


class Clock:
    """The real clock. Tests inject a subclass or any object with ``now``/``today``."""

    def now(self) -> datetime:
        """The current time as naive UTC, the form the store keeps."""
        return datetime.now(timezone.utc).replace(tzinfo=None)

    def today(self) -> date:
        """Today's date in China."""
        return to_local(self.now()).date()


class FixedClock(Clock):
    """A clock that stands still until moved; for tests and reproducible demos."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def to_local(moment: datetime) -> datetime:
    """A naive-UTC store time as an aware China time."""
    return moment.replace(tzinfo=timezone.utc).astimezone(CHINA)
