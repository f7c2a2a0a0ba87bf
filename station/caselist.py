"""The case list: filters, search by name / ID number / phone / case number, keyset paging.

Paging walks the (created_at, id) index from a cursor instead of using OFFSET, so page 2,000
costs what page 1 costs, also at 100,000 cases. A page never fetches and sorts thousands of
matches: when every condition of the filter matches many cases, none may use its index
(``+column``), so SQLite walks the cases newest first and stops at a full page; otherwise the
condition with the fewest matches drives the query through its index and only those are
sorted, unless the newest cases already hold a full page. ``bench/store.py`` measures each
way (``docs/benchmarks.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from peewee import SQL, Expression, NodeList, Tuple

from station.clock import CHINA
from station.lifecycle import CaseState
from station.models import Agent, Applicant, Case


# A condition with more matches than this never drives a page's query.
_FEW = 2000
# How many of the newest cases are looked at first when a condition could drive the query.
_GLANCE = 1000


@dataclass(frozen=True)
class CaseFilter:
    """What the agent narrowed the list to; dates are China dates, both ends included."""

    states: tuple[CaseState, ...] = ()
    matter_code: str | None = None
    agent_login: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None
    promised_from: date | None = None
    promised_to: date | None = None


@dataclass(frozen=True)
class CaseRow:
    uuid: str
    local_number: str
    matter_name: str
    applicant_name: str
    state: CaseState
    created_at: datetime
    promised_date: date | None


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts (the last row of the page before)."""

    created_at: datetime
    case_id: int


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next: Cursor | None


def list_cases(
    criteria: CaseFilter = CaseFilter(), after: Cursor | None = None, size: int = 50
) -> CasePage:
    """One page of cases, newest first."""
    parts = _parts(criteria, sized=True)
    if after is not None:
        parts.append(_after(after))
    query = (
        Case.select(Case, Applicant.name)
        .join(Applicant)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(size + 1)
    )
    walk = [part.indexed if part.ordered else part.unindexed for part in parts]
    driver = _driver(parts)
    if driver is None:
        cases = list(_where(query, walk))
    else:
        glanced = _glance(query, walk, after, size) if driver.matches > size else None
        cases = glanced or list(_where(query, _driven(driver, parts)))
    more = len(cases) > size
    cases = cases[:size]
    rows = [_row(case) for case in cases]
    cursor = Cursor(cases[-1].created_at, cases[-1].id) if more else None
    return CasePage(rows, cursor)


def count_cases(criteria: CaseFilter = CaseFilter(), limit: int | None = None) -> int:
    """How many cases match; with ``limit``, counting stops there, so a list can say "more
    than" without visiting every match of a broad filter."""
    if limit is None:
        return _where(Case.select(), [part.indexed for part in _parts(criteria)]).count()
    query = _where(Case.select(Case.id), [part.indexed for part in _parts(criteria)])
    return query.limit(limit).count()


def present_matters() -> list[tuple[str, str]]:
    """(code, name) of every matter with a case at this station, by code; the name is the one
    its last stored case carries. Two seeks in the ``matter_code`` index per matter, no scan."""
    found: list[tuple[str, str]] = []
    code = ""
    while True:
        following = (Case.select(Case.matter_code).where(Case.matter_code > code)
                     .order_by(Case.matter_code).limit(1).scalar())
        if following is None:
            return found
        code = following
        newest = (Case.select(Case.matter_name).where(Case.matter_code == code)
                  .order_by(Case.id.desc()).limit(1).scalar())
        found.append((code, newest))


def _row(case: Case) -> CaseRow:
    return CaseRow(
        uuid=case.uuid,
        local_number=case.local_number,
        matter_name=case.matter_name,
        applicant_name=case.applicant.name,
        state=CaseState(case.state),
        created_at=case.created_at,
        promised_date=case.promised_date,
    )


def _where(query, conditions: list):  # noqa: ANN001, ANN202 - peewee queries
    return query.where(*conditions) if conditions else query


@dataclass(frozen=True)
class _Part:
    """One condition of a filter in two equivalent forms: ``indexed`` lets SQLite use an index
    for it, ``unindexed`` makes it test rows only. ``matches`` (counted up to _FEW + 1, for a
    page) makes it a candidate to drive the query; ``ordered`` says that its index also gives
    the cases newest first."""

    indexed: Any
    unindexed: Any
    matches: int | None = None
    ordered: bool = False


def _driver(parts: list[_Part]) -> _Part | None:
    """The part with the fewest matches, if it has few."""
    few = [part for part in parts if part.matches is not None and part.matches <= _FEW]
    return min(few, key=lambda part: part.matches, default=None)


