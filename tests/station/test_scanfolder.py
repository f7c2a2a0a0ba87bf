"""The drop-folder watcher on a real folder, with an injected clock: no sleeping."""

from __future__ import annotations

import builtins
import os
import queue
import shutil
from pathlib import Path

import pytest

from station.scanfolder import (
    FolderAvailable,
    FolderUnavailable,
    ScanArrived,
    ScanFolderWatcher,
    ScanKey,
)

SETTLE = 2.0


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Messages are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


class ManualClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = SETTLE) -> None:
        self.now += seconds


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "drop"
    path.mkdir()
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def events() -> queue.Queue:
    return queue.Queue()


@pytest.fixture
def watcher(folder, events, clock) -> ScanFolderWatcher:
    return ScanFolderWatcher(folder, events, poll_interval=1.0, settle=SETTLE, clock=clock)


def _write(path: Path, data: bytes = b"\xff\xd8\xff scan", *, mtime_ns: int | None = None) -> Path:
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _names(arrived: list[ScanArrived]) -> list[str]:
    return sorted(event.key.name for event in arrived)


def _settle(watcher: ScanFolderWatcher, clock: ManualClock) -> list[ScanArrived]:
    """Two polls ``SETTLE`` apart: what becomes complete in between."""
    first = watcher.poll_once()
    clock.advance()
    return first + watcher.poll_once()


def _drain(events: queue.Queue) -> list:
    items = []
    while not events.empty():
        items.append(events.get_nowait())
    return items


def test_a_file_is_reported_after_two_polls_a_settle_time_apart(watcher, folder, clock, events):
    path = _write(folder / "IMG_0001.jpg")
    assert watcher.poll_once() == []
    clock.advance(SETTLE / 2)
    assert watcher.poll_once() == []  # unchanged, but not for long enough
    clock.advance(SETTLE / 2)
    arrived = watcher.poll_once()
    stat = path.stat()
    assert arrived == [ScanArrived(path, ScanKey("IMG_0001.jpg", stat.st_size, stat.st_mtime_ns))]
    assert _drain(events) == arrived


def test_a_file_growing_across_polls_waits_until_it_stops(watcher, folder, clock) -> None:
    path = folder / "IMG_0002.jpg"
    with open(path, "wb") as growing:
        for n in range(4):
            growing.write(b"x" * 1000)
            growing.flush()
            os.utime(path, ns=(n * 10**9, n * 10**9))
            assert watcher.poll_once() == []
            clock.advance()
    arrived = watcher.poll_once()
    assert [event.key.size for event in arrived] == [4000]


def test_a_file_rewritten_with_the_same_size_and_a_new_time_waits_again(watcher, folder, clock):
    path = _write(folder / "a.jpg", mtime_ns=10**9)
    watcher.poll_once()
    clock.advance()
    _write(path, mtime_ns=2 * 10**9)
    assert watcher.poll_once() == []
    clock.advance()
    assert [event.key.mtime_ns for event in watcher.poll_once()] == [2 * 10**9]


def test_an_empty_file_is_not_complete(watcher, folder, clock) -> None:
    path = _write(folder / "a.jpg", b"")
    assert _settle(watcher, clock) == []
    _write(path, b"data")
    assert _names(_settle(watcher, clock)) == ["a.jpg"]


@pytest.mark.parametrize(
    "name",
    ["~$scan.jpg", "~scan.jpg", "scan.jpg.tmp", "scan.TMP", "scan.jpg.part", "scan.PART",
     "scan.jpg.partial", "scan.jpg.crdownload", ".scan.jpg", ".DS_Store", "Thumbs.db",
     "desktop.ini"],
)
def test_temporary_partial_hidden_and_system_files_are_ignored(watcher, folder, clock, name):
    _write(folder / name)
    _write(folder / "real.jpg")
    assert _names(_settle(watcher, clock)) == ["real.jpg"]
    clock.advance()
    assert watcher.poll_once() == []


def test_folders_inside_the_drop_folder_are_ignored(watcher, folder, clock) -> None:
    (folder / "2026-11-23").mkdir()
    _write(folder / "2026-11-23" / "a.jpg")
    assert _settle(watcher, clock) == []


def test_a_partial_name_renamed_when_done_is_reported_under_its_final_name(
    watcher, folder, clock
) -> None:
    partial = _write(folder / "IMG_0003.jpg.part")
    assert _settle(watcher, clock) == []
    partial.rename(folder / "IMG_0003.jpg")
    assert _names(_settle(watcher, clock)) == ["IMG_0003.jpg"]


