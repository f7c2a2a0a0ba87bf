"""The case-list presenter's filters on a real store: each narrows, they narrow the list's
base filter, the search text stays with them, bad dates are refused, Clear restores."""

from __future__ import annotations

import gettext
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.calendar import WorkCalendar
from station import i18n
from station.applicants import ApplicantInput
from station.audit import Action
from station.caselist import CaseFilter, list_cases
from station.cases import CaseService, StatusEvent
from station.context import ServiceContext
from station.lifecycle import CaseState, Transition, state_label
from station.models import Agent, AuditEvent
from station.printing.display import day
from station.ui.presenters import caselist as screen
from station.ui.presenters.caselist import (
    PAGE_SIZE,
    CaseFilterError,
    CaseListPresenter,
    Choice,
    Row,
)
from tests.station.conftest import COMPLETE_ANSWERS

EVERY = {"draft20", "queued21", "returned22", "discarded22", "draft23", "pension23"}


@dataclass(frozen=True)
class _Limits:
    promised_days: int | None = None


@dataclass(frozen=True)
class _Pension:
    """A second matter, enough for ``create_draft``."""

    code: str = "TEST-YL-002"
    name: str = "测试养老申请"
    materials: tuple = ()
    time_limits: _Limits = field(default_factory=_Limits)


def _cases_as(session, login: str) -> CaseService:
    """The case service in the name of another agent of the same station."""
    ctx = ServiceContext(session.db, session.ctx.clock, session.ctx.station,
                         Agent.get(Agent.login == login))
    return CaseService(ctx, WorkCalendar.bundled())


def _submitted(session, matter, person, scans):
    case = session.cases.create_draft(matter, 1, person, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:1])
    session.materials.defer(case.uuid, "hukou", date(2026, 12, 1))
    return session.cases.submit(case.uuid, matter)


@pytest.fixture
def filed(session, matter, scans, clock) -> dict[str, str]:
    """Six cases, key -> uuid, received 10:00 China time on the day the key ends with.

    wang (the session's agent) files the test matter's cases of the 20th to the 22nd; li
    the discarded pension case of the 22nd and both cases of the 23rd.
    """
    session.add_agent("li", "李代办", "another pass 1")
    li = _cases_as(session, "li")
    ouyang = session.applicants.save(ApplicantInput("欧阳明珠", "11010519491231002X",
                                                    "13800138000"))
    lisi = session.applicants.save(ApplicantInput("李四", "130102198001011232", "13912345678"))
    zhao = session.applicants.save(ApplicantInput("赵六", None, "010-65123456"))
    made = {}
    clock.at = datetime(2026, 11, 20, 2)
    made["draft20"] = session.cases.create_draft(matter, 1, ouyang)
    clock.at = datetime(2026, 11, 21, 2)
    made["queued21"] = _submitted(session, matter, lisi, scans)
    clock.at = datetime(2026, 11, 22, 2)
    made["returned22"] = _submitted(session, matter, ouyang, scans)
    for n, step in enumerate((Transition.UPLOAD, Transition.RETURN)):
        session.cases.apply_status_event(made["returned22"].uuid, StatusEvent(f"e{n}", step))
    made["discarded22"] = li.discard(li.create_draft(_Pension(), 1, zhao).uuid)
    clock.at = datetime(2026, 11, 23, 2)
    made["draft23"] = li.create_draft(matter, 1, ouyang)
    made["pension23"] = li.create_draft(_Pension(), 1, lisi)
    return {key: case.uuid for key, case in made.items()}


def keys(filed: dict[str, str], rows: list[Row]) -> set[str]:
    by_uuid = {uuid: key for key, uuid in filed.items()}
    return {by_uuid[row.uuid] for row in rows}


@pytest.fixture
def chinese(monkeypatch):
    """Messages in Simplified Chinese, as the station shows them."""
    previous = gettext.bindtextdomain(i18n.DOMAIN)
    gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALE_DIR))
    monkeypatch.setenv("LANGUAGE", i18n.DEFAULT_LANGUAGE)
    yield
    gettext.bindtextdomain(i18n.DOMAIN, previous)