def _driven(driver: _Part, parts: list[_Part]) -> list:
    """Conditions that let only ``driver`` (and parts that keep its order) use an index."""
    keep = driver.ordered
    return [
        part.indexed if part is driver or (keep and part.ordered) else part.unindexed
        for part in parts
    ]


def _glance(
    query, walk: list, after: Cursor | None, size: int  # noqa: ANN001 - a peewee query
) -> list[Case] | None:
    """The page, if the newest _GLANCE cases (after ``after``) hold a full one."""
    newest = Case.select(Case.id).order_by(Case.created_at.desc(), Case.id.desc())
    if after is not None:
        newest = newest.where(_after(after).indexed)
    cases = list(query.where(*walk, Case.id.in_(newest.limit(_GLANCE))))
    return cases if len(cases) > size else None


def _parts(criteria: CaseFilter, sized: bool = False) -> list[_Part]:
    """The filter's conditions; ``sized`` counts the matches of those that may drive a page."""
    found = []
    states = [str(s) for s in criteria.states]
    if states:  # one state: the (state, created_at) index keeps the order
        found.append(_in(Case.state, states, sized, ordered=len(states) == 1))
    if criteria.matter_code:
        found.append(_in(Case.matter_code, [criteria.matter_code], sized))
    if criteria.agent_login:
        agents = Agent.select(Agent.id).where(Agent.login == criteria.agent_login)
        found.append(_in(Case.agent, agents, sized))
    if criteria.created_from:
        found.append(_created(">=", _utc_start(criteria.created_from)))
    if criteria.created_to:
        found.append(_created("<", _utc_start(criteria.created_to + timedelta(days=1))))
    if criteria.promised_from:
        found.append(_unindexable(Case.promised_date >= criteria.promised_from))
    if criteria.promised_to:
        found.append(_unindexable(Case.promised_date <= criteria.promised_to))
    if criteria.text and criteria.text.strip():
        found.append(_text_part(criteria.text.strip(), sized))
    return found


def _in(column, values, sized: bool, ordered: bool = False) -> _Part:  # noqa: ANN001
    indexed = column.in_(values)
    matches = _count(Case.select(Case.id).where(indexed)) if sized else None
    return _Part(indexed, _unindexed(column).in_(values), matches, ordered)


def _created(op: str, moment: datetime) -> _Part:
    """A bound on the creation time: it narrows a walk newest first, so it keeps the order."""
    indexed = Expression(Case.created_at, op, moment)
    return _Part(indexed, Expression(_unindexed(Case.created_at), op, moment), ordered=True)


def _unindexable(condition) -> _Part:  # noqa: ANN001 - a peewee expression
    """A condition on a column without an index: tested row by row either way."""
    return _Part(condition, condition)


def _after(cursor: Cursor) -> _Part:
    key = Tuple(cursor.created_at, cursor.case_id)
    unindexed = Tuple(_unindexed(Case.created_at), _unindexed(Case.id)) < key
    return _Part(Tuple(Case.created_at, Case.id) < key, unindexed, ordered=True)


def _prefix(column, text: str):  # noqa: ANN001, ANN202 - peewee expressions
    return (column >= text) & (column < text + "\U0010ffff")


def _text_part(text: str, sized: bool) -> _Part:
    """Cases whose number, or whose applicant's name, ID number or phone, starts with ``text``.

    Every reading is tried: a landline (``010-…``) and a Latin name (``Jean-Pierre``) hold
    a hyphen like a case number, and a station code may start with a digit. Unindexed, many
    matching applicants (a surname, a region code) are tested on the joined applicant row
    instead of being collected first.
    """
    number = text.upper()  # the X of an ID number, the letters of a case number
    numbered = _prefix(Case.local_number, number)
    person = (
        _prefix(Applicant.name, text)
        | _prefix(Applicant.id_number, number)
        | _prefix(Applicant.phone, text)
    )
    people = Applicant.select(Applicant.id).where(person)
    indexed = numbered | Case.applicant.in_(people)
    if not sized:
        return _Part(indexed, indexed)
    applicants = _count(people)
    if applicants > _FEW:
        unindexed = numbered | person
    else:
        unindexed = numbered | _unindexed(Case.applicant).in_(people)
    matches = applicants + _count(Case.select(Case.id).where(numbered))
    return _Part(indexed, unindexed, matches)


def _count(query) -> int:  # noqa: ANN001 - a peewee query
    """How many rows ``query`` finds, counting no further than _FEW + 1."""
    return query.limit(_FEW + 1).count()


def _unindexed(column):  # noqa: ANN001, ANN202 - peewee nodes
    """``+column``: SQLite's way to keep any index on ``column`` from serving a condition."""
    return NodeList((SQL("+"), column), glue="")


def _utc_start(day: date) -> datetime:
    """Midnight of a China date as naive UTC."""
    local = datetime.combine(day, time.min, tzinfo=CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)
