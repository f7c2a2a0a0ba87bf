"""The working-day calendar: the bundled official years, deadlines across holidays and
into years without data, and validation of year data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.calendar import CalendarError, Deadline, WorkCalendar
from forms.errors import FormsError

D = dt.date
BUNDLED = WorkCalendar.bundled()
# 国务院办公厅关于2027年部分节假日安排的通知 is not out yet: made-up data for the tests.
YEAR_2027 = {
    "year": 2027,
    "source": "test data",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
    "workdays": [],
}


def year_data(**changes: object) -> Mapping[str, object]:
    return {**YEAR_2027, **changes}


def test_bundled_years_name_their_notice() -> None:
    assert BUNDLED.years == (2024, 2025, 2026)
    assert "国办发明电〔2023〕7号" in (BUNDLED.source(2024) or "")
    assert "国办发明电〔2024〕12号" in (BUNDLED.source(2025) or "")
    assert "国办发明电〔2025〕7号" in (BUNDLED.source(2026) or "")
    assert BUNDLED.source(2027) is None


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 24), True),  # Friday before the Spring Festival
        (D(2025, 1, 26), True),  # Sunday worked
        (D(2025, 1, 27), True),
        (D(2025, 1, 28), False),  # 除夕
        (D(2025, 2, 4), False),
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),  # Saturday worked
        (D(2025, 4, 27), True),  # Sunday worked for Labour Day
        (D(2025, 5, 2), False),
        (D(2025, 9, 28), True),  # Sunday worked for National Day
        (D(2025, 10, 8), False),
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday worked
        (D(2025, 10, 12), False),
        (D(2026, 1, 4), True),  # Sunday worked for New Year
        (D(2026, 2, 14), True),  # Saturday worked for the Spring Festival
        (D(2026, 2, 15), False),
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday worked
        (D(2026, 5, 9), True),
        (D(2026, 9, 20), True),  # Sunday worked for National Day
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday worked
        (D(2024, 2, 4), True),
        (D(2024, 2, 9), True),  # 除夕 2024 was not an official holiday
        (D(2024, 6, 10), False),
        (D(2027, 1, 1), True),  # no data for 2027: weekdays work
        (D(2027, 1, 2), False),
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert BUNDLED.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 1, 24), 5, D(2025, 2, 7)),
        (D(2025, 1, 24), 6, D(2025, 2, 8)),
        (D(2025, 1, 24), 7, D(2025, 2, 10)),
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 26), 4, D(2025, 10, 9)),
        (D(2025, 9, 26), 6, D(2025, 10, 11)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 13), 5, D(2026, 2, 27)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 11, 23), 20, D(2026, 12, 21)),
        (D(2026, 11, 23), 0, D(2026, 11, 23)),
    ],
)
def test_add_working_days_with_official_data(start: dt.date, n: int, due: dt.date) -> None:
    assert BUNDLED.add_working_days(start, n) == Deadline(due, provisional=False)


def test_a_deadline_running_into_a_year_without_data_is_provisional() -> None:
    deadline = BUNDLED.add_working_days(D(2026, 12, 15), 20)
    assert deadline == Deadline(D(2027, 1, 12), provisional=True)


def test_data_for_the_next_year_makes_it_final() -> None:
    calendar = BUNDLED.with_years({2027: YEAR_2027})
    assert calendar.years == (2024, 2025, 2026, 2027)
    assert calendar.add_working_days(D(2026, 12, 15), 20) == Deadline(D(2027, 1, 13), False)
    assert BUNDLED.years == (2024, 2025, 2026)


def test_with_years_replaces_a_year() -> None:
    corrected = {
        "year": 2026,
        "source": "a corrected release",
        "holidays": ["2026-12-31"],
        "workdays": [],
    }
    calendar = BUNDLED.with_years({2026: corrected})
    assert calendar.source(2026) == "a corrected release"
    assert calendar.is_working_day(D(2026, 12, 31)) is False
    assert calendar.is_working_day(D(2026, 10, 8)) is True
    assert calendar.is_working_day(D(2026, 10, 1)) is True


def test_a_calendar_without_any_data_counts_weekends_only() -> None:
    calendar = WorkCalendar({})
    assert calendar.add_working_days(D(2025, 1, 24), 3) == Deadline(D(2025, 1, 29), True)


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        (D(2025, 1, 1), D(2025, 12, 31), 248),
        (D(2024, 1, 1), D(2024, 12, 31), 251),
        (D(2025, 1, 24), D(2025, 2, 5), 3),
        (D(2025, 2, 5), D(2025, 1, 24), -3),
        (D(2025, 1, 24), D(2025, 1, 24), 0),
    ],
)
def test_working_days_between(a: dt.date, b: dt.date, count: int) -> None:
    assert BUNDLED.working_days_between(a, b) == count


@given(st.dates(D(2024, 1, 1), D(2027, 12, 31)), st.integers(0, 60))
def test_counting_undoes_adding(start: dt.date, n: int) -> None:
    deadline = BUNDLED.add_working_days(start, n)
    assert BUNDLED.working_days_between(start, deadline.date) == n
    assert n == 0 or BUNDLED.is_working_day(deadline.date)
    assert deadline.provisional == (n > 0 and deadline.date.year > 2026)


def test_negative_day_counts_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        BUNDLED.add_working_days(D(2026, 1, 1), -1)


@pytest.mark.parametrize(
    "data",
    [
        year_data(year=2028),
        year_data(year="2027"),
        year_data(source=""),
        year_data(source=None),
        year_data(holidays="2027-01-01"),
        year_data(holidays=["2027-01-32"]),
        year_data(holidays=["2027/01/01"]),
        year_data(holidays=[20270101]),
        year_data(holidays=[dt.datetime(2027, 1, 1)]),
        year_data(holidays=["2026-12-31"]),  # outside the year
        year_data(workdays=["2028-01-01"]),
        year_data(workdays=["2027-01-04"]),  # a Monday
        year_data(workdays=["2027-01-02"]),  # both holiday and workday
        year_data(names=[]),  # unknown key
        {"year": 2027, "source": "test data", "holidays": []},
        [],
    ],
)
def test_invalid_year_data_is_refused(data: Mapping[str, object]) -> None:
    with pytest.raises(CalendarError):
        WorkCalendar({2027: data})
    with pytest.raises(CalendarError):
        BUNDLED.with_years({2027: data})


def test_accepted_spellings_of_year_data() -> None:
    calendar = WorkCalendar(
        {2027: year_data(holidays=[D(2027, 1, 1), "2027-01-01"], workdays=[], **{"x-note": 1})}
    )
    assert calendar.is_working_day(D(2027, 1, 1)) is False
    assert issubclass(CalendarError, FormsError)
