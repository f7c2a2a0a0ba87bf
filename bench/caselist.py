"""Benchmark of the case-list screen's presenter at 100,000 cases in a real station.

A station is set up in a temporary directory as the app sets one up (``init_station``: the
SQLCipher store keyed with a raw 256-bit key, the app's pragmas; log-in; two more agents)
and filled with ``bench/store.py``'s workload (imported, not copied: 100,000 applicants and
cases over 4.5 years, three agents, ten matters). Then every operation of the screen is
timed through ``CaseListPresenter`` as the view calls it, the count of matches included
(up to ``COUNT_LIMIT``, past which the status line says "more than"):
opening a list (its three drop-down lists and first page), filtering by state, matter,
agent, date range (typed as YYYY-MM-DD) and all at once, searching (each search writes its
audit entry, as in the app), and paging on.

Baseline, measured in the same run and interleaved call by call with every operation: a
bare page read on the same store, ``SELECT case.*, applicant.name ... ORDER BY created_at
DESC, id DESC LIMIT 50`` through peewee (no count, no filter, no plan choice). The ratio is
the operation's median over the baseline's median. Target: p95 under 100 ms.

Run: ``.venv/bin/python bench/caselist.py`` (``--cases N``, ``--repeat R``, ``--pages N``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

# bench/forms.py is named like the forms package: keep this folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from station import session as sessions  # noqa: E402
from station.caselist import CaseFilter  # noqa: E402
from station.keyfile import KdfParams  # noqa: E402
from station.lifecycle import CaseState  # noqa: E402
from station.models import Applicant, Case  # noqa: E402
from station.session import Session  # noqa: E402
from station.ui.presenters.caselist import (  # noqa: E402
    COUNT_LIMIT,
    PAGE_SIZE,
    CaseListPresenter,
)
from station.ui.presenters.home import OPEN_STATES  # noqa: E402

TARGET_P95_MS = 100.0
PASSWORD = "bench-pass-2026"


def _load(name: str, path: Path) -> ModuleType:
    """Import the script at ``path`` as module ``name`` (the bench folder is no package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


workload = _load("bench_store", _HERE / "store.py")


@dataclass(frozen=True)
class Operation:
    """One screen action: ``prepare(i)`` (untimed) sets a presenter up, ``run(i)`` is timed
    and returns the presenter that answered; both get the call's number, so what is chosen
    or typed rotates."""

    label: str
    run: Callable[[int], CaseListPresenter]
    prepare: Callable[[int], Any] = lambda i: None


def build(folder: Path, work: Any) -> Session:
    """A real station holding ``work``, logged in as its first agent, its caches cold."""
    first_login, first_name = workload.AGENTS[0]
    setup = sessions.StationSetup(code=workload.STATION_CODE, name="安阳县示范村便民服务站",
                                  township="示范镇", login=first_login,
                                  display_name=first_name, password=PASSWORD)
    sessions.init_station(folder, setup, kdf=KdfParams(memory_kib=1024, iterations=1, lanes=1))
    session = sessions.login(folder, first_login, PASSWORD)
    for login, name in workload.AGENTS[1:]:
        session.add_agent(login, name, PASSWORD)
    target = workload.Store("encrypted", session.db, session.paths.db)
    start = time.perf_counter()
    for first in range(0, len(work.cases), workload.BATCH):
        last = first + workload.BATCH
        workload.insert_batch(target, work.applicants[first:last], work.cases[first:last])
    print(f"  inserted in {time.perf_counter() - start:.1f} s")
    session.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    session.db.close()
    session.db.connect()
    return session


def bare_page() -> list[Case]:
    """The baseline: the newest page of cases with their applicants' names, nothing else."""
    query = (Case.select(Case, Applicant.name).join(Applicant)
             .order_by(Case.created_at.desc(), Case.id.desc()).limit(PAGE_SIZE))
    return list(query)


def date_ranges() -> list[tuple[str, str]]:
    """Received-date ranges as typed: last week, a month a year back, a year, one old day."""
    end = workload.END.date()
    year_back = end - dt.timedelta(days=365)
    return [
        ((end - dt.timedelta(days=7)).isoformat(), end.isoformat()),
        (year_back.replace(day=1).isoformat(), year_back.isoformat()),
        ("2024-01-01", "2024-12-31"),
        ("2023-03-15", "2023-03-15"),
    ]


def _rotate(presenter: CaseListPresenter, values: list[Any],
            call: Callable[[Any], Any]) -> Callable[[int], CaseListPresenter]:
    """Call ``call`` with the values in turn; answer ``presenter``."""
    def run(i: int) -> CaseListPresenter:
        call(values[i % len(values)])
        return presenter
    return run


def _open(session: Session, title: str,
          criteria: CaseFilter) -> Callable[[int], CaseListPresenter]:
    """Opening a list as the app does: a new presenter, its three lists, the first page."""
    def run(_i: int) -> CaseListPresenter:
        presenter = CaseListPresenter(session, title, criteria)
        presenter.state_choices()
        presenter.matter_choices()
        presenter.agent_choices()
        presenter.load()
        return presenter
    return run


def _paging(label: str, presenter: CaseListPresenter, pages: int,
            start: Callable[[], Any]) -> Operation:
    """Page on from where ``start`` leaves the list, starting over every ``pages`` pages."""
    def prepare(i: int) -> None:
        if i % pages == 0 or presenter.page.next is None:
            start()

    def run(_i: int) -> CaseListPresenter:
        presenter.next_page()
        return presenter
    return Operation(label, run, prepare)


def opening(session: Session) -> list[Operation]:
    """Opening every case, and two of the home screen's lists."""
    overdue = CaseFilter(states=OPEN_STATES,
                         promised_to=workload.END.date() - dt.timedelta(days=1))
    lists = [("open: all cases", "All cases", CaseFilter()),
             ("open: returned for supplement (home)", "Returned",
              CaseFilter(states=(CaseState.RETURNED,))),
             ("open: overdue (home)", "Overdue", overdue)]
    return [Operation(label, _open(session, title, criteria))
            for label, title, criteria in lists]


def filtering(session: Session) -> list[Operation]:
    """The filter bar, one filter at a time and all at once."""
    made = [CaseListPresenter(session, "All cases", CaseFilter()) for _ in range(6)]
    states = [CaseState.RETURNED, CaseState.CLOSED, CaseState.DRAFT, CaseState.ACCEPTED,
              CaseState.WITHDRAWN]
    codes = [code for code, _name in workload.MATTERS]
    logins = [login for login, _name in workload.AGENTS]
    ranges = date_ranges()
    combined = [
        dict(states=(CaseState.CLOSED,), matter_code=codes[1], agent_login="li",
             created_from="2024-01-01", created_to="2024-12-31"),
        dict(states=(CaseState.RETURNED,), matter_code=codes[4], agent_login="wang",
             created_from=ranges[0][0], created_to=ranges[0][1]),
        dict(states=(CaseState.DELIVERED,), matter_code=codes[7], agent_login="zhao",
             created_from=ranges[1][0], created_to=ranges[1][1]),
    ]
    return [
        Operation("filter: state (rotating 5)",
                  _rotate(made[0], states, lambda s: made[0].apply(states=(s,)))),
        Operation("filter: matter (rotating 10)",
                  _rotate(made[1], codes, lambda c: made[1].apply(matter_code=c))),
        Operation("filter: agent (rotating 3)",
                  _rotate(made[2], logins, lambda a: made[2].apply(agent_login=a))),
        Operation("filter: received date range (rotating 4)", _rotate(
            made[3], ranges, lambda r: made[3].apply(created_from=r[0], created_to=r[1]))),
        Operation("filter: state + matter + agent + dates",
                  _rotate(made[4], combined, lambda c: made[4].apply(**c))),
        Operation("filter: clear (back to all cases)", _rotate(made[5], [None],
                                                               lambda _: made[5].clear()),
                  prepare=lambda i: made[5].apply(states=(CaseState.RETURNED,))),
    ]


SEARCHES = [
    ("search name: common surname", "surname"),
    ("search name: full name", "name"),
    ("search ID number: 6-digit region prefix", "id6"),
    ("search ID number: 14-char prefix", "id14"),
    ("search phone: 7-digit prefix", "phone7"),
    ("search phone: whole number", "phone"),
    ("search case number: whole", "case"),
    ("search case number: day prefix", "case_day"),
]


def searching(session: Session, texts: dict[str, list[str]]) -> list[Operation]:
    """The search box on every case, and within a filter."""
    found = []
    for label, kind in SEARCHES:
        presenter = CaseListPresenter(session, "All cases", CaseFilter())
        found.append(Operation(label, _rotate(presenter, texts[kind], presenter.search)))
    for login, share in (("wang", "60 %"), ("zhao", "10 %")):
        closed = CaseListPresenter(session, "All cases", CaseFilter())
        closed.apply(states=(CaseState.CLOSED,), agent_login=login)
        found.append(Operation(f"search surname, state closed + agent ({share})",
                               _rotate(closed, texts["surname"], closed.search)))
    return found


def paging(session: Session, pages: int) -> list[Operation]:
    """Next page, pages 2 to ``pages`` + 1, on every case, a state and a search."""
    every, state, search = (CaseListPresenter(session, "All cases", CaseFilter())
                            for _ in range(3))
    return [
        _paging(f"next page ×{pages}: all cases", every, pages, every.clear),
        _paging(f"next page ×{pages}: state closed", state, pages,
                lambda: state.apply(states=(CaseState.CLOSED,))),
        _paging(f"next page ×{pages}: search surname 王", search, pages,
                lambda: search.search("王")),
    ]


def timed(operation: Operation, repeat: int) -> tuple[list[float], list[float], list[int]]:
    """Seconds per call of the operation and of the baseline (alternating which goes first),
    and how many cases each call's list matched (COUNT_LIMIT + 1: more than the limit)."""
    mine, bare, matched = [], [], []
    for i in range(repeat):
        operation.prepare(i)
        for turn in (0, 1) if i % 2 == 0 else (1, 0):
            start = time.perf_counter()
            result = operation.run(i) if turn == 0 else bare_page()
            (mine if turn == 0 else bare).append(time.perf_counter() - start)
            if turn == 0:
                matched.append(result.total + result.more)
    return mine, bare, matched


def _matched(count: int) -> str:
    return f"{COUNT_LIMIT:,}+" if count > COUNT_LIMIT else f"{count:,}"


def line(label: str, mine: list[float], bare: list[float], matched: list[int]) -> tuple[str, bool]:
    """A table line in ms and whether the operation misses the target."""
    p95 = workload.percentile(mine, .95) * 1e3
    cells = [statistics.median(mine) * 1e3, p95, statistics.median(bare) * 1e3,
             workload.percentile(bare, .95) * 1e3]
    ratio = statistics.median(mine) / statistics.median(bare)
    low, high = (_matched(n) for n in (min(matched), max(matched)))
    found = low if low == high else f"{low}–{high}"
    missed = p95 > TARGET_P95_MS
    text = " | ".join(f"{cell:7.2f}" for cell in cells)
    verdict = f"p95 > {TARGET_P95_MS:.0f} ms" if missed else "ok"
    return f"| {label:48s} | {found:>13s} | {text} | {ratio:6.1f} | {verdict} |", missed


def run(session: Session, work: Any, repeat: int, pages: int) -> int:
    """Time every operation and print the table; return how many miss the target."""
    texts = workload.search_texts(work, random.Random(7))
    ops = opening(session) + filtering(session) + searching(session, texts)
    ops += paging(session, pages)
    print("| operation | cases matched | median ms | p95 ms | baseline median ms "
          "| baseline p95 ms | ratio | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    missed = 0
    for operation in ops:
        for i in range(5):  # warm the caches and the plans; untimed
            operation.prepare(i)
            operation.run(i)
        text, miss = line(operation.label, *timed(operation, repeat))
        print(text, flush=True)
        missed += miss
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per operation")
    parser.add_argument("--pages", type=int, default=20, help="pages turned before starting over")
    arguments = parser.parse_args()
    if arguments.cases < 20 or arguments.repeat < 1 or arguments.pages < 1:
        parser.error("--cases must be at least 20, --repeat and --pages at least 1")
    work = workload.make_workload(arguments.cases)
    print(f"Case list through CaseListPresenter: {arguments.cases:,} cases, "
          f"{arguments.repeat} calls per operation, pages of {PAGE_SIZE}")
    with tempfile.TemporaryDirectory(prefix="bench-caselist-") as folder:
        session = build(Path(folder) / "station", work)
        try:
            workload.machine([workload.Store("encrypted", session.db, session.paths.db)])
            missed = run(session, work, arguments.repeat, arguments.pages)
        finally:
            session.close()
    print(f"{missed} line(s) miss the target" if missed else "All targets met.")


if __name__ == "__main__":
    main()
