"""Importing scans into a real station: real files, real store, real encrypted blobs."""

from __future__ import annotations

import io
import logging
import queue
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from station.cases import CaseEditError
from station.images import DamagedScanError, NotAScanError, ScanReadError
from station.importer import ImportProgress, ImportReport, import_pages
from station.materials import MaterialError
from station.models import Case, MaterialFile

SECRET_NAME = "欧阳明珠"


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Messages are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


def _jpeg(path: Path, size: tuple[int, int] = (600, 800), **options) -> Path:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((50, 50, size[0] - 50, 120), fill="black")
    image.save(path, "JPEG", quality=90, **options)
    return path


def _png(path: Path) -> Path:
    Image.new("L", (300, 400), 200).save(path, "PNG")
    return path


def _pdf(path: Path) -> Path:
    Image.new("RGB", (595, 842), "white").save(path, "PDF")
    return path


def _text(path: Path) -> Path:
    path.write_text(f"{SECRET_NAME} 11010519491231002X")
    return path


def _truncated(path: Path) -> Path:
    data = _jpeg(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    path = tmp_path / "drop"
    path.mkdir()
    return path


def _pages(case_uuid: str) -> list[MaterialFile]:
    query = MaterialFile.select().join(Case).where(Case.uuid == case_uuid)
    return list(query.order_by(MaterialFile.position))


def _read(session, page: MaterialFile) -> bytes:
    return b"".join(session.materials.read_page(page.uuid))


def test_good_files_become_pages_in_order(session, draft, drop, tmp_path) -> None:
    paths = [
        _jpeg(drop / "1.jpg", exif=_gps_exif()),
        _png(drop / "2.png"),
        _pdf(drop / "3.pdf"),
    ]
    report = import_pages(session.materials, draft.uuid, "id_card", paths, work_dir=tmp_path / "w")
    pages = _pages(draft.uuid)
    assert [page.media_type for page in pages] == ["image/jpeg", "image/png", "application/pdf"]
    assert [p.page_uuid for p in report.pages] == [page.uuid for page in pages]
    assert [p.index for p in report.pages] == [0, 1, 2]
    assert report.problems == () and not report.cancelled
    assert report.summary() == "3 pages added."
    stored = _read(session, pages[0])
    assert b"DocCam" not in stored and stored.startswith(b"\xff\xd8\xff")
    assert _read(session, pages[2]) == paths[2].read_bytes()
    assert report.pages[0].notes == ("Hidden camera data, such as the location, was removed.",)
    assert list((tmp_path / "w").iterdir()) == []  # the prepared copies are gone


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "DocCam"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 26.0)}
    return exif.tobytes()


def test_a_bad_file_is_skipped_and_the_good_pages_are_kept(session, draft, drop, caplog) -> None:
    paths = [
        _jpeg(drop / "good-1.jpg"),
        _text(drop / f"{SECRET_NAME}.jpg"),
        _truncated(drop / f"{SECRET_NAME}-2.jpg"),
        drop / "gone.jpg",
        _jpeg(drop / "good-2.jpg"),
    ]
    with caplog.at_level(logging.DEBUG):
        report = import_pages(session.materials, draft.uuid, "id_card", paths)
    assert [page.index for page in report.pages] == [0, 4]
    assert len(_pages(draft.uuid)) == 2
    assert [(problem.index, type(problem.error)) for problem in report.problems] == [
        (1, NotAScanError), (2, DamagedScanError), (3, ScanReadError)
    ]
    assert report.problems[2].message.startswith("This file could not be read")
    for problem in report.problems:
        assert SECRET_NAME not in problem.message and str(drop) not in problem.message
    assert report.summary() == "2 pages added. 3 files could not be used."
    assert SECRET_NAME not in caplog.text and str(drop) not in caplog.text


def test_only_bad_files_add_nothing(session, draft, drop) -> None:
    report = import_pages(session.materials, draft.uuid, "id_card", [_text(drop / "a.jpg")])
    assert report.pages == () and len(report.problems) == 1
    assert report.summary() == "0 pages added. 1 file could not be used."
    assert _pages(draft.uuid) == []