def test_choices(session, filed, matter, clock) -> None:
    every = CaseListPresenter(session, "All cases", CaseFilter())
    states = every.state_choices()
    assert states[0].value is None
    assert states[1:] == [Choice(str(s), state_label(s)) for s in CaseState]
    drafts = CaseListPresenter(session, "Drafts", CaseFilter(states=(CaseState.DRAFT,)))
    assert [choice.value for choice in drafts.state_choices()] == [None, "draft"]
    assert every.matter_choices()[1:] == [Choice("TEST-BZ-001", "测试补助申请"),
                                          Choice("TEST-YL-002", "测试养老申请")]
    clock.advance(timedelta(hours=1))
    _cases_as(session, "li").create_draft(_Pension(name="测试养老待遇申请"), 2,
                                          session.applicants.save(ApplicantInput("王五")))
    assert every.matter_choices()[2] == Choice("TEST-YL-002", "测试养老待遇申请")
    agents = every.agent_choices()
    assert [choice.value for choice in agents] == [None, "li", "wang"]
    assert "李代办" in agents[1].label and "王代办" in agents[2].label


def test_a_new_station_offers_only_any(session) -> None:
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    assert [choice.value for choice in presenter.matter_choices()] == [None]
    assert presenter.load() == [] and presenter.total == 0


def test_states_read_in_chinese(session, chinese) -> None:
    labels = [c.label for c in CaseListPresenter(session, "t", CaseFilter()).state_choices()]
    assert labels[1] == "草稿" and "退回补正" in labels


@pytest.mark.parametrize(
    "chosen, expected",
    [
        ({}, EVERY),
        ({"states": ("draft",)}, {"draft20", "draft23", "pension23"}),
        ({"states": (CaseState.RETURNED,)}, {"returned22"}),
        ({"matter_code": "TEST-YL-002"}, {"discarded22", "pension23"}),
        ({"matter_code": "NO-SUCH"}, set()),
        ({"agent_login": "li"}, {"discarded22", "draft23", "pension23"}),
        ({"agent_login": "wang"}, {"draft20", "queued21", "returned22"}),
        ({"created_from": "2026-11-22"}, {"returned22", "discarded22", "draft23", "pension23"}),
        ({"created_to": " 2026-11-21 "}, {"draft20", "queued21"}),
        ({"created_from": "2026-11-21", "created_to": "2026-11-22"},
         {"queued21", "returned22", "discarded22"}),
        ({"created_from": date(2026, 11, 23)}, {"draft23", "pension23"}),
        ({"created_from": "2026-11-24"}, set()),
        ({"created_from": "", "created_to": "  "}, EVERY),
        ({"states": ("draft",), "matter_code": "TEST-BZ-001", "agent_login": "li",
          "created_to": "2026-11-23"}, {"draft23"}),
    ],
)
def test_each_filter_narrows(session, filed, chosen, expected) -> None:
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    assert keys(filed, presenter.apply(**chosen)) == expected
    assert presenter.total == len(expected)


@pytest.mark.parametrize(
    "base, chosen, expected",
    [
        (CaseFilter(states=(CaseState.DRAFT,)), {}, {"draft20", "draft23", "pension23"}),
        (CaseFilter(states=(CaseState.DRAFT,)), {"agent_login": "li"}, {"draft23", "pension23"}),
        (CaseFilter(states=(CaseState.DRAFT,)), {"states": ("queued",)}, set()),
        (CaseFilter(states=(CaseState.QUEUED, CaseState.RETURNED)),
         {"states": ("returned", "draft")}, {"returned22"}),
        (CaseFilter(matter_code="TEST-YL-002"), {"matter_code": "TEST-BZ-001"}, set()),
        (CaseFilter(matter_code="TEST-YL-002"), {"agent_login": "li"},
         {"discarded22", "pension23"}),
        (CaseFilter(agent_login="wang"), {"agent_login": "li"}, set()),
        (CaseFilter(created_from=date(2026, 11, 22)), {"created_to": "2026-11-22"},
         {"returned22", "discarded22"}),
        (CaseFilter(created_from=date(2026, 11, 21), created_to=date(2026, 11, 23)),
         {"created_from": "2026-11-20", "created_to": "2026-11-21"}, {"queued21"}),
    ],
)
def test_filters_narrow_the_base(session, filed, base, chosen, expected) -> None:
    presenter = CaseListPresenter(session, "A home-screen list", base)
    assert keys(filed, presenter.apply(**chosen)) == expected
    assert presenter.total == len(expected)
    assert presenter.status() == "Page 1 of 1 · {n} cases".format(n=len(expected))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base_states=st.sets(st.sampled_from([CaseState.DRAFT, CaseState.QUEUED, CaseState.RETURNED])),
    states=st.sets(st.sampled_from([CaseState.DRAFT, CaseState.DISCARDED, CaseState.RETURNED])),
    base_agent=st.sampled_from([None, "li"]),
    agent=st.sampled_from([None, "li", "wang"]),
    matter_code=st.sampled_from([None, "TEST-BZ-001", "TEST-YL-002"]),
    base_days=st.tuples(st.sampled_from([None, 20, 22]), st.sampled_from([None, 21, 23])),
    days=st.tuples(st.sampled_from([None, 21, 23]), st.sampled_from([None, 22, 24])),
    text=st.sampled_from(["", "欧阳", "李", "1391"]),
)
def test_the_list_is_what_both_filters_let_through(
    session, filed, base_states, states, base_agent, agent, matter_code, base_days, days, text
) -> None:
    def on(day_: int | None) -> date | None:
        return date(2026, 11, day_) if day_ else None

    base = CaseFilter(states=tuple(sorted(base_states)), agent_login=base_agent,
                      created_from=on(base_days[0]), created_to=on(base_days[1]))
    chosen = CaseFilter(states=tuple(sorted(states)), agent_login=agent,
                        matter_code=matter_code, created_from=on(days[0]),
                        created_to=on(days[1]), text=text or None)
    presenter = CaseListPresenter(session, "t", base)
    if chosen.created_from and chosen.created_to and chosen.created_from > chosen.created_to:
        with pytest.raises(CaseFilterError):
            presenter.apply(chosen.states, matter_code, agent, on(days[0]), on(days[1]))
        return
    presenter.apply(chosen.states, matter_code, agent, on(days[0]), on(days[1]))
    rows = presenter.search(text)
    both = ({row.uuid for row in list_cases(base, size=100).rows}
            & {row.uuid for row in list_cases(chosen, size=100).rows})
    assert {row.uuid for row in rows} == both and presenter.total == len(both)


