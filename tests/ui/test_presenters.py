"""Every screen's presenter driven without a display."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from forms.calendar import WorkCalendar
from station.cases import StatusEvent
from station.keyfile import WrongPasswordError
from station.lifecycle import CaseState, Transition
from station.throttle import LockedOutError
from station.ui.presenters.caselist import PAGE_SIZE, CaseListPresenter
from station.ui.presenters.errors import describe
from station.ui.presenters.firstrun import FIELDS, FirstRunForm, FirstRunPresenter
from station.ui.presenters.home import HomePresenter
from station.ui.presenters.login import LoginPresenter
from station.caselist import CaseFilter
from tests.station.conftest import COMPLETE_ANSWERS, PASSWORD, SETUP


def _form(**changes: str) -> FirstRunForm:
    values = {"code": "cun01", "name": "东村便民服务站", "township": "东镇", "login": "li",
              "display_name": "李代办", "password": "long enough 1", "confirm": "long enough 1"}
    values.update(changes)
    return FirstRunForm(values)


def test_first_run_lists_every_problem() -> None:
    problems = FirstRunPresenter.problems(FirstRunForm())
    assert set(problems) == set(FIELDS)
    problems = FirstRunPresenter.problems(_form(code="村", login="Li Si", password="short",
                                                confirm="other"))
    assert set(problems) == {"code", "login", "password", "confirm"}
    assert FirstRunPresenter.problems(_form()) == {}


def test_first_run_creates_the_station(tmp_path: Path, clock, monkeypatch) -> None:
    from station import session as sessions
    from tests.station.conftest import CHEAP_KDF

    real = sessions.init_station
    monkeypatch.setattr(sessions, "init_station",
                        lambda data_dir, setup, clock: real(data_dir, setup, kdf=CHEAP_KDF,
                                                            clock=clock))
    presenter = FirstRunPresenter(tmp_path / "new", clock)
    code = presenter.create(_form())
    assert len(code.replace("-", "")) == 30
    login = LoginPresenter(tmp_path / "new", clock)
    assert login.state().logins == ["li"]
    with login.login("li", "long enough 1") as session:
        assert session.ctx.station.code == "CUN01"


def test_login_presenter(station_dir: Path, clock) -> None:
    presenter = LoginPresenter(station_dir, clock)
    assert presenter.state().selected == SETUP.login
    with pytest.raises(WrongPasswordError) as wrong:
        presenter.login(SETUP.login, "nope nope nope")
    assert "password" in describe(wrong.value).lower() or "密码" in describe(wrong.value)
    for _ in range(5):
        with pytest.raises(WrongPasswordError):
            presenter.login(SETUP.login, "nope nope nope")
    with pytest.raises(LockedOutError):
        presenter.login(SETUP.login, PASSWORD)


def test_a_damaged_key_file_is_named_on_the_login_screen(station_dir: Path, clock) -> None:
    from station.keyfile import KeyFileCorruptError
    from station.paths import StationPaths

    keys = StationPaths(station_dir).keys
    keys.write_bytes(keys.read_bytes().replace(b'"agent:', b'"agent:x', 1))
    with pytest.raises(KeyFileCorruptError):
        LoginPresenter(station_dir, clock).state()


def test_locked_screen_preselects_the_agent(station_dir: Path, clock) -> None:
    assert LoginPresenter(station_dir, clock, locked_login="wang").state().selected == "wang"


def test_describe_hides_unexpected_details() -> None:
    text = describe(KeyError("欧阳明珠 11010519491231002X"))
    assert "KeyError" in text and "欧阳" not in text and "1101" not in text


def _submitted(session, matter, applicant, scans, clock, days_back: int):
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", scans[:1])
    session.materials.attach_pages(case.uuid, "hukou", scans[1:2])
    return session.cases.submit(case.uuid, matter)


def test_home_counts(session, matter, applicant, scans, clock) -> None:
    home = HomePresenter(session, WorkCalendar.bundled())
    assert {t.key: t.count for t in home.tiles()} == dict.fromkeys(
        ("drafts", "queued", "returned", "due_soon", "overdue", "to_deliver"), 0)
    session.cases.create_draft(matter, 1, applicant)
    first = _submitted(session, matter, applicant, scans, clock, 0)  # promised 2026-12-07
    second = _submitted(session, matter, applicant, scans, clock, 0)
    for n, step in enumerate((Transition.UPLOAD, Transition.RETURN)):
        session.cases.apply_status_event(second.uuid, StatusEvent(f"e{n}", step))
    counts = {t.key: t.count for t in home.tiles()}
    assert (counts["drafts"], counts["queued"], counts["returned"]) == (1, 1, 1)
    assert counts["due_soon"] == counts["overdue"] == 0
    assert {t.key: t.count for t in home.tiles(today=date(2026, 12, 3))}["due_soon"] == 2
    late = {t.key: t for t in home.tiles(today=date(2026, 12, 8))}
    assert late["overdue"].count == 2 and late["overdue"].urgent
    assert first.promised_date == date(2026, 12, 7)
    status = home.sync_status()
    assert (status.queued, status.quarantined) == (2, 0) and "2" in status.text()


def test_case_list_pages_and_search(session, matter, applicant, clock) -> None:
    for _ in range(PAGE_SIZE + 5):
        session.cases.create_draft(matter, 1, applicant)
        clock.advance(timedelta(minutes=1))
    presenter = CaseListPresenter(session, "drafts", CaseFilter(states=(CaseState.DRAFT,)))
    first = presenter.load()
    assert len(first) == PAGE_SIZE and presenter.total == PAGE_SIZE + 5
    assert first[0].cells[0].endswith("-0055")
    second = presenter.next_page()
    assert len(second) == 5 and presenter.page_number == 2
    assert presenter.previous_page()[0] == first[0]
    found = presenter.search("TEST01-20261123-0007")
    assert [row.cells[0] for row in found] == ["TEST01-20261123-0007"]
    assert presenter.search("欧阳")[0].cells[2] == "欧阳明珠"
    assert presenter.search("nobody") == []