def test_each_file_is_reported_once(watcher, folder, clock, events) -> None:
    for n in range(3):
        _write(folder / f"p{n}.jpg")
    assert _names(_settle(watcher, clock)) == ["p0.jpg", "p1.jpg", "p2.jpg"]
    for _round in range(3):
        clock.advance()
        assert watcher.poll_once() == []
    assert len(_drain(events)) == 3


def test_a_file_replaced_under_the_same_name_is_a_new_scan(watcher, folder, clock) -> None:
    path = _write(folder / "scan.jpg", b"first", mtime_ns=10**9)
    assert len(_settle(watcher, clock)) == 1
    _write(path, b"second page", mtime_ns=2 * 10**9)
    assert [event.key.size for event in _settle(watcher, clock)] == [len(b"second page")]


def test_imported_files_are_not_reported_by_the_next_watcher(folder, events, clock) -> None:
    first = ScanFolderWatcher(folder, events, settle=SETTLE, clock=clock)
    _write(folder / "imported.jpg")
    _write(folder / "waiting.jpg")
    arrived = {event.key.name: event for event in _settle(first, clock)}
    first.mark_imported(arrived["imported.jpg"].key)
    saved = first.imported()
    assert saved == {arrived["imported.jpg"].key}

    after_restart = ScanFolderWatcher(folder, events, settle=SETTLE, clock=clock, imported=saved)
    assert _names(_settle(after_restart, clock)) == ["waiting.jpg"]


def test_the_ledger_forgets_files_that_left_the_folder(watcher, folder, clock) -> None:
    path = _write(folder / "a.jpg", mtime_ns=10**9)
    (event,) = _settle(watcher, clock)
    watcher.mark_imported(event.key)
    path.unlink()
    watcher.poll_once()
    assert watcher.imported() == frozenset()
    _write(path, mtime_ns=10**9)  # the same file put back counts as new
    assert _names(_settle(watcher, clock)) == ["a.jpg"]


def test_a_file_that_cannot_be_opened_yet_waits(watcher, folder, clock, monkeypatch) -> None:
    """Windows refuses to open a file another program is writing; simulate that refusal."""
    opened: list[Path] = []
    locked = {folder / "locked.jpg"}

    def windows_open(path, *args, **kwargs):
        opened.append(Path(path))
        if Path(path) in locked:
            raise PermissionError(13, "The process cannot access the file")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr("station.scanfolder.open", windows_open, raising=False)
    _write(folder / "locked.jpg")
    assert watcher.poll_once() == [] and opened == []  # not opened before it is stable
    clock.advance()
    assert watcher.poll_once() == [] and opened == [folder / "locked.jpg"]
    locked.clear()
    clock.advance()
    assert _names(watcher.poll_once()) == ["locked.jpg"]


def test_the_watcher_never_changes_the_folder(watcher, folder, clock) -> None:
    _write(folder / "a.jpg", mtime_ns=10**9)
    _write(folder / "b.tmp", mtime_ns=10**9)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    _settle(watcher, clock)
    clock.advance()
    watcher.poll_once()
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before


def test_a_missing_folder_is_reported_once_and_its_return_too(
    watcher, folder, clock, events
) -> None:
    shutil.rmtree(folder)
    assert watcher.poll_once() == []
    clock.advance()
    assert watcher.poll_once() == []
    (unavailable,) = _drain(events)
    assert isinstance(unavailable, FolderUnavailable)
    assert str(folder) not in unavailable.message and "scan folder" in unavailable.message

    folder.mkdir()
    _write(folder / "a.jpg")
    assert _names(_settle(watcher, clock)) == ["a.jpg"]
    assert [type(event) for event in _drain(events)] == [FolderAvailable, ScanArrived]


def test_a_folder_there_from_the_start_sends_no_availability_event(watcher, folder, events):
    watcher.poll_once()
    assert _drain(events) == []


def test_the_thread_reports_new_files_and_stops(folder, events) -> None:
    ticks = iter(range(10**9))
    watcher = ScanFolderWatcher(
        folder, events, poll_interval=0.001, settle=1, clock=lambda: float(next(ticks))
    )
    watcher.start()
    try:
        path = _write(folder / "a.jpg")
        event = events.get(timeout=60)  # a guard against a hang; it arrives within milliseconds
    finally:
        watcher.stop(timeout=60)
    assert event.path == path
    assert not watcher.is_alive()


def test_stop_ends_the_thread_without_waiting_for_the_next_poll(folder, events) -> None:
    watcher = ScanFolderWatcher(folder, events, poll_interval=3600)
    watcher.start()
    watcher.stop(timeout=60)  # a poll interval of an hour: only a prompt stop ends it
    assert not watcher.is_alive()
