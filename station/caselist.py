"""The case list: filters, search by name / ID number / phone / case number, keyset paging.

Paging walks the (created_at, id) index from a cursor instead of using OFFSET, so page 2,000
costs what page 1 costs, also at 100,000 cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from station.clock import CHINA
from station.lifecycle import CaseState
from station.models import Agent, Applicant, Case


@dataclass(frozen=True)
class CaseFilter:
    """What the agent narrowed the list to; dates are China dates, both ends included."""

    states: tuple[CaseState, ...] = ()
    matter_code: str | None = None
    agent_login: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None


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
    query = (
        Case.select(Case, Applicant.name)
        .join(Applicant)
        .where(*_conditions(criteria))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(size + 1)
    )
    if after is not None:
        query = query.where(
            (Case.created_at < after.created_at)
            | ((Case.created_at == after.created_at) & (Case.id < after.case_id))
        )
    cases = list(query)
    more = len(cases) > size
    cases = cases[:size]
    rows = [_row(case) for case in cases]
    cursor = Cursor(cases[-1].created_at, cases[-1].id) if more else None
    return CasePage(rows, cursor)


def count_cases(criteria: CaseFilter = CaseFilter()) -> int:
    """How many cases match."""
    return Case.select().join(Applicant).where(*_conditions(criteria)).count()


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


def _conditions(criteria: CaseFilter) -> list:
    found = [Case.id > 0]
    if criteria.states:
        found.append(Case.state.in_([str(s) for s in criteria.states]))
    if criteria.matter_code:
        found.append(Case.matter_code == criteria.matter_code)
    if criteria.agent_login:
        found.append(Case.agent.in_(Agent.select(Agent.id).where(Agent.login == criteria.agent_login)))
    if criteria.created_from:
        found.append(Case.created_at >= _utc_start(criteria.created_from))
    if criteria.created_to:
        found.append(Case.created_at < _utc_start(criteria.created_to + timedelta(days=1)))
    if criteria.text and criteria.text.strip():
        found.append(_text_condition(criteria.text.strip()))
    return found


def _prefix(column, text: str):  # noqa: ANN001, ANN202 - peewee expressions
    return (column >= text) & (column < text + "\uffff")


def _text_condition(text: str):  # noqa: ANN202 - a peewee expression
    """Cases whose number, or whose applicant's name, ID number or phone, starts with ``text``.

    Every reading is tried: a landline (``010-…``) and a Latin name (``Jean-Pierre``) hold
    a hyphen like a case number, and a station code may start with a digit.
    """
    number = text.upper()  # the X of an ID number, the letters of a case number
    people = Applicant.select(Applicant.id).where(
        _prefix(Applicant.name, text)
        | _prefix(Applicant.id_number, number)
        | _prefix(Applicant.phone, text)
    )
    return _prefix(Case.local_number, number) | Case.applicant.in_(people)


def _utc_start(day: date) -> datetime:
    """Midnight of a China date as naive UTC."""
    local = datetime.combine(day, time.min, tzinfo=CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)