def test_progress_counts_files_and_bytes(session, draft, drop) -> None:
    paths = [_jpeg(drop / "a.jpg"), _text(drop / "b.jpg"), _png(drop / "c.png")]
    seen: list[ImportProgress] = []
    import_pages(session.materials, draft.uuid, "id_card", paths, progress=seen.append)
    sizes = [path.stat().st_size for path in paths]
    assert seen == [
        ImportProgress(0, 3, 0),
        ImportProgress(1, 3, sizes[0]),
        ImportProgress(2, 3, sizes[0] + sizes[1]),
        ImportProgress(3, 3, sum(sizes)),
    ]


@pytest.mark.parametrize("cancel_after", [0, 1, 3])
def test_cancel_stops_before_the_next_file_and_adds_nothing(
    session, draft, drop, tmp_path, cancel_after
) -> None:
    paths = [_jpeg(drop / f"{n}.jpg") for n in range(3)]
    cancel = threading.Event()
    seen: list[ImportProgress] = []

    def progress(value: ImportProgress) -> None:
        seen.append(value)
        if value.done == cancel_after:
            cancel.set()

    report = import_pages(
        session.materials, draft.uuid, "id_card", paths,
        progress=progress, cancel=cancel, work_dir=tmp_path / "w",
    )
    assert report == ImportReport(cancelled=True)
    assert report.summary() == "Import cancelled; no page was added."
    assert seen[-1].done == cancel_after
    assert _pages(draft.uuid) == []
    assert list((tmp_path / "w").iterdir()) == []
    assert sorted(session.blobs.names()) == []


def test_a_case_that_cannot_change_fails_before_any_file_is_read(session, queued, drop) -> None:
    seen: list[ImportProgress] = []
    with pytest.raises(CaseEditError):
        import_pages(session.materials, queued.uuid, "id_card", [_jpeg(drop / "a.jpg")],
                     progress=seen.append)
    assert seen == []


def test_a_failure_to_store_adds_no_page(session, draft, drop) -> None:
    with pytest.raises(MaterialError):
        import_pages(session.materials, draft.uuid, "no_such_material", [_jpeg(drop / "a.jpg")])
    assert _pages(draft.uuid) == []
    assert sorted(session.blobs.names()) == []


def test_pages_are_added_after_those_already_there(session, draft, drop) -> None:
    import_pages(session.materials, draft.uuid, "id_card", [_jpeg(drop / "a.jpg")])
    report = import_pages(session.materials, draft.uuid, "id_card", [_png(drop / "b.png")])
    pages = _pages(draft.uuid)
    assert [page.position for page in pages] == [1, 2]
    assert pages[1].uuid == report.pages[0].page_uuid


def test_an_oversized_scan_is_stored_downscaled_with_a_note(session, draft, drop) -> None:
    big = _jpeg(drop / "a.jpg", (4000, 3000))
    report = import_pages(session.materials, draft.uuid, "id_card", [big])
    (page,) = _pages(draft.uuid)
    with Image.open(io.BytesIO(_read(session, page))) as stored:
        assert stored.size == (3508, 2631)
    assert report.pages[0].notes == ("The image was reduced from 4000×3000 to 3508×2631 pixels.",)


def test_an_import_on_a_worker_thread_reports_through_a_queue(session, draft, drop) -> None:
    """The way the UI runs it: a worker thread, progress and the result on a queue."""
    paths = [_jpeg(drop / f"{n}.jpg") for n in range(2)]
    results: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            results.put(import_pages(session.materials, draft.uuid, "id_card", paths,
                                     progress=results.put))
        finally:
            session.db.close()  # this thread's own connection

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    items = [results.get_nowait() for _ in range(results.qsize())]
    assert [item.done for item in items[:-1]] == [0, 1, 2]
    assert len(items[-1].pages) == 2
    assert len(_pages(draft.uuid)) == 2
