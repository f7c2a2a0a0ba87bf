"""The materials step through the real widgets under Xvfb: thumbnails, turning, moving and
deleting pages by buttons and by keys alone, import progress, and cancelling an import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from station import preferences
from station.models import MaterialFile
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import app_factory, pump  # noqa: F401 - shared fixture
from tests.ui.test_newcase_gui import _draft_on_screen

pytestmark = pytest.mark.usefixtures("display")


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Texts are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


def _scan(path: Path, shade: int = 235) -> Path:
    """A real portrait JPEG page with a dark band at its top."""
    image = Image.new("RGB", (620, 877), (shade, shade, 240))
    image.paste((20, 20, 20), (40, 40, 580, 120))
    image.save(path, "JPEG", quality=80)
    return path


def _materials_step(station_dir: Path, app_factory, clock, **settings):  # noqa: F811
    """The app on a new draft's materials step, with these preferences."""
    preferences.save(station_dir, preferences.Preferences(**settings))
    app = app_factory(station_dir, clock=clock)
    view = _draft_on_screen(app)
    view.steps.select(3)
    app.root.update()
    return app, view.materials_step


def _choose(app, step, code: str) -> None:
    step.materials.selection_set(code)
    app.root.update()


def _pages() -> list[MaterialFile]:
    return list(MaterialFile.select().order_by(MaterialFile.position))


def _thumbnails_drawn(step) -> bool:
    pages = step._presenter.pages()
    return bool(pages) and all(step.thumbnail_image(page.uuid) for page in pages)


@pytest.mark.parametrize("large_font", [False, True], ids=["normal", "large-font"])
def test_thumbnails_turn_and_delete_with_the_buttons(
    station_dir: Path, app_factory, clock, tmp_path: Path, large_font: bool  # noqa: F811
) -> None:
    app, step = _materials_step(station_dir, app_factory, clock, large_font=large_font)
    _choose(app, step, "id_card")
    step.import_paths([_scan(tmp_path / "a.jpg"), _scan(tmp_path / "b.jpg", shade=200)])
    pump(app, lambda: str(step.cancel_button.cget("state")) == "disabled"
         and _thumbnails_drawn(step))
    assert float(step.progress.cget("value")) == float(step.progress.cget("maximum")) == 2
    assert step.progress_text.cget("text") == "2 of 2 files"
    assert step.message.cget("text") == "2 pages added."
    assert step.materials.set("id_card", "pages") == "2"
    first = _pages()[0].uuid
    image = step.thumbnail_image(first)
    assert image.height() > image.width()  # a portrait page

    step.page_buttons["right"].invoke()
    assert _pages()[0].rotation == 90
    pump(app, lambda: _thumbnails_drawn(step))
    turned = step.thumbnail_image(first)
    assert turned.width() > turned.height()
    screenshot(app.root, "materials-large-font" if large_font else "materials")

    step.page_buttons["delete"].invoke()
    app.root.update()
    assert step.confirm_bar.winfo_ismapped() and not step.page_bar.winfo_ismapped()
    assert "page 1 of" in step.confirm_text.cget("text")
    assert "a.jpg" not in step.confirm_text.cget("text")
    step.delete_button.invoke()
    assert [page.uuid for page in _pages()] != [first] and len(_pages()) == 1
    assert step.materials.set("id_card", "pages") == "1"
    assert len(step.strip.uuids) == 1


def _key(app, widget, sequence: str) -> None:
    widget.focus_force()
    app.root.update()
    widget.event_generate(sequence)
    app.root.update()


