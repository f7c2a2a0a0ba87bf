"""The case detail screen: presenter without a display, then the real widgets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from forms.catalog import make_catalog
from forms.search import CatalogIndex
from station.cases import StatusEvent
from station.lifecycle import CaseState, Transition
from station.models import Case, Evaluation
from station.printing import DocumentKind, display
from station.ui.presenters.casedetail import CaseDetailPresenter
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import _type, app_factory, log_in, pump  # noqa: F401 - shared fixture


def _one_matter_catalog(matter):
    """A real one-matter catalog holding the station tests' matter."""
    header = {"id": "test", "version": 1, "title": "测试目录", "published": "2026-11-01",
              "format": 1}
    return make_catalog(header, {matter.code: matter}, {})


def _complete(session, case_uuid: str) -> None:
    for n, step in enumerate((Transition.UPLOAD, Transition.ACCEPT)):
        session.cases.apply_status_event(case_uuid, StatusEvent(f"e{n}", step))
    session.cases.apply_status_event(
        case_uuid, StatusEvent("done", Transition.COMPLETE, result_text="准予补助", approved=True))


def test_presenter_shows_summary_answers_materials_and_timeline(session, matter, queued) -> None:
    detail = CaseDetailPresenter(session, _one_matter_catalog(matter), queued.uuid)
    summary = {line.label: line.text for line in detail.summary()}
    assert summary["Case number"] == queued.local_number
    assert "11010519491231002X" not in str(summary) and "欧阳明珠" in summary["Applicant"]
    assert any(line.text == "欧阳明珠" for line in detail.answers())
    materials = {line.label: line.text for line in detail.materials()}
    assert "2" in materials["居民身份证"]
    assert display.day(date(2026, 12, 1)) in materials["户口簿"]
    assert [line.text.split(" · ")[0] for line in detail.timeline()][:2] == [
        "a draft", "queued for upload"]
    assert [kind for kind, _label in detail.printable()] == [
        DocumentKind.RECEIPT, DocumentKind.NOTICE, DocumentKind.COMMITMENT]
    assert detail.can(Transition.WITHDRAW) and not detail.can_edit()


def test_presenter_delivery_and_close(session, matter, queued) -> None:
    _complete(session, queued.uuid)
    detail = CaseDetailPresenter(session, _one_matter_catalog(matter), queued.uuid)
    assert {line.label: line.text for line in detail.summary()}["Result"] == "准予补助"
    detail.deliver("本人领取")
    assert detail.state is CaseState.DELIVERED and detail.can_rate_delivery()
    detail.close()
    assert detail.state is CaseState.CLOSED


@pytest.mark.usefixtures("display")
def test_detail_screen_delivers_rates_and_closes(
    station_dir: Path, app_factory, clock, session, matter, queued  # noqa: F811
) -> None:
    from station.ui.views.casedetail import CaseDetailView
    from station.ui.views.evaluation import EvaluationView

    _complete(session, queued.uuid)
    session.close()
    app = app_factory(station_dir, clock=clock)
    app.catalog = _one_matter_catalog(matter)
    log_in(app)
    app.show_case(queued.uuid)
    view = app.screen
    assert isinstance(view, CaseDetailView)
    screenshot(app.root, "case-detail")
    view.buttons[f"print-{DocumentKind.NOTICE}"].invoke()
    pump(app, lambda: bool(view.printed))
    assert Path(view.printed[0].path).stat().st_size > 0
    _type(view.reason, "本人领取")
    view.buttons["deliver"].invoke()
    assert Case.get_by_id(queued.id).state == CaseState.DELIVERED
    view.buttons["rate"].invoke()
    assert isinstance(app.screen, EvaluationView)
    app.screen.buttons[next(iter(app.screen.buttons))].invoke()
    assert Evaluation.get(Evaluation.stage == "delivery").case.id == queued.id
    view = app.screen
    assert isinstance(view, CaseDetailView)
    view.buttons["close"].invoke()
    assert Case.get_by_id(queued.id).state == CaseState.CLOSED
    timeline = [view.tables["timeline"].item(i)["values"][1]
                for i in view.tables["timeline"].get_children()]
    assert any("closed" in str(text) for text in timeline)


@pytest.mark.usefixtures("display")
def test_a_draft_opens_from_the_list_and_goes_back_to_editing(
    station_dir: Path, app_factory, clock, session, matter, draft  # noqa: F811
) -> None:
    from station.caselist import CaseFilter
    from station.ui.views.casedetail import CaseDetailView
    from station.ui.views.newcase import NewCaseView

    session.close()
    app = app_factory(station_dir, clock=clock)
    app.catalog = _one_matter_catalog(matter)
    app.index = CatalogIndex(app.catalog.matters.values())
    log_in(app)
    app.show_cases("drafts", CaseFilter(states=(CaseState.DRAFT,)))
    table = app.screen.table
    table.focus(draft.uuid)
    table.focus_force()
    app.root.update()
    table.event_generate("<Return>")
    app.root.update()
    assert isinstance(app.screen, CaseDetailView)
    app.screen.buttons["edit"].invoke()
    view = app.screen
    assert isinstance(view, NewCaseView)
    assert view.steps.index("current") == 2 and view.form_view is not None
    assert view.form_view.presenter.answers["applicant_name"] == "欧阳明珠"
