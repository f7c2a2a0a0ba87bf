"""The case detail screen: presenter without a display, then the real widgets."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from forms.catalog import make_catalog
from forms.search import CatalogIndex
from station.cases import MissingItem, StatusEvent
from station.lifecycle import CaseState, Transition
from station.materials import ReceiveNotAllowedError
from station.models import Case, DeferredMaterial, Evaluation, OutboxItem, SupplementItem
from station.printing import DocumentKind, display
from station.supplements import ResolutionNoteError
from station.ui.presenters.casedetail import CaseDetailPresenter
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import _type, app_factory, log_in, pump  # noqa: F401 - shared fixture


def _one_matter_catalog(matter):
    """A real one-matter catalog holding the station tests' matter."""
    header = {"id": "test", "version": 1, "title": "测试目录", "published": "2026-11-01",
              "format": 1}
    return make_catalog(header, {matter.code: matter}, {})


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Labels are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


CHECKLIST = (
    MissingItem("hukou", "户口簿复印件", "复印件不清晰，请重新复印"),
    MissingItem(None, "申请表", "家庭人口一栏填写有误"),
)


def _returned(session, case_uuid: str, clock) -> None:
    session.cases.apply_status_event(case_uuid, StatusEvent("up", Transition.UPLOAD))
    session.cases.apply_status_event(case_uuid, StatusEvent(
        "back", Transition.RETURN, reason="请按清单补正", missing=CHECKLIST))
    clock.advance(timedelta(minutes=5))


def _jpeg(path: Path) -> Path:
    """A real scan the importer accepts."""
    Image.new("RGB", (600, 800), "white").save(path, "JPEG", quality=85)
    return path


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


def test_presenter_shows_the_township_checklist_of_a_returned_case(
    session, matter, queued, scans, clock
) -> None:
    _returned(session, queued.uuid, clock)
    detail = CaseDetailPresenter(session, _one_matter_catalog(matter), queued.uuid)
    assert detail.can_edit() and not detail.can_receive()
    assert detail.return_reason() == "请按清单补正"
    lines = detail.checklist()
    assert [(line.name, line.reason, line.blocking) for line in lines] == [
        ("户口簿复印件", "复印件不清晰，请重新复印", True),
        ("申请表", "家庭人口一栏填写有误", False),
    ]
    assert "户口簿" in lines[0].status and "General point" in lines[1].status
    timeline = [line.text for line in detail.timeline()]
    returned = next(n for n, text in enumerate(timeline) if text.startswith("returned"))
    assert "请按清单补正" in timeline[returned]
    assert timeline[returned + 1:returned + 3] == [
        "— 户口簿复印件：复印件不清晰，请重新复印", "— 申请表：家庭人口一栏填写有误"]

    with pytest.raises(ResolutionNoteError):
        detail.mark_resolved(lines[1].item_id, " ")
    detail.mark_resolved(lines[1].item_id, "已更正家庭人口")
    session.materials.attach_pages(queued.uuid, "hukou", scans[2:])
    after = detail.checklist()
    assert [(line.blocking, line.resolvable) for line in after] == [(False, False)] * 2
    assert after[0].status == "Pages added" and "已更正家庭人口" in after[1].status


def test_presenter_shows_no_checklist_for_a_case_not_returned(session, matter, queued):
    detail = CaseDetailPresenter(session, _one_matter_catalog(matter), queued.uuid)
    assert detail.checklist() == [] and detail.return_reason() is None


def test_presenter_receives_a_deferred_material_brought_later(
    session, matter, queued, clock, tmp_path
) -> None:
    session.cases.apply_status_event(queued.uuid, StatusEvent("up", Transition.UPLOAD))
    detail = CaseDetailPresenter(session, _one_matter_catalog(matter), queued.uuid)
    (line,) = detail.open_deferrals()
    assert (line.code, line.promised_date, line.overdue) == ("hukou", date(2026, 12, 1), False)
    assert detail.can_receive()
    assert "Overdue materials" not in {line.label for line in detail.summary()}

    clock.advance(timedelta(days=9))  # 2026-12-02: the promised day has passed
    assert detail.open_deferrals()[0].overdue
    assert {line.label: line.text for line in detail.summary()}["Overdue materials"] == "户口簿"
    assert "OVERDUE" in {line.label: line.text for line in detail.materials()}["户口簿"]

    seen = []
    report = detail.receive_deferred("hukou", [_jpeg(tmp_path / "hukou.jpg")], progress=seen.append)
    assert len(report.pages) == 1 and not report.problems
    assert seen[-1].done == seen[-1].total == 1
    detail.reload()
    assert detail.open_deferrals() == [] and not detail.can_receive()
    assert detail.state is CaseState.UPLOADED and detail.case.revision == 2
    assert OutboxItem.select().order_by(OutboxItem.seq.desc()).first().kind == "materials"
    assert any("materials brought later" in line.text for line in detail.timeline())


