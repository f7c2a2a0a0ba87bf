"""Crash safety of sync: SIGKILL the station process during a sync round, 100 times.

One station and one township (served here, on 127.0.0.1) for the whole run. Each station
process, started fresh from a fork server, logs in (the store must open after the last
kill), checks the store (``integrity_check``), finishes syncing what the last kill
interrupted, reports every outbox item with its receipt, queues two new cases with a page
file each, and then, once the township has accepted the cases it holds, runs one more round
in which it is killed. Half the kills fall after a random delay into the round; the other
half fall in the township, right after it announced a blob, stored a chunk or stored an
envelope and before it answers (the township acted, the station never heard).

After every kill the next process's report must show: every item sent, each receipt
verifying against the township's key, naming its item and equal to the receipt the township
keeps; the township holding each (station, seq) and case revision exactly once, no gap, the
ledger agreed, every page file whole; every township decision applied exactly once.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from forms.definition import load_matter
from station import session as sessions
from station import store, syncstate
from station.applicants import ApplicantInput
from station.enrolment import enrol
from station.models import Applicant, Case
from station.syncside import engine_for
from sync.engine import SyncEngine
from tests.station.conftest import CHEAP_KDF, PASSWORD, SETUP
from tests.sync.conftest import CONFIG, queue_case
from tests.sync.test_faults import Delivered, check_delivered, delivered
from tests.township.server import RunningTownship, running_township

TRIALS = 100
# Each trial queues two cases: one with a page file of two chunks (CONFIG.chunk_size), one
# with a page file of one chunk; the township's hooked calls in a round that sends them are
# an announce, two chunks, an envelope, an announce, a chunk and an envelope.
PAGE_BYTES = (20_000, 10_000)
HOOKED_CALLS = 7
FINISH_ROUNDS = 3
MATTER = Path(__file__).parents[1] / "station" / "data" / "TEST-BZ-001.yaml"
SHARED_MEMORY = "/dev/shm"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")


@dataclass(frozen=True)
class _Report:
    """What a station process found before its last round; ``error`` if it failed."""

    problems: list[str] = field(default_factory=list)
    finished: bool = False
    items: list[Delivered] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    cursors: list[int] = field(default_factory=list)
    error: str | None = None


def _station_process(data_dir: str, pages: list[str], parent: Connection) -> None:
    """The child: report, queue, then a round when told ``go`` (the parent may kill it)."""
    try:
        with sessions.login(Path(data_dir), SETUP.login, PASSWORD) as session:
            engine = engine_for(session, CONFIG)
            parent.send(_finish(session, engine))
            _queue(session, [Path(page) for page in pages])
            parent.send("queued")
            if parent.recv() == "go":
                engine.run_round()
                parent.send("done")
    except Exception:  # noqa: BLE001 - the parent shows it
        parent.send(_Report(error=traceback.format_exc()))


def _finish(session: sessions.Session, engine: SyncEngine) -> _Report:
    problems = store.integrity_check(session.db)
    outcomes = []
    while len(outcomes) < FINISH_ROUNDS and not (outcomes and outcomes[-1].ok):
        outcomes.append(engine.run_round())
    with session.db.atomic():
        return _Report(problems, outcomes[-1].ok, delivered(),
                       {case.uuid: case.state for case in Case.select()},
                       [event.cursor for event in syncstate.received_events()])


def _queue(session: sessions.Session, pages: list[Path]) -> None:
    matter = load_matter(MATTER)
    applicant = Applicant.select().first()
    for page in pages:
        queue_case(session, matter, applicant, [page])


class _Killer:
    """Kills the armed process from inside the township, right after the n-th call of a
    hooked service method returns (the township acted and has not answered yet)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._countdown = 0

    def arm(self, pid: int, countdown: int) -> None:
        with self._lock:
            self._pid, self._countdown = pid, countdown

    def disarm(self) -> None:
        with self._lock:
            self._pid = None

    def hook(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(*args: Any) -> Any:
            result = method(*args)
            self._tick()
            return result

        return hooked

    def _tick(self) -> None:
        with self._lock:
            if self._pid is None:
                return
            self._countdown -= 1
            if self._countdown == 0:
                os.kill(self._pid, signal.SIGKILL)
                self._pid = None


@dataclass
class _Rig:
    township: RunningTownship
    station: str
    data_dir: Path
    pages: list[str]
    killer: _Killer
    context: Any
    accepted: set[str] = field(default_factory=set)
    checked: set[int] = field(default_factory=set)


@contextmanager
def _memory_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory in memory (tmpfs) when there is one, else a temporary one on disk. A
    SIGKILL ends the process, not the machine: what the kernel holds survives it, so the
    files may live in memory and the trials do not wait for the disk at every fsync."""
    if not os.access(SHARED_MEMORY, os.W_OK):
        yield tmp_path_factory.mktemp("sync-crash")
        return
    root = Path(tempfile.mkdtemp(prefix="sync-crash-", dir=SHARED_MEMORY))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Rig]:
    """A township served here with its upload and intake calls hooked, and an enrolled
    station with one applicant and page files to attach."""
    with _memory_directory(tmp_path_factory) as root, \
            running_township(root / "township") as township:
        pages = _page_files(root)
        data_dir = root / "station"
        sessions.init_station(data_dir, SETUP, kdf=CHEAP_KDF)
        with sessions.login(data_dir, SETUP.login, PASSWORD) as session:
            station = enrol(session, township.url, township.add_station("Village A").code)
            session.applicants.save(ApplicantInput(name="欧阳明珠",
                                                   id_number="11010519491231002x"))
        killer = _Killer()
        service = township.service
        service.uploads.create = killer.hook(service.uploads.create)
        service.uploads.append = killer.hook(service.uploads.append)
        service.intake.receive = killer.hook(service.intake.receive)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        yield _Rig(township, station.station_id, data_dir, pages, killer, context)


def _page_files(root: Path) -> list[str]:
    rng = random.Random(1)
    pages = []
    for n, size in enumerate(PAGE_BYTES):
        path = root / f"scan{n}.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0" + rng.randbytes(size))
        pages.append(str(path))
    return pages


@contextmanager
def _started(rig: _Rig) -> Iterator[tuple[Any, Connection]]:
    """A station process and the parent's end of its pipe; killed if still alive after."""
    mine, theirs = rig.context.Pipe()
    process = rig.context.Process(target=_station_process, daemon=True,
                                  args=(str(rig.data_dir), rig.pages, theirs))
    process.start()
    theirs.close()
    try:
        yield process, mine
    finally:
        rig.killer.disarm()
        process.kill()
        process.join()
        mine.close()


def _check(rig: _Rig, report: _Report) -> None:
    """Everything the last kill interrupted was finished and is there exactly once."""
    assert report.error is None, report.error
    assert report.problems == [] and report.finished
    new = [item for item in report.items if item.seq not in rig.checked]
    check_delivered(rig.township, rig.station, report.items, new)
    rig.checked.update(item.seq for item in new)
    assert report.cursors == list(range(1, len(rig.accepted) + 1))
    assert report.states == {case: "accepted" if case in rig.accepted else "uploaded"
                             for case in report.states}


def _accept_the_uploaded(rig: _Rig, report: _Report) -> None:
    for case, state in report.states.items():
        if state == "uploaded":
            rig.township.service.decisions.accept(rig.station, case)
            rig.accepted.add(case)


def _trial(rig: _Rig, rng: random.Random, kill: str | None, span: float) -> tuple[bool, float]:
    """One station process whose last round is killed after a random delay (``time``),
    by the township's hook (``township``) or not at all (None). Whether it was killed, and
    how long its last round ran."""
    with _started(rig) as (process, connection):
        report = connection.recv()
        _check(rig, report)
        _accept_the_uploaded(rig, report)
        assert connection.recv() == "queued"
        if kill == "township":
            rig.killer.arm(process.pid, rng.randint(1, HOOKED_CALLS))
        started = time.monotonic()
        connection.send("go")
        if kill == "time":
            time.sleep(rng.uniform(0, span))
            process.kill()
        process.join()
        elapsed = time.monotonic() - started
        killed = process.exitcode == -signal.SIGKILL
        assert killed or connection.recv() == "done"
        assert killed or kill != "township", "the township's hook never fired"
    return killed, elapsed


@pytest.mark.slow
def test_sigkill_during_sync_loses_and_duplicates_nothing(rig: _Rig) -> None:
    rng = random.Random(2026)
    span = min(_trial(rig, rng, None, 0)[1] for _ in range(2))
    kills = sum(_trial(rig, rng, ("time", "township")[n % 2], span)[0] for n in range(TRIALS))
    with _started(rig) as (process, connection):
        _check(rig, connection.recv())
        assert connection.recv() == "queued"
        connection.send("stop")
        process.join()
        assert process.exitcode == 0
    assert kills >= TRIALS // 2
    assert len(rig.checked) == len(PAGE_BYTES) * (TRIALS + 2)
