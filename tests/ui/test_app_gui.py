"""The real window under Xvfb: first run, recovery code, login, home, case list, lock."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import tkinter as tk

import pytest

from station.clock import FixedClock
from tests.ui.conftest import screenshot

pytestmark = pytest.mark.usefixtures("display")


def pump(app, until: Callable[[], bool], rounds: int = 2000) -> None:
    """Run the event loop (and the worker queue) until ``until()`` holds."""
    for _ in range(rounds):
        app.root.update()
        app.worker.poll()
        if until():
            return
        time.sleep(0.01)
    raise AssertionError("the window never reached the expected state")


def log_in(app) -> None:
    """Log in as the test station's agent and wait for the home screen."""
    from station.ui.views.home import HomeView
    from tests.station.conftest import PASSWORD

    _type(app.screen.password, PASSWORD)
    app.screen.submit()
    pump(app, lambda: isinstance(app.screen, HomeView))


def _type(entry, text: str) -> None:
    entry.delete(0, "end")
    entry.insert(0, text)


@pytest.fixture
def app_factory(tmp_path: Path):
    made = []

    def make(data_dir: Path, clock=None, idle_minutes: float = 10):
        from station.ui.app import StationApp

        app = StationApp(data_dir, clock=clock, idle_minutes=idle_minutes)
        made.append(app)
        app.root.update()
        return app

    yield make
    for app in made:
        try:
            alive = app.root.winfo_exists()
        except tk.TclError:  # the test closed the window itself
            alive = False
        if alive:
            app.quit()


def test_first_run_to_home_and_back_through_the_lock(tmp_path: Path, app_factory, clock) -> None:
    from station.ui.views.caselist import CaseListView
    from station.ui.views.firstrun import FirstRunView
    from station.ui.views.home import HomeView
    from station.ui.views.login import LoginView

    app = app_factory(tmp_path / "station", clock=clock)
    wizard = app.screen
    assert isinstance(wizard, FirstRunView)
    screenshot(app.root, "first-run")
    wizard.create_button.invoke()
    assert wizard.errors["code"].cget("text")
    values = {"code": "DONG01", "name": "东村便民服务站", "township": "东镇", "login": "li",
              "display_name": "李代办", "password": "long enough 1", "confirm": "long enough 1"}
    for key, value in values.items():
        _type(wizard.entries[key], value)
    wizard.create_button.invoke()
    pump(app, lambda: hasattr(wizard, "code_label"))
    code = wizard.code_label.cget("text")
    assert len(code.replace("-", "")) == 30
    screenshot(app.root, "recovery-code")
    assert str(wizard.continue_button.cget("state")) == "disabled"
    wizard.confirmed.set(True)
    wizard._toggle()
    wizard.continue_button.invoke()

    login = app.screen
    assert isinstance(login, LoginView) and login.agent.get() == "li"
    _type(login.password, "wrong password")
    login.button.invoke()
    pump(app, lambda: str(login.button.cget("state")) == "normal")
    assert login.message.cget("text")
    screenshot(app.root, "login-wrong-password")
    _type(login.password, "long enough 1")
    login.password.event_generate("<Return>")
    pump(app, lambda: isinstance(app.screen, HomeView))
    home = app.screen
    assert home.tiles["drafts"].cget("text").startswith("0")
    screenshot(app.root, "home")

    home.tiles["drafts"].invoke()
    assert isinstance(app.screen, CaseListView)
    screenshot(app.root, "case-list")

    case_list = app.screen
    app.lock()
    assert isinstance(app.screen, LoginView) and app.locked
    assert app.screen.agent.get() == "li" and not case_list.winfo_ismapped()
    screenshot(app.root, "locked")
    app.find_cases()
    assert isinstance(app.screen, LoginView), "Ctrl+F must not pass the lock"
    _type(app.screen.password, "long enough 1")
    app.screen.button.invoke()
    pump(app, lambda: not app.locked)
    assert app.screen is case_list and case_list.winfo_exists()


def test_idle_window_locks_itself(station_dir: Path, app_factory, clock: FixedClock) -> None:
    from station.ui.views.login import LoginView

    app = app_factory(station_dir, clock=clock, idle_minutes=0.01)
    log_in(app)
    pump(app, lambda: isinstance(app.screen, LoginView))
    assert app.locked


def test_another_agent_unlocking_starts_at_home_in_their_own_session(
    station_dir: Path, app_factory, clock, session
) -> None:
    from station.ui.views.home import HomeView
    from station.ui.views.newcase import NewCaseView

    session.add_agent("zhao", "赵代办", "another password 1")
    app = app_factory(station_dir, clock=clock)
    app.screen.agent.set("wang")
    log_in(app)
    first = app.session
    assert isinstance(app.show_new_case(), NewCaseView)
    app.lock()
    app.screen.agent.set("zhao")
    _type(app.screen.password, "another password 1")
    app.screen.button.invoke()
    pump(app, lambda: not app.locked)
    assert isinstance(app.screen, HomeView) and app.session.agent.login == "zhao"
    assert app.session is not first


def test_a_failing_callback_shows_plain_words_not_a_traceback(
    station_dir: Path, app_factory, clock, capfd
) -> None:
    app = app_factory(station_dir, clock=clock)

    def broken() -> None:
        raise KeyError("欧阳明珠")

    app.root.after(0, broken)
    pump(app, lambda: "KeyError" in app.statusbar.cget("text"))
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "欧阳明珠" not in err + app.statusbar.cget("text")


def test_settings_are_saved_and_a_backup_is_made(
    station_dir: Path, app_factory, clock, tmp_path: Path
) -> None:
    from station import preferences
    from station.ui.views.settings import SettingsView

    app = app_factory(station_dir, clock=clock)
    log_in(app)
    app.screen.settings.invoke()
    view = app.screen
    assert isinstance(view, SettingsView)
    _type(view.idle, "abc")
    view.save_button.invoke()
    assert preferences.load(station_dir).idle_minutes == 10
    _type(view.idle, "3")
    _type(view.scan_folder, str(tmp_path))
    view.large_font.set(True)
    view.save_button.invoke()
    saved = preferences.load(station_dir)
    assert (saved.idle_minutes, saved.large_font, saved.scan_folder) == (3, True, str(tmp_path))
    screenshot(app.root, "settings")
    view.backup_to(tmp_path / "backup.zip")
    pump(app, lambda: str(view.backup_button.cget("state")) == "normal")
    assert (tmp_path / "backup.zip").stat().st_size > 0


def test_ledger_screen_exports_the_month(
    station_dir: Path, app_factory, clock, session, draft, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from station.ui.views.ledger import LedgerView

    session.close()
    app = app_factory(station_dir, clock=clock)
    log_in(app)
    app.screen.ledger.invoke()
    view = app.screen
    assert isinstance(view, LedgerView)
    assert view.start.get() == "2026-11-01" and view.end.get() == "2026-11-30"
    view.export_to(tmp_path / "ledger.xlsx")
    pump(app, lambda: str(view.export_button.cget("state")) == "normal")
    screenshot(app.root, "ledger")
    sheet = load_workbook(tmp_path / "ledger.xlsx").active
    assert draft.local_number in [str(c.value) for row in sheet.iter_rows() for c in row]
    assert float(view.progress.cget("value")) == float(view.progress.cget("maximum"))
