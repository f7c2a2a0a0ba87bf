"""The working-day calendar: official holidays and adjusted working days, per year.

Each year is data in the format the catalog releases carry (and that the bundled
``forms/data/calendar/<year>.yaml`` files use)::

    {year: 2026, source: "国务院办公厅关于...的通知（国办发明电〔2025〕7号）",
     holidays: [2026-01-01, ...], workdays: [2026-01-04, ...]}

``holidays`` are days off (weekend days inside a holiday period may be listed too);
``workdays`` are weekend days worked instead (调休上班). Dates are ``datetime.date`` or
``"YYYY-MM-DD"`` strings; other keys must start with ``x-``. A year without data counts
weekends only, and every result that depends on such a year is marked provisional instead
of failing.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

import yaml

from forms.errors import FormsError
from forms.i18n import _

_DATA_DIR = ("data", "calendar")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEYS = frozenset({"year", "source", "holidays", "workdays"})
_SATURDAY = 5
_ONE_DAY = dt.timedelta(days=1)


class CalendarError(FormsError):
    """The data of a calendar year is malformed or inconsistent."""


@dataclass(frozen=True)
class Deadline:
    """A computed due date; ``provisional`` when it depends on a year without data."""

    date: dt.date
    provisional: bool


@dataclass(frozen=True)
class _Year:
    source: str
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]


class WorkCalendar:
    """Working days by the official calendar of the years it has data for.

    Raises CalendarError on construction when a year's data is invalid.
    """

    def __init__(self, years: Mapping[int, Mapping[str, object]]) -> None:
        self._years = {year: _parse_year(year, data) for year, data in years.items()}

    @classmethod
    def bundled(cls) -> WorkCalendar:
        """The calendar of the years shipped with the application (loaded once)."""
        return _bundled()

    def with_years(self, years: Mapping[int, Mapping[str, object]]) -> WorkCalendar:
        """A new calendar with ``years`` added, replacing years already present.

        Raises CalendarError.
        """
        calendar = WorkCalendar(years)
        calendar._years = {**self._years, **calendar._years}
        return calendar

    @property
    def years(self) -> tuple[int, ...]:
        """The years this calendar has official data for, ascending."""
        return tuple(sorted(self._years))

    def source(self, year: int) -> str | None:
        """The notice a year's data was transcribed from; None for a year without data."""
        data = self._years.get(year)
        return data.source if data else None

    def is_working_day(self, day: dt.date) -> bool:
        """True on a working day (weekends only for a year without data)."""
        data = self._years.get(day.year)
        if data is not None and day in data.workdays:
            return True
        if data is not None and day in data.holidays:
            return False
        return day.weekday() < _SATURDAY

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` itself not counted).

        Raises ValueError for a negative ``n``.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day, provisional = start, False
        while n:
            day += _ONE_DAY
            provisional = provisional or day.year not in self._years
            if self.is_working_day(day):
                n -= 1
        return Deadline(day, provisional)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``; negative when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        days = (a + _ONE_DAY * offset for offset in range(1, (b - a).days + 1))
        return sum(1 for day in days if self.is_working_day(day))


@functools.cache
def _bundled() -> WorkCalendar:
    folder = resources.files("forms").joinpath(*_DATA_DIR)
    years: dict[int, Mapping[str, object]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            years[int(entry.name.removesuffix(".yaml"))] = data
    return WorkCalendar(years)


def _parse_year(year: int, data: Mapping[str, object]) -> _Year:
    if not isinstance(data, Mapping) or data.get("year") != year:
        raise CalendarError(
            _("Calendar {year}: the data does not name the year {year}.").format(year=year)
        )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalendarError(_("Calendar {year}: the source notice is missing.").format(year=year))
    extra = [key for key in data if key not in _KEYS and not str(key).startswith("x-")]
    if extra or not data.keys() >= _KEYS:
        raise CalendarError(
            _("Calendar {year}: expected the keys year, source, holidays and workdays.").format(
                year=year
            )
        )
    holidays = _dates(year, data["holidays"])
    workdays = _dates(year, data["workdays"])
    _check_consistent(year, holidays, workdays)
    return _Year(source, holidays, workdays)


def _check_consistent(
    year: int, holidays: frozenset[dt.date], workdays: frozenset[dt.date]
) -> None:
    both = sorted(holidays & workdays)
    if both:
        raise CalendarError(
            _("Calendar {year}: {date} is both a holiday and a working day.").format(
                year=year, date=both[0].isoformat()
            )
        )
    weekdays = sorted(day for day in workdays if day.weekday() < _SATURDAY)
    if weekdays:
        raise CalendarError(
            _("Calendar {year}: adjusted working day {date} is not a weekend day.").format(
                year=year, date=weekdays[0].isoformat()
            )
        )


def _dates(year: int, values: object) -> frozenset[dt.date]:
    if not isinstance(values, Iterable) or isinstance(values, (str, bytes, Mapping)):
        raise CalendarError(_("Calendar {year}: expected a list of dates.").format(year=year))
    dates = frozenset(_date(year, value) for value in values)
    outside = sorted(day for day in dates if day.year != year)
    if outside:
        raise CalendarError(
            _("Calendar {year}: {date} is not in that year.").format(
                year=year, date=outside[0].isoformat()
            )
        )
    return dates


def _date(year: int, value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(
        _("Calendar {year}: {value} is not a date (YYYY-MM-DD).").format(
            year=year, value=repr(value)
        )
    )
