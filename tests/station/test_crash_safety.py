"""Crash safety: SIGKILL a process while it saves cases with pages, 200 times.

Each trial forks a child that saves drafts with 1-3 pages each (blobs written and fsynced,
then one transaction for the case and its page rows) in a loop, and kills it at a random
moment. After every kill the store must open, pass ``PRAGMA integrity_check``, hold every
case with all its pages or not at all, every page's blob must decrypt to its digest, and
after the orphan sweep no stray file may remain.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from station import store
from station.applicants import ApplicantInput, ApplicantService
import station.blobstore as blobstore_module
from station.blobstore import BlobStore, DiskFullError
from station.cases import CaseService
from station.clock import Clock
from station.context import ServiceContext
from station.lifecycle import CaseState
from station.materials import MaterialService, referenced_blobs
from station.models import Agent, Case, MaterialFile, Station

TRIALS = 200
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")


@dataclass(frozen=True)
class _Requirement:
    code: str
    name: str
    form: str = "copy"
    copies: int = 1
    deferrable: bool = False
    notes: str | None = None


@dataclass(frozen=True)
class _Matter:
    code: str = "TEST-001"
    name: str = "测试事项"
    materials: tuple = (_Requirement("id_card", "居民身份证"), _Requirement("hukou", "户口簿"))


class _NoDeadlines:
    def add_working_days(self, start, days):  # pragma: no cover - drafts are never submitted
        raise AssertionError("not used")


def _services(data_dir: Path, key: bytes):
    db = store.open_store(data_dir / "station.db", key)
    ctx = ServiceContext(db, Clock(), Station.get(), Agent.get())
    blobs = BlobStore(data_dir / "materials")
    return db, blobs, CaseService(ctx, _NoDeadlines()), MaterialService(ctx, blobs), ctx


def _save(services, pages: list[Path]) -> None:
    """One unit of work: a draft and its pages, all or nothing."""
    db, blobs, cases, materials, ctx = services
    applicant = ApplicantService(ctx).save(ApplicantInput(name="测试人"))
    with db.atomic():
        case = cases.create_draft(_Matter(), 1, applicant, {"expected_pages": len(pages)})
        materials.attach_pages(case.uuid, "id_card", pages)


def save_case_with_pages(data_dir: Path, key: bytes, pages: list[Path]) -> None:
    services = _services(data_dir, key)
    try:
        _save(services, pages)
    finally:
        services[0].close()


def _child(data_dir: Path, key: bytes, sources: list[Path], seed: int, ready: int) -> None:
    rng = random.Random(seed)
    services = _services(data_dir, key)
    os.write(ready, b"r")
    while True:
        _save(services, rng.sample(sources, rng.randint(1, 3)))


@pytest.fixture(scope="module")
def crash_station(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("crash")
    key = os.urandom(32)
    db = store.open_store(data_dir / "station.db", key)
    now = datetime(2026, 11, 23)
    Station.create(code="CRASH", name="崩溃测试站", township="测试镇", created_at=now)
    Agent.create(login="wang", display_name="王", role="supervisor", created_at=now)
    db.close()
    rng = random.Random(7)
    sources = []
    for n in range(6):
        path = data_dir / f"scan{n}.jpg"
        path.write_bytes(b"\xff\xd8\xff" + rng.randbytes(rng.randint(1_000, 300_000)))
        sources.append(path)
    return data_dir, key, sources


def _kill_during_saves(data_dir: Path, key: bytes, sources: list[Path], seed: int) -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns: it saves until it is killed
        os.close(read_end)
        try:
            _child(data_dir, key, sources, seed, write_end)
        finally:
            os._exit(1)
    os.close(write_end)
    os.read(read_end, 1)
    os.close(read_end)
    time.sleep(random.Random(seed).uniform(0, 0.08))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _check_consistent(data_dir: Path, key: bytes) -> int:
    db = store.open_store(data_dir / "station.db", key)
    try:
        assert store.integrity_check(db) == []
        blobs = BlobStore(data_dir / "materials")
        for case in Case.select():
            pages = list(case.pages.order_by(MaterialFile.position))
            assert len(pages) == case.answers["expected_pages"], case.local_number
            assert [p.position for p in pages] == list(range(1, len(pages) + 1))
            for page in pages:
                blobs.verify(page.blob_name, page.blob_key, page.digest)
        blobs.sweep(referenced_blobs())
        assert set(blobs.names()) == referenced_blobs()
        assert not any((data_dir / "materials" / "tmp").glob("*"))
        return Case.select().count()
    finally:
        db.close()


@pytest.mark.slow
def test_sigkill_during_saves_never_leaves_a_partial_case(crash_station) -> None:
    data_dir, key, sources = crash_station
    counts = []
    for trial in range(TRIALS):
        _kill_during_saves(data_dir, key, sources, seed=trial)
        counts.append(_check_consistent(data_dir, key))
    assert counts == sorted(counts)
    assert counts[-1] > 0, "no case was ever saved: the harness killed too early"


class _FullDisk:
    """A temp file whose disk fills up after ``room`` bytes (a real full disk cannot be
    made safely in a test; this stands in for the OS answering ENOSPC)."""

    def __init__(self, real, room: int) -> None:
        self._real, self._room = real, room

    def write(self, data) -> int:
        self._room -= len(data)
        if self._room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._real.write(data)

    def __getattr__(self, name: str):
        return getattr(self._real, name)

    def __enter__(self) -> "_FullDisk":
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def test_disk_full_while_writing_a_page(crash_station, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while a page is written gives a clear error; no case, page or file is left."""
    data_dir, key, sources = crash_station
    before = _check_consistent(data_dir, key)
    real_open_temp = blobstore_module._open_temp
    opened = []

    def open_temp(path: Path):
        opened.append(path)
        return _FullDisk(real_open_temp(path), room=150_000 if len(opened) > 1 else 10**9)

    monkeypatch.setattr(blobstore_module, "_open_temp", open_temp)
    with pytest.raises(DiskFullError, match="disk is full"):
        save_case_with_pages(data_dir, key, sorted(sources, key=lambda p: -p.stat().st_size)[:3])
    monkeypatch.undo()
    assert len(opened) >= 2
    assert _check_consistent(data_dir, key) == before


def test_child_saves_complete_cases(crash_station) -> None:
    """The harness's unit of work itself produces consistent cases (no kill)."""
    data_dir, key, sources = crash_station
    before = _check_consistent(data_dir, key)
    save_case_with_pages(data_dir, key, sources[:3])
    assert _check_consistent(data_dir, key) == before + 1
    db = store.open_store(data_dir / "station.db", key)
    assert Case.select().order_by(Case.id.desc()).get().state == CaseState.DRAFT
    db.close()

