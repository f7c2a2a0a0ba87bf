"""The case list's filter bar under Xvfb, driven with the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from station import preferences
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import app_factory, log_in, pump  # noqa: F401 - shared fixture
from tests.ui.test_caselist_presenter import filed  # noqa: F401 - shared fixture

pytestmark = pytest.mark.usefixtures("display")


def _press(app, key: str) -> None:
    """One key press on the widget that has the keyboard focus."""
    app.root.focus_get().event_generate(f"<{key}>")
    app.root.update()


def _type(app, text: str) -> None:
    for char in text:
        _press(app, "minus" if char == "-" else f"KeyPress-{char}")


def _open_the_list(app, filed_session) -> object:
    from station.ui.views.caselist import CaseListView

    filed_session.close()
    app.screen.agent.set("wang")  # the fixture added li, who would come first
    log_in(app)
    app.find_cases()
    view = app.screen
    assert isinstance(view, CaseListView)
    view.search.focus_force()
    pump(app, lambda: app.root.focus_get() is view.search)
    return view


def _there_and_back(app, view, case_uuid: str, matter):  # noqa: ANN001, ANN202
    """Open a case from the list with the keyboard, then go back; the new list view."""
    from station.ui.views.casedetail import CaseDetailView
    from tests.ui.test_casedetail import _one_matter_catalog

    app.catalog = _one_matter_catalog(matter)
    view.table.focus(case_uuid)
    view.table.focus_force()
    pump(app, lambda: app.root.focus_get() is view.table)
    _press(app, "Return")
    assert isinstance(app.screen, CaseDetailView)
    app.screen.back_button.invoke()
    return app.screen


def test_choose_a_state_and_dates_with_the_keyboard(
    station_dir: Path, app_factory, clock, session, filed, matter  # noqa: F811
) -> None:
    app = app_factory(station_dir, clock=clock)
    view = _open_the_list(app, session)
    assert len(view.table.get_children()) == 6
    _press(app, "Tab")
    assert app.root.focus_get() is view.state_box
    _press(app, "Down")  # "All states" -> "a draft"
    assert view.state_box.value == "draft"
    for _ in range(3):  # past matter and agent to the start date
        _press(app, "Tab")
    assert app.root.focus_get() is view.created_from
    _type(app, "2026-11-22")
    _press(app, "Tab")
    _type(app, "2026-11-23")
    _press(app, "Return")
    shown = set(view.table.get_children())
    assert shown == {filed["draft23"], filed["pension23"]}
    assert view.status.cget("text") == "Page 1 of 1 · 2 cases"
    screenshot(app.root, "caselist")
    view = _there_and_back(app, view, filed["draft23"], matter)
    assert set(view.table.get_children()) == shown, "back from a case keeps the filter"
    assert (view.state_box.value, view.created_to.get()) == ("draft", "2026-11-23")

    view.created_from.delete(0, "end")
    view.created_from.focus_force()
    _type(app, "2026-13-01")
    _press(app, "Return")
    assert "YYYY-MM-DD" in view.message.cget("text")
    assert app.root.focus_get() is view.created_from
    assert set(view.table.get_children()) == shown

    view.clear_button.focus_force()
    _press(app, "Return")
    assert len(view.table.get_children()) == 6 and view.created_to.get() == ""
    assert view.state_box.value is None and view.message.cget("text") == ""


def test_the_filter_bar_fits_the_smallest_window_in_large_font(
    station_dir: Path, app_factory, clock, session, filed  # noqa: F811
) -> None:
    preferences.save(station_dir, preferences.Preferences(large_font=True))
    app = app_factory(station_dir, clock=clock)
    app.root.geometry("1024x640")
    view = _open_the_list(app, session)
    app.root.update()
    right = view.winfo_rootx() + view.winfo_width()
    for widget in (view.state_box, view.matter_box, view.agent_box, view.created_to,
                   view.clear_button, view.search):
        assert widget.winfo_ismapped() and widget.winfo_rootx() + widget.winfo_width() <= right
    screenshot(app.root, "caselist-large-font")
