"""The case list: filters, search by name / ID number / phone / case number, keyset paging.

Paging walks the (created_at, id) index from a cursor instead of using OFFSET, so page 2,000
costs what page 1 costs, also at 100,000 cases. A page must never fetch and sort every match:
a filter or search text that matches many cases is kept from driving the query (its index is
left out), so that SQLite walks the cases newest first and stops at a full page; one that
matches few drives it through its index, and the few matches are sorted. ``bench/store.py``
measures both kinds (``docs/benchmarks.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from peewee import SQL, NodeList, Tuple

from station.clock import CHINA
from station.lifecycle import CaseState
from station.models import Agent, Applicant, Case


# Above this many matching cases or applicants a filter no longer drives a page's query.
_FEW = 1000
# Case numbers follow the filing order, so the cases matching a number prefix sit together
# in the table and cost less to fetch and sort: more of them still drive the query.
_FEW_NUMBERED = 5000


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
    conditions = _conditions(criteria, newest_first=True)
    if after is not None:
        conditions.append(Tuple(Case.created_at, Case.id) < Tuple(after.created_at, after.case_id))
    query = (
        Case.select(Case, Applicant.name)
        .join(Applicant)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(size + 1)
    )
    cases = list(_where(query, conditions))
    more = len(cases) > size
    cases = cases[:size]
    rows = [_row(case) for case in cases]
    cursor = Cursor(cases[-1].created_at, cases[-1].id) if more else None
    return CasePage(rows, cursor)


def count_cases(criteria: CaseFilter = CaseFilter()) -> int:
    """How many cases match."""
    return _where(Case.select(), _conditions(criteria)).count()


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


def _conditions(criteria: CaseFilter, newest_first: bool = False) -> list:
    """The filter as conditions; ``newest_first`` shapes them for one page (see the module)."""
    found = []
    states = [str(s) for s in criteria.states]
    if len(states) == 1:  # the (state, created_at) index keeps the order
        found.append(Case.state.in_(states))
    elif states:
        found.append(_matching(Case.state, states, newest_first))
    if criteria.matter_code:
        found.append(_matching(Case.matter_code, [criteria.matter_code], newest_first))
    if criteria.agent_login:
        agents = Agent.select(Agent.id).where(Agent.login == criteria.agent_login)
        found.append(_matching(Case.agent, agents, newest_first))
    if criteria.created_from:
        found.append(Case.created_at >= _utc_start(criteria.created_from))
    if criteria.created_to:
        found.append(Case.created_at < _utc_start(criteria.created_to + timedelta(days=1)))
    if criteria.promised_from:
        found.append(Case.promised_date >= criteria.promised_from)
    if criteria.promised_to:
        found.append(Case.promised_date <= criteria.promised_to)
    if criteria.text and criteria.text.strip():
        found.append(_text_condition(criteria.text.strip(), newest_first))
    return found


def _prefix(column, text: str):  # noqa: ANN001, ANN202 - peewee expressions
    return (column >= text) & (column < text + "\uffff")


def _text_condition(text: str, newest_first: bool):  # noqa: ANN202 - a peewee expression
    """Cases whose number, or whose applicant's name, ID number or phone, starts with ``text``.

    Every reading is tried: a landline (``010-…``) and a Latin name (``Jean-Pierre``) hold
    a hyphen like a case number, and a station code may start with a digit. For a page, many
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
    if not newest_first:
        return numbered | Case.applicant.in_(people)
    if _many(people, _FEW):
        return numbered | person
    if _many(Case.select(Case.id).where(numbered), _FEW_NUMBERED):
        return numbered | _unindexed(Case.applicant).in_(people)
    return numbered | Case.applicant.in_(people)


def _matching(column, values, newest_first: bool):  # noqa: ANN001, ANN202 - peewee nodes
    """``column IN values``, left out of the indexes when a page's many matches would be sorted."""
    condition = column.in_(values)
    if newest_first and _many(Case.select(Case.id).where(condition), _FEW):
        return _unindexed(column).in_(values)
    return condition


def _many(query, few: int) -> bool:  # noqa: ANN001 - a peewee query
    """Whether ``query`` finds more than ``few`` rows (it reads at most one more)."""
    return query.limit(few + 1).count() > few


def _unindexed(column):  # noqa: ANN001, ANN202 - peewee nodes
    """``+column``: SQLite's way to keep any index on ``column`` from driving a query."""
    return NodeList((SQL("+"), column), glue="")


def _utc_start(day: date) -> datetime:
    """Midnight of a China date as naive UTC."""
    local = datetime.combine(day, time.min, tzinfo=CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)