def test_search_keeps_the_filters_and_clear_restores_the_base(session, filed) -> None:
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    presenter.apply(agent_login="wang")
    assert keys(filed, presenter.search(" 欧阳 ")) == {"draft20", "returned22"}
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert event.action == Action.SEARCH and "欧阳" not in json.dumps(event.detail)
    assert keys(filed, presenter.apply(agent_login="wang", states=("draft",))) == {"draft20"}
    assert keys(filed, presenter.search("")) == {"draft20"}
    presenter.search("李四")
    assert keys(filed, presenter.clear()) == EVERY
    assert presenter.criteria == CaseFilter() and presenter.chosen == CaseFilter()


@pytest.mark.parametrize(
    "start, end, field_, shown",
    [
        ("2026-13-01", "", "created_from", "2026-11-23"),
        ("yesterday", "2026-11-23", "created_from", "2026-11-23"),
        ("", "23/11/2026", "created_to", "2026-11-23"),
        ("2026-11-23", "2026-11-20", "created_from", day(date(2026, 11, 23))),
    ],
)
def test_bad_dates_are_refused_and_change_nothing(session, filed, start, end, field_,
                                                  shown) -> None:
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    before = presenter.apply(agent_login="li")
    with pytest.raises(CaseFilterError) as refused:
        presenter.apply(created_from=start, created_to=end)
    assert refused.value.field == field_ and shown in str(refused.value)
    assert presenter.chosen == CaseFilter(agent_login="li") and presenter.load() == before


def test_a_date_error_shows_the_dates_as_the_app_does(session, chinese) -> None:
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    with pytest.raises(CaseFilterError) as refused:
        presenter.apply(created_from="2026-11-23", created_to="2026-11-20")
    assert "2026年11月23日" in str(refused.value) and "2026年11月20日" in str(refused.value)


def test_a_filter_change_goes_back_to_page_one(session, matter, applicant, clock) -> None:
    for _ in range(PAGE_SIZE + 2):
        session.cases.create_draft(matter, 1, applicant)
        clock.advance(timedelta(minutes=1))
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    presenter.load()
    assert presenter.status() == f"Page 1 of 2 · {PAGE_SIZE + 2} cases"
    steps = [lambda: presenter.apply(states=("draft",)), lambda: presenter.search("欧阳"),
             presenter.clear]
    for step in steps:
        assert len(presenter.next_page()) == 2 and presenter.page_number == 2
        assert len(step()) == PAGE_SIZE and presenter.page_number == 1


def test_a_long_list_counts_only_so_far(session, filed, monkeypatch) -> None:
    monkeypatch.setattr(screen, "COUNT_LIMIT", 3)
    presenter = CaseListPresenter(session, "All cases", CaseFilter())
    assert len(presenter.load()) == 6 and (presenter.total, presenter.more) == (3, True)
    assert presenter.status() == "Page 1 · more than 3 cases"
    presenter.apply(agent_login="li")
    assert (presenter.total, presenter.more) == (3, False)
    assert presenter.status() == "Page 1 of 1 · 3 cases"
