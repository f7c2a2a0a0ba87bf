"""A whole case through the real widgets under Xvfb: login → new case → applicant → form →
two pages from the drop folder → a deferred material → submit → receipt printed to PDF
(read back with pdftotext, its QR decoded with zbarimg) → evaluation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from station.demo import demo_id_number
from station.lifecycle import CaseState
from station.printing import DocumentKind
from station.models import Case, DeferredMaterial, Evaluation, MaterialFile
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import _type, app_factory, log_in, pump  # noqa: F401 - shared fixture

pytestmark = pytest.mark.usefixtures("display")


def submitted_text(view) -> str:
    return " ".join(str(w.cget("text")) for w in view.winfo_children() if "label" in str(w))


def _choose(box_input, label: str) -> None:
    box_input.box.set(label)
    box_input.box.event_generate("<<ComboboxSelected>>")


def _drop_folder(tmp_path: Path) -> Path:
    """The document camera's folder with two real JPEG scans in it."""
    from PIL import Image

    folder = tmp_path / "camera"
    folder.mkdir()
    for n in range(2):
        Image.new("RGB", (1240, 1754), (250 - n * 40, 250, 245)).save(folder / f"scan{n}.jpg")
    return folder


def test_file_a_case_with_the_keyboard_and_widgets(
    station_dir: Path, app_factory, clock, tmp_path: Path  # noqa: F811
) -> None:
    from station import preferences
    from station.ui.views.evaluation import EvaluationView
    from station.ui.views.home import HomeView
    from station.ui.views.newcase import NewCaseView
    from station.ui.views.submitted import SubmittedView

    preferences.save(station_dir, preferences.Preferences(scan_folder=str(_drop_folder(tmp_path))))
    app = app_factory(station_dir, clock=clock)
    log_in(app)
    app.screen.new_case.invoke()
    view = app.screen
    assert isinstance(view, NewCaseView)

    view.search.focus_force()
    _type(view.search, "lnrydz")
    app.root.update()
    view.search.event_generate("<KeyRelease>")
    app.root.update()
    assert view.matters.get_children()[0] == "FL-LNYD-001"
    view.matters.selection_set("FL-LNYD-001")
    app.root.update()
    assert "老年人优待证" in view.guide.get("1.0", "end")
    screenshot(app.root, "new-case-matter")
    view.choose_button.invoke()

    for key, value in (("name", "张秀英"), ("id_number", demo_id_number("19440312", "022")),
                       ("phone", "13903720001"), ("province", "河南省"), ("city", "安阳市"),
                       ("county", "安阳县"), ("township", "示范镇"), ("village", "示范村")):
        _type(view.fields[key], value)
    view.fields["id_number"].focus_force()
    app.root.update()
    view.fields["id_number"].event_generate("<KeyRelease>")
    app.root.update()
    assert "1944年3月12日" in view.id_info.cget("text")
    screenshot(app.root, "new-case-applicant")
    view.start_button.invoke()
    assert view.form_view is not None, view.message.cget("text")

    form = view.form_view
    matter = view._presenter.matter
    for field_id in ("residency", "apply_kind"):
        _choose(form.rows[field_id].input, matter.field(field_id).choices[0].label)
    screenshot(app.root, "new-case-form")

    view.steps.select(3)
    step = view.materials_step
    pump(app, lambda: len(step.scans.get_children()) == 2)
    step.materials.selection_set("id_card")
    app.root.update()
    step.scans.selection_set(step.scans.get_children())
    step.scan_button.invoke()
    pump(app, lambda: step.materials.set("id_card", "pages") == "2")
    assert not step.scans.get_children()
    step.materials.selection_set("photo")
    app.root.update()
    _type(step.defer_date, "2026-12-10")
    step.defer_button.invoke()
    assert step.materials.set("photo", "deferred") == "2026-12-10"
    screenshot(app.root, "new-case-materials")

    view.steps.select(4)
    app.root.update()
    assert str(view.submit_button.cget("state")) == "normal", view.problems.get("1.0", "end")
    screenshot(app.root, "new-case-review")
    view.submit_button.invoke()
    submitted = app.screen
    assert isinstance(submitted, SubmittedView)
    case = Case.get()
    assert case.local_number in submitted_text(submitted)
    assert len(submitted.print_buttons) == 2  # the receipt and the commitment letter
    submitted.print_buttons[DocumentKind.RECEIPT].invoke()
    pump(app, lambda: submitted.printed and "…" not in submitted.message.cget("text"))
    screenshot(app.root, "submitted")
    receipt = Path(submitted.printed[0].path)
    text = subprocess.run(["pdftotext", str(receipt), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert case.local_number in text and "张秀英" in text
    png = receipt.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(receipt),
                    str(png)], check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", f"{png}-1.png"],
                             capture_output=True, text=True, check=True).stdout
    assert decoded.strip() == case.local_number
    submitted.continue_button.invoke()
    assert isinstance(app.screen, EvaluationView)
    screenshot(app.root, "evaluation")
    app.screen.buttons[next(iter(app.screen.buttons))].invoke()
    assert isinstance(app.screen, HomeView)

    case = Case.get()
    assert case.state == CaseState.QUEUED
    assert case.answers["applicant_name"] == "张秀英" and case.answers["residency"]
    assert MaterialFile.select().where(MaterialFile.case == case).count() == 2
    assert DeferredMaterial.select().count() == 1
    assert Evaluation.get(Evaluation.case == case).level == "very_satisfied"


def _draft_on_screen(app):
    """Log in and start a draft of 老年人优待证 for a new applicant; its form is showing."""
    log_in(app)
    view = app.show_new_case()
    view.matters.selection_set("FL-LNYD-001")
    app.root.update()
    view.choose_button.invoke()
    _type(view.fields["name"], "张秀英")
    view.start_button.invoke()
    return view


def test_closing_the_window_keeps_what_was_typed(
    station_dir: Path, app_factory, clock  # noqa: F811
) -> None:
    app = app_factory(station_dir, clock=clock)
    view = _draft_on_screen(app)
    entry = view.form_view.rows["emergency_contact"].input.entry
    entry.insert(0, "李建国")  # typed, never left: only the close can save it
    app.quit()
    from station.models import Case

    assert Case.get().answers["emergency_contact"] == "李建国"


def test_the_review_prints_a_one_time_notice_of_what_is_missing(
    station_dir: Path, app_factory, clock  # noqa: F811
) -> None:
    app = app_factory(station_dir, clock=clock)
    view = _draft_on_screen(app)
    view.steps.select(4)
    app.root.update()
    assert str(view.submit_button.cget("state")) == "disabled"
    view.notice_button.invoke()
    pump(app, lambda: bool(view.printed))
    text = subprocess.run(["pdftotext", str(view.printed[0].path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "老年人居民身份证" in text  # the missing material, named for the applicant


def test_ctrl_s_saves_the_form(station_dir: Path, app_factory, clock) -> None:  # noqa: F811
    from station.models import Case

    app = app_factory(station_dir, clock=clock)
    view = _draft_on_screen(app)
    entry = view.form_view.rows["emergency_contact"].input.entry
    entry.focus_force()
    entry.insert(0, "李建国")
    app.root.update()
    entry.event_generate("<Control-s>")
    app.root.update()
    assert Case.get().answers["emergency_contact"] == "李建国"
