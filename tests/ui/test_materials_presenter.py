"""The materials step without a display: a real draft, real scans, real encrypted pages."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from station.importer import ImportProgress
from station.materials import MaterialError
from station.models import MaterialFile
from station.scanfolder import ScanArrived, ScanKey
from station.ui.presenters.materials import (
    ChooseFirstError,
    DateFormatError,
    MaterialsPresenter,
)

SECRET_FILE = "欧阳明珠身份证"


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Messages are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


def _image(path: Path, size: tuple[int, int] = (400, 560), shade: int = 230) -> Path:
    Image.new("RGB", size, (shade, shade, 240)).save(path, "JPEG" if path.suffix == ".jpg"
                                                     else "PNG")
    return path


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    """Three real scans whose names are personal."""
    return [_image(tmp_path / f"{SECRET_FILE}{n}{suffix}", shade=250 - 30 * n)
            for n, suffix in enumerate((".jpg", ".png", ".jpg"))]


@pytest.fixture
def step(session, draft, matter) -> MaterialsPresenter:
    presenter = MaterialsPresenter(session)
    presenter.open(draft.uuid, matter)
    return presenter


@pytest.fixture
def three_pages(step, files) -> list[str]:
    """The ID card with three pages, the second one chosen."""
    step.choose("id_card")
    report = step.import_files("id_card", files)
    assert len(report.pages) == 3, report.summary()
    uuids = [page.uuid for page in step.pages()]
    step.select_page(uuids[1])
    return uuids


def _order(step) -> list[str]:
    return [page.uuid for page in step.pages()]


def test_the_checklist_lists_every_material_of_the_draft(step) -> None:
    rows = step.requirements()
    assert [row.code for row in rows] == ["id_card", "hukou", "income_proof"]
    assert [row.needed for row in rows] == [True, True, False]  # no income: no income proof
    assert all(row.pages == 0 and row.deferred_until is None for row in rows)
    assert rows[0].form == "Original · Shown, returned" and rows[0].name == "居民身份证"


def test_importing_adds_pages_and_reports_progress(step, files) -> None:
    seen: list[ImportProgress] = []
    step.choose("id_card")
    step.begin_import()
    report = step.import_files("id_card", files[:2], seen.append)
    assert [(value.done, value.total) for value in seen] == [(0, 2), (1, 2), (2, 2)]
    assert report.summary() == "2 pages added."
    assert [page.number for page in step.pages()] == [1, 2]
    assert step.requirements()[0].pages == 2
    assert step.page is None  # chosen by the view's next choose()
    step.choose("id_card")
    assert step.page == step.pages()[0].uuid


def test_cancel_stops_before_the_next_file_and_adds_nothing(step, files) -> None:
    seen: list[int] = []

    def progress(value: ImportProgress) -> None:
        seen.append(value.done)
        if value.done == 1:
            step.cancel_import()

    step.begin_import()
    report = step.import_files("id_card", files, progress)
    assert report.cancelled and seen == [0, 1]
    assert report.summary() == "Import cancelled; no page was added."
    assert MaterialFile.select().count() == 0
    step.begin_import()  # a new import starts uncancelled
    assert len(step.import_files("id_card", files[:1]).pages) == 1


@pytest.mark.parametrize(
    "turns, expected",
    [([True], 90), ([False], 270), ([True, True], 180), ([True] * 4, 0), ([False, True], 0)],
)
def test_rotate_turns_the_chosen_page(step, three_pages, turns, expected) -> None:
    for clockwise in turns:
        step.rotate(clockwise)
    assert MaterialFile.get(MaterialFile.uuid == three_pages[1]).rotation == expected
    assert [page.rotation for page in step.pages()] == [0, expected, 0]


@pytest.mark.parametrize(
    "offset, order",
    [(-1, [1, 0, 2]), (1, [0, 2, 1]), (-9, [1, 0, 2]), (9, [0, 2, 1]), (0, [0, 1, 2])],
)
def test_move_puts_the_chosen_page_elsewhere(step, three_pages, offset, order) -> None:
    step.move(offset)
    assert _order(step) == [three_pages[i] for i in order]
    assert step.page == three_pages[1]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.integers(0, 2), st.integers(-3, 3)), max_size=6))
def test_moves_keep_every_page_once(step, three_pages, moves) -> None:
    expected = _order(step)
    for index, offset in moves:
        step.select_page(expected[index])
        step.move(offset)
        page = expected.pop(index)
        expected.insert(max(0, min(index + offset, len(expected))), page)
    assert _order(step) == expected and sorted(expected) == sorted(three_pages)


@pytest.mark.parametrize("start, offset, chosen", [(1, -1, 0), (1, 1, 2), (0, -1, 0),
                                                   (2, 1, 2), (0, 5, 2)])
def test_step_chooses_a_neighbour_and_stops_at_the_ends(step, three_pages, start, offset,
                                                        chosen) -> None:
    step.select_page(three_pages[start])
    step.step(offset)
    assert step.page == three_pages[chosen]


@pytest.mark.parametrize("deleted, chosen_after", [(0, 1), (1, 2), (2, 1)])
def test_delete_asks_by_page_number_and_removes_the_page(step, three_pages, deleted,
                                                         chosen_after) -> None:
    step.select_page(three_pages[deleted])
    question = step.delete_question()
    assert f"page {deleted + 1} of “居民身份证”" in question
    assert SECRET_FILE not in question
    step.delete()
    remaining = [uuid for uuid in three_pages if uuid != three_pages[deleted]]
    assert _order(step) == remaining
    assert [page.number for page in step.pages()] == [1, 2]
    assert step.page == three_pages[chosen_after]
    assert MaterialFile.get_or_none(MaterialFile.uuid == three_pages[deleted]) is None


def test_deleting_the_last_page_leaves_nothing_chosen(step, files) -> None:
    step.import_files("id_card", files[:1])
    step.choose("id_card")
    step.delete()
    assert step.pages() == [] and step.page is None
    with pytest.raises(ChooseFirstError):
        step.rotate()


def test_the_thumbnail_shows_the_stored_rotation(step, tmp_path) -> None:
    step.import_files("id_card", [_image(tmp_path / "wide.png", size=(600, 300))])
    step.choose("id_card")
    sizes = []
    for _turn in range(2):
        png = step.thumbnail(step.pages()[0])
        sizes.append(Image.open(io.BytesIO(png)).size)
        step.rotate()
    (width, height), (turned_width, turned_height) = sizes
    assert width > height and turned_height > turned_width
    assert max(sizes[0]) <= 158


@pytest.mark.parametrize("command", ["rotate", "delete", "delete_question", "cancel_deferral"])
def test_commands_need_a_choice_first(step, command) -> None:
    with pytest.raises(ChooseFirstError):
        getattr(step, command)()


def test_defer_then_take_the_deferral_back(step) -> None:
    step.choose("hukou")
    with pytest.raises(DateFormatError):
        step.defer("10/12/2026")
    step.defer(" 2026-12-10 ")
    row = {row.code: row for row in step.requirements()}["hukou"]
    assert row.deferred_until == date(2026, 12, 10) and row.deferred_text == "2026-12-10"
    step.cancel_deferral()
    assert {row.code: row for row in step.requirements()}["hukou"].deferred_until is None
    step.choose("id_card")
    with pytest.raises(MaterialError):
        step.defer("2026-12-10")  # the ID card is needed now


def _arrived(path: Path) -> ScanArrived:
    stat = path.stat()
    return ScanArrived(path, ScanKey(path.name, stat.st_size, stat.st_mtime_ns))


def test_scans_that_became_pages_are_forgotten(step, files, tmp_path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(files[0].read_bytes()[:500])
    events = [_arrived(files[0]), _arrived(broken), _arrived(files[1])]
    rows = [step.scan_arrived(event) for event in events]
    assert rows[0].name == files[0].name and rows[0].size.endswith(" MB")
    names = [row.name for row in rows]
    step.begin_import()
    report = step.import_files("id_card", step.scan_paths(names))
    assert len(report.pages) == 2 and len(report.problems) == 1
    keys = step.scans_imported(names, report)
    assert keys == [events[0].key, events[2].key]
    assert list(step.arrived) == ["broken.jpg"]


def test_a_cancelled_import_keeps_every_scan(step, files) -> None:
    names = [step.scan_arrived(_arrived(path)).name for path in files]
    step.cancel_import()
    report = step.import_files("id_card", step.scan_paths(names))
    assert report.cancelled and step.scans_imported(names, report) == []
    assert sorted(step.arrived) == sorted(names)


def test_a_returned_case_shows_the_township_points_by_material(session, queued, matter,
                                                               files, clock) -> None:
    from datetime import timedelta

    from station.cases import MissingItem, StatusEvent
    from station.lifecycle import Transition

    session.cases.apply_status_event(queued.uuid, StatusEvent("up-1", Transition.UPLOAD))
    session.cases.apply_status_event(queued.uuid, StatusEvent("ret-1", Transition.RETURN,
        reason="材料需补正", missing=(MissingItem("id_card", "居民身份证", "照片不清晰"),
                                     MissingItem(None, "申请表", "人口一栏有误"))))
    step = MaterialsPresenter(session)
    step.open(queued.uuid, matter)
    rows = {row.code: row.township for row in step.requirements()}
    assert rows == {"id_card": "✗ 照片不清晰", "hukou": "", "income_proof": ""}
    assert step.township_notes() == ["Returned by the township: 材料需补正",
                                     "✗ 申请表：人口一栏有误"]
    clock.advance(timedelta(minutes=5))
    step.choose("id_card")
    step.import_files("id_card", files[:1])
    assert {row.code: row.township for row in step.requirements()}["id_card"] == "✓ 照片不清晰"


def test_a_draft_never_returned_has_no_township_notes(step) -> None:
    assert step.township_notes() == []
    assert all(row.township == "" for row in step.requirements())
