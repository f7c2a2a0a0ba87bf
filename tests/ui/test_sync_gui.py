"""Sync in the real window under Xvfb, against a real township on 127.0.0.1: enrolling from
Settings and from the first-run wizard (a QR picture), the sync bar from queue to synced,
a township decision and message reaching home, an upload set aside with its reason, and
the runner stopped when another agent takes over and when the window closes.

The runner pauses until Sync now or stop (never on a timer), so every round here is one
the test asked for (or the one that starts with the session)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tkinter as tk

from station.enrolment import enrol
from station.models import MaterialFile
from sync.township.decisions import MissingItem
from sync.township.qr import write_enrolment_qr
from tests.sync.conftest import queue_case
from forms.search import CatalogIndex
from tests.township.server import RunningTownship
from tests.ui.test_casedetail import _one_matter_catalog
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import _type, log_in, pump
from tests.ui.test_sync_presenters import township, woken_only  # noqa: F401 - module fixture

pytestmark = pytest.mark.usefixtures("display")


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Words are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


@pytest.fixture
def make_app(clock) -> Iterator[Callable[[Path], object]]:
    """Windows whose sync pauses until woken; each is closed at the end."""
    made = []

    def make(data_dir: Path):  # noqa: ANN202 - a StationApp
        from station.ui.app import StationApp
        from station.ui.sync import SyncOptions

        app = StationApp(data_dir, clock=clock, idle_minutes=10,
                         sync_options=SyncOptions(pause=woken_only))
        made.append(app)
        app.root.update()
        return app

    yield make
    for app in made:
        try:
            alive = app.root.winfo_exists()
        except tk.TclError:
            alive = False
        if alive:
            app.quit()


def _bar(app) -> str:  # noqa: ANN001
    return app.syncbar.cget("text")


def _synced(app, waiting: int = 0) -> Callable[[], bool]:  # noqa: ANN001
    return lambda: _bar(app).startswith("Connected · last sync 2026-11-23 10:00 · "
                                        f"{waiting} waiting to upload")


def _enrolled(session, township: RunningTownship) -> str:  # noqa: ANN001
    code = township.add_station("测试村便民服务站")
    enrol(session, township.url, code.code)
    return code.station


def _sync_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "station-sync"]


def test_enrol_in_settings_then_sync_now_sends_the_queue(
        station_dir: Path, session, matter, applicant, queued, scans, township,
        make_app) -> None:
    from station.ui.views.enrol import EnrolView
    from station.ui.views.home import HomeView
    from station.ui.views.settings import SettingsView

    session.close()
    app = make_app(station_dir)
    log_in(app)
    home = app.screen
    assert _bar(app).startswith("Not connected to the township yet (works offline) · "
                                "1 waiting to upload")
    assert str(home.sync_now.cget("state")) == "disabled" and home.sync_hint.cget("text")
    home.settings.invoke()
    app.screen.enrol_button.invoke()
    view = app.screen
    assert isinstance(view, EnrolView)
    code = township.add_station("测试村便民服务站")
    _type(view.address, township.url)
    _type(view.code, code.code)
    screenshot(app.root, "enrol")
    view.code.focus_force()
    pump(app, lambda: app.root.focus_get() is view.code)
    view.code.event_generate("<Return>")
    pump(app, lambda: hasattr(view, "continue_button"))
    assert code.station in view.message.cget("text")
    pump(app, _synced(app))  # the first round starts as soon as the station is enrolled
    view.continue_button.invoke()
    settings = app.screen
    assert isinstance(settings, SettingsView) and settings.enrol_button is None

    queue_case(app.session, matter, applicant, scans[:1])
    app.show_home()
    assert _bar(app).startswith("Connected · last sync 2026-11-23 10:00 · 1 waiting to upload")
    assert isinstance(app.screen, HomeView) and app.screen.tiles["queued"].cget("text")[0] == "1"
    app.screen.sync_now.invoke()
    pump(app, _synced(app))
    assert app.screen.tiles["queued"].cget("text")[0] == "0"


def test_a_township_decision_and_a_message_reach_home(
        station_dir: Path, session, matter, queued, township, make_app) -> None:
    from station.ui.presenters.casedetail import CaseDetailPresenter
    from station.ui.views.casedetail import CaseDetailView
    from station.ui.views.syncitems import SyncItemsView

    station = _enrolled(session, township)
    session.close()
    app = make_app(station_dir)
    log_in(app)
    pump(app, _synced(app))
    home = app.screen
    assert home.tiles["returned"].cget("text").startswith("0")
    decide = township.service.decisions
    decide.return_case(station, queued.uuid, "材料不全",
                       [MissingItem("hukou", "户口簿", "缺户主页")])
    decide.message(station, "请带户口簿原件来站补正", queued.uuid)
    home.sync_now.event_generate("<F5>")
    pump(app, lambda: home.tiles["returned"].cget("text").startswith("1"))
    assert home.tiles["messages"].cget("text").startswith("1")
    screenshot(app.root, "home-sync")

    home.tiles["messages"].invoke()
    listing = app.screen
    assert isinstance(listing, SyncItemsView)
    [row] = listing.rows.values()
    assert row.what == "请带户口簿原件来站补正" and row.case_number == queued.local_number
    listing.update()
    assert "请带户口簿原件来站补正" in listing.detail.cget("text")
    app.catalog = _one_matter_catalog(matter)
    app.index = CatalogIndex(app.catalog.matters.values())
    listing.table.focus_force()
    pump(app, lambda: app.root.focus_get() is listing.table)
    listing.table.event_generate("<Return>")
    assert isinstance(app.screen, CaseDetailView)
    detail = CaseDetailPresenter(app.session, app.catalog, queued.uuid)
    assert [(line.name, line.reason) for line in detail.checklist()] == [("户口簿", "缺户主页")]


def test_an_upload_set_aside_is_listed_with_its_reason(
        station_dir: Path, session, queued, township, make_app) -> None:
    from station.ui.views.syncitems import SyncItemsView

    _enrolled(session, township)
    for page in MaterialFile.select():
        session.blobs.path_of(page.blob_name).unlink()
    session.close()
    app = make_app(station_dir)
    log_in(app)
    reason = "A page file of this item is missing; the item was set aside."
    pump(app, lambda: _bar(app).endswith(reason))
    assert "0 waiting to upload · 1 set aside" in _bar(app)
    assert str(app.syncbar.cget("style")).startswith("danger")
    app.screen.refresh()
    tile = app.screen.tiles["set_aside"]
    assert tile.cget("text").startswith("1") and "danger" in str(tile.cget("style"))
    tile.invoke()
    listing = app.screen
    assert isinstance(listing, SyncItemsView)
    listing.update()
    assert listing.table.set(listing.table.focus(), 1) == queued.local_number
    assert listing.detail.cget("text").startswith(f"Upload (submission): {reason}")
    screenshot(app.root, "set-aside")


def test_sync_stops_when_another_agent_takes_over_and_when_the_window_closes(
        station_dir: Path, session, township, make_app) -> None:
    _enrolled(session, township)
    session.add_agent("zhao", "赵代办", "another password 1")
    session.close()
    app = make_app(station_dir)
    app.screen.agent.set("wang")
    log_in(app)
    first = app.sync.thread
    assert first.is_alive() and _sync_threads() == [first]
    pump(app, _synced(app))
    app.lock()
    assert first.is_alive(), "the lock keeps the session, and its sync, going"
    app.screen.agent.set("zhao")
    _type(app.screen.password, "another password 1")
    app.screen.button.invoke()
    pump(app, lambda: not app.locked)
    assert app.session.agent.login == "zhao"
    assert not first.is_alive() and first not in threading.enumerate()
    second = app.sync.thread
    assert second is not first and _sync_threads() == [second]
    pump(app, _synced(app))
    app.quit()
    assert not second.is_alive() and _sync_threads() == []


def test_first_run_offers_enrolment_by_the_townships_qr_picture(
        tmp_path: Path, township, make_app) -> None:
    from station.ui.views.enrol import EnrolView
    from station.ui.views.home import HomeView

    app = make_app(tmp_path / "station")
    wizard = app.screen
    values = {"code": "DONG01", "name": "东村便民服务站", "township": "东镇", "login": "li",
              "display_name": "李代办", "password": "long enough 1", "confirm": "long enough 1"}
    for key, value in values.items():
        _type(wizard.entries[key], value)
    wizard.create_button.invoke()
    pump(app, lambda: hasattr(wizard, "enrol_button"))
    assert str(wizard.enrol_button.cget("state")) == "disabled"
    wizard.confirmed.set(True)
    wizard._toggle()
    wizard.enrol_button.invoke()
    _type(app.screen.password, "long enough 1")
    app.screen.submit()
    pump(app, lambda: isinstance(app.screen, EnrolView))
    view = app.screen
    assert view.leave_button.cget("text") == "Skip: enrol later in Settings"
    view.code.focus_force()
    pump(app, lambda: app.root.focus_get() is view.code)
    view.code.event_generate("<Return>")
    pump(app, lambda: app.root.focus_get() is view.address)
    assert view.message.cget("text").startswith("Type the township platform's address")
    picture = tmp_path / "enrol.png"
    code = township.add_station("东村便民服务站")
    write_enrolment_qr(picture, township.url, code.code)
    view.address.focus_force()
    view.read_qr(picture)
    pump(app, lambda: app.root.focus_get() is view.enrol_button)
    assert (view.address.get(), view.code.get()) == (township.url, code.code)
    view.enrol_button.invoke()
    pump(app, lambda: hasattr(view, "continue_button"))
    view.continue_button.invoke()
    assert isinstance(app.screen, HomeView) and app.sync.thread.is_alive()
    pump(app, lambda: _bar(app).startswith("Connected · last sync"))
    assert app.screen.tiles["queued"].cget("text").startswith("0")