def test_a_page_is_added_turned_moved_and_deleted_with_the_keyboard_alone(
    station_dir: Path, app_factory, clock, tmp_path: Path  # noqa: F811
) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    for n in range(2):
        _scan(folder / f"scan{n}.jpg", shade=240 - 40 * n)
    app, step = _materials_step(station_dir, app_factory, clock, scan_folder=str(folder))
    _key(app, step.materials, "<Down>")  # arriving chose the first row; Down the next
    assert step.materials.selection() == ("photo",)
    _key(app, step.materials, "<Up>")
    assert step.materials.selection() == ("id_card",)
    pump(app, lambda: len(step.scans.get_children()) == 2)
    _key(app, step.scans, "<Control-a>")
    assert len(step.scans.selection()) == 2
    _key(app, step.scans, "<Return>")
    pump(app, lambda: len(_pages()) == 2 and not step.scans.get_children())
    first, second = (page.uuid for page in _pages())

    _key(app, step.materials, "<Return>")
    assert app.root.focus_get() is step.strip
    _key(app, step.strip, "<Right>")
    _key(app, step.strip, "<KeyPress-r>")
    _key(app, step.strip, "<KeyPress-r>")
    _key(app, step.strip, "<KeyPress-R>")
    assert [page.rotation for page in _pages()] == [0, 90]
    _key(app, step.strip, "<Control-Left>")
    assert [page.uuid for page in _pages()] == [second, first]
    _key(app, step.strip, "<Delete>")
    assert app.root.focus_get() is step.keep_button  # the safe answer is the default
    _key(app, step.keep_button, "<Escape>")
    assert len(_pages()) == 2 and app.root.focus_get() is step.strip
    _key(app, step.strip, "<Delete>")
    _key(app, step.keep_button, "<Tab>")
    assert app.root.focus_get() is step.delete_button
    _key(app, step.delete_button, "<Return>")
    assert [page.uuid for page in _pages()] == [first]
    assert app.root.focus_get() is step.strip


def _release(fifo: Path, data: bytes) -> bool:
    """Feed ``data`` to the importer once it has opened ``fifo``; False until then."""
    try:
        handle = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # nobody reads the pipe (yet, or any more)
        return False
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return True


def test_cancel_in_the_middle_of_an_import_adds_no_page(
    station_dir: Path, app_factory, clock, tmp_path: Path  # noqa: F811
) -> None:
    app, step = _materials_step(station_dir, app_factory, clock)
    _choose(app, step, "id_card")
    waiting = tmp_path / "still-arriving.jpg"
    os.mkfifo(waiting)  # the importer blocks on it: file 2 of 3 is being read
    paths = [_scan(tmp_path / "a.jpg"), waiting, _scan(tmp_path / "c.jpg")]
    step.import_paths(paths)
    pump(app, lambda: float(step.progress.cget("value")) == 1)
    assert step.progress_text.cget("text") == "1 of 3 files"
    step.cancel_button.invoke()
    assert str(step.cancel_button.cget("state")) == "disabled"
    released = []
    pump(app, lambda: released.append(_release(waiting, paths[0].read_bytes()))
         or str(step.add_button.cget("state")) == "normal")
    assert step.message.cget("text") == "Import cancelled; no page was added."
    assert _pages() == [] and step.materials.set("id_card", "pages") == "0"


def test_a_returned_case_shows_the_township_checklist_in_the_step(
    station_dir: Path, app_factory, clock, session, matter, queued  # noqa: F811
) -> None:
    from forms.search import CatalogIndex
    from station.cases import MissingItem, StatusEvent
    from station.lifecycle import Transition
    from tests.ui.test_app_gui import log_in
    from tests.ui.test_casedetail import _one_matter_catalog

    session.cases.apply_status_event(queued.uuid, StatusEvent("up-1", Transition.UPLOAD))
    session.cases.apply_status_event(queued.uuid, StatusEvent(
        "ret-1", Transition.RETURN, reason="材料需补正",
        missing=(MissingItem("id_card", "居民身份证", "照片不清晰"),
                 MissingItem(None, "申请表", "人口一栏有误"))))
    session.close()
    app = app_factory(station_dir, clock=clock)
    app.catalog = _one_matter_catalog(matter)
    app.index = CatalogIndex(app.catalog.matters.values())
    log_in(app)
    app.edit_case(queued.uuid)
    view = app.screen
    view.steps.select(3)
    app.root.update()
    step = view.materials_step
    assert "township" in step.materials.cget("displaycolumns")
    assert step.materials.set("id_card", "township") == "✗ 照片不清晰"
    assert "人口一栏有误" in step.township_notes.cget("text")
    assert step.township_notes.winfo_ismapped()
    screenshot(app.root, "materials-returned")
