"""The case list: filters, text search, China-date ranges and keyset paging on a real store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest

from forms.calendar import WorkCalendar
from station.applicants import ApplicantInput
from station.caselist import CaseFilter, CaseRow, Cursor, count_cases, list_cases
from station.cases import CaseService
from station.context import ServiceContext
from station.lifecycle import CaseState
from station.models import Agent, Case
from tests.station.conftest import COMPLETE_ANSWERS

OUYANG_ID = "11010519491231002X"
HEBEI_ID = "130102198001011232"


@dataclass(frozen=True)
class _Limits:
    promised_days: int | None = None


@dataclass(frozen=True)
class _OtherMatter:
    code: str = "TEST-YL-002"
    name: str = "测试养老申请"
    materials: tuple = ()
    time_limits: _Limits = field(default_factory=_Limits)


def _cases_as(session, login: str) -> CaseService:
    """The case service in the name of another agent of the same station."""
    agent = Agent.get(Agent.login == login)
    ctx = ServiceContext(session.db, session.ctx.clock, session.ctx.station, agent)
    return CaseService(ctx, WorkCalendar.bundled())


def _person(session, name: str, id_number: str | None = None, phone: str | None = None):
    return session.applicants.save(ApplicantInput(name, id_number, phone))


@pytest.fixture
def listed(session, matter, scans, clock) -> dict[str, Case]:
    """Five cases of two matters by two agents around the China-date boundary."""
    session.add_agent("li", "李代办", "another pass 1")
    li = _cases_as(session, "li")
    ouyang = _person(session, "欧阳明珠", OUYANG_ID.lower(), "13800138000")
    hebei = _person(session, "李四", HEBEI_ID, "13912345678")
    zhao = _person(session, "赵六", None, "010-65123456")
    jean = _person(session, "Jean-Pierre Smith")
    found = {}
    clock.at = datetime(2026, 11, 23, 15, 59, 59)  # 23:59:59 on the 23rd in China
    found["late23"] = session.cases.create_draft(matter, 1, ouyang)
    clock.at = datetime(2026, 11, 23, 16, 0, 0)  # midnight: the 24th in China
    queued = session.cases.create_draft(matter, 1, hebei, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(queued.uuid, "id_card", scans[:1])
    session.materials.defer(queued.uuid, "hukou", date(2026, 12, 1))
    found["queued24"] = session.cases.submit(queued.uuid, matter)
    found["discarded24"] = li.create_draft(_OtherMatter(), 1, zhao)
    li.discard(found["discarded24"].uuid)
    clock.at = datetime(2026, 11, 25, 1, 0, 0)
    found["jean25"] = li.create_draft(matter, 1, jean)
    clock.at = datetime(2026, 11, 22, 17, 0, 0)  # 01:00 on the 23rd in China
    found["early23"] = session.cases.create_draft(_OtherMatter(), 1, ouyang)
    return {key: Case.get_by_id(case.id) for key, case in found.items()}


def _keys(listed: dict[str, Case], rows: list[CaseRow]) -> list[str]:
    by_uuid = {case.uuid: key for key, case in listed.items()}
    return [by_uuid[row.uuid] for row in rows]


def test_everything_newest_first(listed) -> None:
    page = list_cases()
    assert _keys(listed, page.rows) == ["jean25", "discarded24", "queued24", "late23", "early23"]
    assert page.next is None
    assert count_cases() == 5


def test_row_carries_what_the_list_shows(listed) -> None:
    (row,) = [r for r in list_cases().rows if r.uuid == listed["queued24"].uuid]
    case = listed["queued24"]
    assert row == CaseRow(
        uuid=case.uuid,
        local_number=case.local_number,
        matter_name="测试补助申请",
        applicant_name="李四",
        state=CaseState.QUEUED,
        created_at=datetime(2026, 11, 23, 16, 0, 0),
        promised_date=case.promised_date,
    )
    assert row.promised_date is not None and isinstance(row.state, CaseState)


@pytest.mark.parametrize(
    "criteria, expected",
    [
        (CaseFilter(states=(CaseState.DRAFT,)), {"jean25", "late23", "early23"}),
        (CaseFilter(states=(CaseState.QUEUED, CaseState.DISCARDED)), {"queued24", "discarded24"}),
        (CaseFilter(states=(CaseState.CLOSED,)), set()),
        (CaseFilter(matter_code="TEST-YL-002"), {"discarded24", "early23"}),
        (CaseFilter(matter_code="NO-SUCH"), set()),
        (CaseFilter(agent_login="li"), {"discarded24", "jean25"}),
        (CaseFilter(agent_login="wang"), {"late23", "queued24", "early23"}),
        (CaseFilter(agent_login="nobody"), set()),
        (CaseFilter(created_from=date(2026, 11, 24)), {"queued24", "discarded24", "jean25"}),
        (CaseFilter(created_to=date(2026, 11, 23)), {"late23", "early23"}),
        (
            CaseFilter(created_from=date(2026, 11, 24), created_to=date(2026, 11, 24)),
            {"queued24", "discarded24"},
        ),
        (
            CaseFilter(created_from=date(2026, 11, 23), created_to=date(2026, 11, 23)),
            {"late23", "early23"},
        ),
        (CaseFilter(created_from=date(2026, 11, 22), created_to=date(2026, 11, 22)), set()),
        (CaseFilter(created_from=date(2026, 11, 26)), set()),
        (
            CaseFilter(states=(CaseState.DRAFT,), agent_login="wang", created_to=date(2026, 11, 23),
                       matter_code="TEST-BZ-001"),
            {"late23"},
        ),
    ],
)
def test_filters(listed, criteria, expected) -> None:
    rows = list_cases(criteria).rows
    assert set(_keys(listed, rows)) == expected
    assert len(rows) == count_cases(criteria) == len(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("欧阳", {"late23", "early23"}),
        ("李", {"queued24"}),
        ("Jean", {"jean25"}),
        ("Jean-Pierre S", {"jean25"}),
        ("赵六", {"discarded24"}),
        ("阳", set()),
        ("110105", {"late23", "early23"}),
        ("11010519491231002x", {"late23", "early23"}),
        ("13", {"late23", "early23", "queued24"}),
        ("1301", {"queued24"}),
        ("1391234", {"queued24"}),
        ("1380013800", {"late23", "early23"}),
        ("010-6512", {"discarded24"}),
        ("TEST01-20261124", {"queued24", "discarded24"}),
        ("test01-2026112", {"late23", "queued24", "discarded24", "jean25", "early23"}),
        ("  ", {"late23", "queued24", "discarded24", "jean25", "early23"}),
        ("TEST01-20261125-0001", {"jean25"}),
        ("TEST01-20261123-0003", set()),
    ],
)
def test_text_search(listed, text, expected) -> None:
    criteria = CaseFilter(text=text)
    assert set(_keys(listed, list_cases(criteria).rows)) == expected
    assert count_cases(criteria) == len(expected)


def test_text_and_filters_combine(listed) -> None:
    criteria = CaseFilter(text="欧阳", matter_code="TEST-BZ-001")
    assert _keys(listed, list_cases(criteria).rows) == ["late23"]


# --- keyset paging --------------------------------------------------------------------------


@pytest.fixture
def many(session, matter, applicant, clock) -> list[str]:
    """23 drafts; every four share one created_at. Returns their uuids, newest first."""
    base = clock.at
    made = []
    for n in range(23):
        clock.at = base + timedelta(minutes=n // 4)
        made.append(session.cases.create_draft(matter, 1, applicant))
    made.sort(key=lambda case: (case.created_at, case.id), reverse=True)
    return [case.uuid for case in made]


def _walk(criteria: CaseFilter, size: int) -> list[str]:
    seen: list[str] = []
    after: Cursor | None = None
    while True:
        page = list_cases(criteria, after, size)
        assert len(page.rows) <= size
        seen += [row.uuid for row in page.rows]
        if page.next is None:
            return seen
        assert len(page.rows) == size
        assert page.next == Cursor(page.rows[-1].created_at, Case.get(Case.uuid == seen[-1]).id)
        after = page.next


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 22, 23, 24, 100])
def test_walking_every_page_gives_every_case_once_newest_first(many, size) -> None:
    walked = _walk(CaseFilter(), size)
    assert walked == many
    assert len(set(walked)) == count_cases() == 23


def test_paging_with_a_filter(session, many, matter, applicant) -> None:
    session.cases.discard(many[3])
    session.cases.discard(many[10])
    drafts = CaseFilter(states=(CaseState.DRAFT,))
    assert _walk(drafts, 4) == [u for u in many if u not in (many[3], many[10])]
    assert _walk(CaseFilter(states=(CaseState.DISCARDED,)), 1) == [many[3], many[10]]


def test_paging_is_stable_while_new_cases_arrive(session, many, matter, applicant, clock) -> None:
    first = list_cases(size=5)
    clock.advance(timedelta(hours=1))
    newer = session.cases.create_draft(matter, 1, applicant)
    rest = list_cases(after=first.next, size=100)
    assert [r.uuid for r in first.rows + rest.rows] == many
    assert list_cases(size=1).rows[0].uuid == newer.uuid


def test_empty_list(session) -> None:
    page = list_cases()
    assert (page.rows, page.next, count_cases()) == ([], None, 0)