def test_presenter_refuses_to_receive_into_a_returned_case(
    session, matter, queued, clock, tmp_path
) -> None:
    _returned(session, queued.uuid, clock)
    detail = CaseDetailPresenter(session, _one_matter_catalog(matter), queued.uuid)
    assert detail.open_deferrals() and not detail.can_receive()
    with pytest.raises(ReceiveNotAllowedError):
        detail.receive_deferred("hukou", [_jpeg(tmp_path / "hukou.jpg")])
    assert DeferredMaterial.get().fulfilled_at is None


@pytest.mark.usefixtures("display")
def test_detail_screen_receives_a_material_brought_later(
    station_dir: Path, app_factory, clock, session, matter, queued, tmp_path,  # noqa: F811
    monkeypatch,
) -> None:
    from tkinter import filedialog

    from station.ui.views.casedetail import CaseDetailView

    session.cases.apply_status_event(queued.uuid, StatusEvent("up", Transition.UPLOAD))
    session.close()
    clock.advance(timedelta(days=9))
    app = app_factory(station_dir, clock=clock)
    app.catalog = _one_matter_catalog(matter)
    log_in(app)
    app.show_case(queued.uuid)
    view = app.screen
    assert isinstance(view, CaseDetailView)
    screenshot(app.root, "case-detail-deferred")
    scan = _jpeg(tmp_path / "brought.jpg")
    monkeypatch.setattr(filedialog, "askopenfilenames", lambda **options: (str(scan),))
    view.buttons["receive-hukou"].invoke()
    pump(app, lambda: DeferredMaterial.get().fulfilled_at is not None
         and "receive-hukou" not in view.buttons)
    kinds = [item.kind for item in OutboxItem.select().order_by(OutboxItem.seq)]
    assert kinds == ["submission", "materials"]
    assert "1 page added" in view.message.cget("text")
    assert not view.brought.winfo_children()


@pytest.mark.usefixtures("display")
def test_detail_screen_shows_the_checklist_and_leads_to_the_supplement(
    station_dir: Path, app_factory, clock, session, matter, queued  # noqa: F811
) -> None:
    from station.ui.views.casedetail import CaseDetailView
    from station.ui.views.newcase import NewCaseView

    _returned(session, queued.uuid, clock)
    session.close()
    app = app_factory(station_dir, clock=clock)
    app.catalog = _one_matter_catalog(matter)
    app.index = CatalogIndex(app.catalog.matters.values())
    log_in(app)
    app.show_case(queued.uuid)
    view = app.screen
    assert isinstance(view, CaseDetailView)
    assert view.tabs.select() == str(view.checklist_tab)
    rows = view.checklist.get_children()
    assert [view.checklist.item(row)["values"][0] for row in rows] == ["户口簿复印件", "申请表"]
    assert [view.checklist.item(row)["tags"] for row in rows] == [["blocking"], ""]
    assert "请按清单补正" in view.return_reason.cget("text")
    assert "receive-hukou" not in view.buttons
    screenshot(app.root, "case-detail-returned")

    view.buttons["resolve"].invoke()
    assert "Choose a point" in view.message.cget("text")
    view.checklist.selection_set(rows[1])
    _type(view.note, "已更正家庭人口")
    view.buttons["resolve"].invoke()
    general = SupplementItem.get(SupplementItem.requirement_code.is_null())
    assert general.resolution_note == "已更正家庭人口"
    assert "已更正家庭人口" in view.checklist.item(rows[1])["values"][2]
    view.buttons["edit"].invoke()
    assert isinstance(app.screen, NewCaseView)


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
    view.event_generate("<Control-p>")
    pump(app, lambda: len(view.printed) == 2)
    assert view.printed[1].kind is DocumentKind.RECEIPT
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
