"""Benchmark of the station store: the encrypted store against the same store unencrypted.

Builds the same workload twice in one run, in a temporary directory: once in the encrypted
store (``station.store.open_store``: SQLCipher with a raw 256-bit key and the app's pragmas)
and once in a plain store opened through the same ``sqlcipher3`` library without a key (the
same SQLite build, the same pragmas less the cipher ones, the same migrations). It times:

- insert: applicants and cases through the peewee models, 1,000 of each per transaction;
- the case list through ``station.caselist``: the first page, pages deep down the list
  (keyset cursor), filters by state, matter and agent, search by name, ID-number prefix,
  phone prefix and case number, and the counts the list shows;
- reopening the store and listing the first page, every page read decrypted anew.

Encrypted and plain runs alternate, batch by batch and call by call, so that machine noise
hits both. Targets: encrypted / plain <= 1.25 for each operation; list and search p95 under
50 ms at 100,000 cases.

Run: ``.venv/bin/python bench/store.py`` (``--cases N``, ``--repeat R``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/forms.py is named like the forms package: keep this folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from forms.regions import is_known_region  # noqa: E402
from forms.validators import id_check_char  # noqa: E402
from station import migrations, store  # noqa: E402
from station.caselist import CaseFilter, Cursor, count_cases, list_cases  # noqa: E402
from station.lifecycle import CaseState  # noqa: E402
from station.models import Agent, Applicant, Case, Station  # noqa: E402

TARGET_RATIO = 1.25
TARGET_P95_MS = 50.0
BATCH = 1000
STATION_CODE = "AY0317"
END = dt.datetime(2026, 11, 20, 9, 0)
CASES_PER_DAY = 60
# The station's agents (login, name) and their shares of the cases; ids 1, 2, 3 in a new store.
AGENTS = [("wang", "王代办"), ("li", "李代办"), ("zhao", "赵代办")]
AGENT_SHARES = [6, 3, 1]

# Surnames with their share of the population in per mille (the most common ones), then
# a tail sharing the rest; given names from characters common in rural registers.
SURNAMES = {
    "王": 71, "李": 70, "张": 66, "刘": 54, "陈": 45, "杨": 31, "黄": 22, "赵": 21, "吴": 20,
    "周": 19, "徐": 16, "孙": 15, "马": 15, "朱": 14, "胡": 13, "郭": 12, "何": 12, "高": 11,
    "林": 11, "罗": 11,
}
TAIL_SURNAMES = list("郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪")
TAIL_SURNAMES += ["欧阳", "司马", "诸葛", "上官"]
GIVEN = list("秀英华建国明丽军平芳玉兰桂珍文红霞伟强磊洋勇艳杰娟涛超刚敏静海燕鹏志春梅凤云")
REGIONS = ["410522", "410523", "410526", "410527", "410581", "410502", "410503", "410505"]
PHONE_SEGMENTS = [f"{head}{area}" for head in ("139", "138", "135", "137", "150", "152",
                  "158", "182", "187", "188", "130", "131", "132", "155", "156", "133",
                  "153", "180", "189", "177") for area in ("0372", "0373")]
MATTERS = [
    ("FL-GLJT-001", "高龄津贴申请"), ("YB-CBDJ-001", "城乡居民基本医疗保险参保登记"),
    ("YL-CBDJ-001", "城乡居民基本养老保险参保登记"), ("YL-ZGRZ-001", "城乡居民基本养老保险待遇领取资格认证"),
    ("SJ-DBSQ-001", "最低生活保障申请"), ("SJ-LSJZ-001", "临时救助申请"),
    ("NB-GDDL-001", "耕地地力保护补贴申报"), ("HJ-CSDJ-001", "出生登记"),
    ("JS-JLFZ-001", "农村部分计划生育家庭奖励扶助"), ("ZJ-JFSP-001", "农村村民宅基地和建房（规划许可）审批"),
]
# State shares among the last month's cases and among older ones.
RECENT_STATES = {CaseState.DRAFT: 15, CaseState.QUEUED: 5, CaseState.UPLOADED: 20,
                 CaseState.ACCEPTED: 25, CaseState.RETURNED: 10, CaseState.COMPLETED: 15,
                 CaseState.DELIVERED: 10}
OLD_STATES = {CaseState.CLOSED: 850, CaseState.DELIVERED: 40, CaseState.REFUSED: 30,
              CaseState.DISCARDED: 40, CaseState.WITHDRAWN: 30, CaseState.DRAFT: 5,
              CaseState.RETURNED: 5}


@dataclass(frozen=True)
class Workload:
    """The rows both stores receive: applicant ``i`` files case ``i``."""

    applicants: list[dict[str, Any]]
    cases: list[dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    """One list or count call; ``run(i)`` makes the ``i``-th call (texts rotate with ``i``)."""

    label: str
    run: Callable[[int], Any]


@dataclass(frozen=True)
class Store:
    """One of the two stores under test."""

    label: str
    db: store.StoreDatabase
    path: Path


def make_person(rng: random.Random, taken: set[str]) -> dict[str, Any]:
    """An applicant's fields: name, a unique valid-format ID number, phone, address."""
    if rng.random() < 0.9:
        surname = rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]
    else:
        surname = rng.choice(TAIL_SURNAMES)
    name = surname + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2, 2))))
    birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(365 * 75))
    while True:
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + id_check_char(body)
        if number not in taken:
            taken.add(number)
            break
    phone = None
    if rng.random() < 0.9:
        phone = f"{rng.choice(PHONE_SEGMENTS)}{rng.randrange(10000):04d}"
    address = {"province": "河南省", "city": "安阳市", "county": "安阳县",
               "village": f"第{rng.randrange(1, 12)}村民组{rng.randrange(1, 60)}号"}
    return {"name": name, "id_number": number, "phone": phone, "birth_date": birth,
            "sex": "M" if int(number[16]) % 2 else "F", "address": address}


def filing_times(count: int, rng: random.Random) -> list[dt.datetime]:
    """``count`` creation times (naive UTC), office hours of consecutive days, ascending."""
    days = max(1, count // CASES_PER_DAY)
    first = dt.datetime.combine(END.date() - dt.timedelta(days=days), dt.time())
    moments = [
        first + dt.timedelta(days=i * days // count, hours=1, seconds=rng.randrange(8 * 3600))
        for i in range(count)
    ]
    return sorted(moments)


def case_state(created: dt.datetime, rng: random.Random) -> CaseState:
    table = RECENT_STATES if END - created < dt.timedelta(days=30) else OLD_STATES
    return rng.choices(list(table), weights=list(table.values()))[0]


def make_case(created: dt.datetime, person: dict[str, Any], number: str,
              rng: random.Random) -> dict[str, Any]:
    """A case's fields (without its applicant)."""
    code, name = rng.choice(MATTERS)
    state = case_state(created, rng)
    answers = {"applicant_name": person["name"], "applicant_id": person["id_number"],
               "phone": person["phone"], "household_size": rng.randrange(1, 7),
               "bank": "农村信用合作社", "account": f"622991{rng.randrange(10**13):013d}",
               "note": "本人申请，材料齐全。"}
    done = state not in (CaseState.DRAFT, CaseState.DISCARDED)
    agent = rng.choices(range(1, len(AGENTS) + 1), weights=AGENT_SHARES)[0]
    return {"uuid": f"{rng.getrandbits(128):032x}", "local_number": number, "matter_code": code,
            "matter_name": name, "catalog_version": 3, "answers": answers, "state": str(state),
            "revision": 1 if done else 0, "created_at": created, "updated_at": created,
            "queued_at": created if done else None,
            "promised_date": (created + dt.timedelta(days=7)).date() if done else None,
            "agent": agent}


def make_workload(count: int, seed: int = 20261123) -> Workload:
    """``count`` applicants and ``count`` cases, the ``i``-th case filed by the ``i``-th."""
    if not all(is_known_region(code) for code in REGIONS):
        raise ValueError("REGIONS holds a code that is not a known region")
    rng = random.Random(seed)
    taken: set[str] = set()
    people = [make_person(rng, taken) for _ in range(count)]
    cases, counters = [], {}
    for person, created in zip(people, filing_times(count, rng)):
        day = f"{created + dt.timedelta(hours=8):%Y%m%d}"
        counters[day] = counters.get(day, 0) + 1
        cases.append(make_case(created, person, f"{STATION_CODE}-{day}-{counters[day]:04d}", rng))
    applicants = [{"uuid": f"{rng.getrandbits(128):032x}", "created_at": c["created_at"],
                   "updated_at": c["created_at"], **p} for p, c in zip(people, cases)]
    return Workload(applicants, cases)


def open_encrypted(path: Path) -> store.StoreDatabase:
    """The app's store: SQLCipher, raw random key, the app's pragmas, migrated."""
    return store.open_store(path, os.urandom(store.KEY_BYTES))


def open_plain(path: Path) -> store.StoreDatabase:
    """The same store class and SQLite build with no key: pragmas less the cipher ones."""
    pragmas = tuple(p for p in store._PRAGMAS if not p[0].startswith("cipher_"))
    db = store.StoreDatabase(str(path), pragmas=pragmas, lock_type="IMMEDIATE",
                             check_same_thread=False)
    db.connect()
    migrations.migrate(db)
    return db


def open_stores(folder: Path) -> list[Store]:
    """The encrypted store and the plain one, new, in ``folder``."""
    encrypted, plain = folder / "encrypted.db", folder / "plain.db"
    return [Store("encrypted", open_encrypted(encrypted), encrypted),
            Store("plain", open_plain(plain), plain)]


def seed(target: Store) -> None:
    """The station and its agents, with the ids the workload's cases refer to."""
    with store.bound(target.db), target.db.atomic():
        Station.create(code=STATION_CODE, name="安阳县示范村便民服务站", township="示范镇",
                       created_at=END)
        for number, (login, name) in enumerate(AGENTS, start=1):
            agent = Agent.create(login=login, display_name=name, role="agent", created_at=END)
            assert agent.id == number, "the store was not empty"


def insert_batch(target: Store, people: list[dict], cases: list[dict]) -> float:
    """Seconds to write one transaction of applicants and their cases, as the app does."""
    with store.bound(target.db):
        start = time.perf_counter()
        with target.db.atomic():
            for person, case in zip(people, cases):
                applicant = Applicant.create(**person)
                Case.create(applicant=applicant, **case)
        return time.perf_counter() - start


def bench_insert(stores: list[Store], work: Workload) -> dict[str, list[float]]:
    """Insert the workload into every store, batch by batch, alternating which goes first."""
    for target in stores:
        seed(target)
    times: dict[str, list[float]] = {s.label: [] for s in stores}
    for number, first in enumerate(range(0, len(work.cases), BATCH)):
        people = work.applicants[first:first + BATCH]
        cases = work.cases[first:first + BATCH]
        for target in stores if number % 2 == 0 else stores[::-1]:
            times[target.label].append(insert_batch(target, people, cases))
    return times


def reopen(stores: list[Store]) -> None:
    """Close the stores and open them again, so the queries start from a cold page cache."""
    for target in stores:
        target.db.close()
        target.db.connect()


def deep_cursor(target: Store, rank: int) -> Cursor:
    """The cursor a reader holds after paging down to the ``rank``-th newest case."""
    with store.bound(target.db):
        row = (Case.select(Case.created_at, Case.id)
               .order_by(Case.created_at.desc(), Case.id.desc()).offset(rank - 1).limit(1).get())
    return Cursor(row.created_at, row.id)


def search_texts(work: Workload, rng: random.Random) -> dict[str, list[str]]:
    """What an agent types into the search box, by kind, sampled from the workload."""
    people = rng.sample(work.applicants, 20)
    cases = rng.sample(work.cases, 20)
    return {
        "digit": ["4"],
        "surname": list(SURNAMES)[:5],
        "rare": ["欧阳", "司马", "诸葛", "上官", "谭"],
        "name": [p["name"] for p in people],
        "id6": sorted({p["id_number"][:6] for p in people}),
        "id14": [p["id_number"][:14] for p in people],
        "phone7": [p["phone"][:7] for p in people if p["phone"]],
        "phone": [p["phone"] for p in people if p["phone"]],
        "case": [c["local_number"] for c in cases],
        "case_month": [c["local_number"][:13] for c in cases],
        "case_day": [c["local_number"][:15] for c in cases],
    }


SEARCHES = [
    ("search name: common surname (王, 李, ...)", "surname"),
    ("search name: rare surname (欧阳, 谭, ...)", "rare"),
    ("search name: full name", "name"),
    ("search ID number: first digit (4)", "digit"),
    ("search ID number: 6-digit region prefix", "id6"),
    ("search ID number: 14-char prefix", "id14"),
    ("search phone: 7-digit prefix", "phone7"),
    ("search phone: whole number", "phone"),
    ("search case number: whole", "case"),
    ("search case number: month prefix", "case_month"),
    ("search case number: day prefix", "case_day"),
]


def _rotating(texts: list[str], call: Callable[[CaseFilter], Any]) -> Callable[[int], Any]:
    return lambda i: call(CaseFilter(text=texts[i % len(texts)]))


def _each(filters: list[CaseFilter], call: Callable[[CaseFilter], Any]) -> Callable[[int], Any]:
    return lambda i: call(filters[i % len(filters)])


def operations(texts: dict[str, list[str]], deep: dict[int, Cursor]) -> list[Operation]:
    """The list, search and count calls timed, with the labels the table shows."""
    todo = CaseFilter(states=(CaseState.DRAFT, CaseState.RETURNED))
    done = CaseFilter(states=(CaseState.DELIVERED, CaseState.CLOSED))
    returned = CaseFilter(states=(CaseState.RETURNED,))
    closed = CaseFilter(states=(CaseState.CLOSED,))
    matters = [CaseFilter(matter_code=code) for code, _name in MATTERS]
    agents = [CaseFilter(agent_login=login) for login, _name in AGENTS]
    return [
        Operation("list: first page", lambda i: list_cases()),
        *(Operation(f"list: page at case {rank:,} (cursor)", lambda i, at=at: list_cases(after=at))
          for rank, at in deep.items()),
        Operation("list: state returned (rare)", lambda i: list_cases(returned)),
        Operation("list: state closed (common)", lambda i: list_cases(closed)),
        Operation("list: states draft + returned", lambda i: list_cases(todo)),
        Operation("list: states delivered + closed", lambda i: list_cases(done)),
        Operation("list: one matter", _each(matters, list_cases)),
        Operation("list: one agent's cases", _each(agents, list_cases)),
        *(Operation(label, _rotating(texts[kind], list_cases)) for label, kind in SEARCHES),
        Operation("count: all cases", lambda i: count_cases()),
        Operation("count: state closed", lambda i: count_cases(closed)),
        Operation("count: states draft + returned", lambda i: count_cases(todo)),
        Operation("count: one agent's cases", _each(agents, count_cases)),
        Operation("count: search common surname", _rotating(texts["surname"], count_cases)),
        Operation("count: search first digit (4)", _rotating(texts["digit"], count_cases)),
        Operation("count: search full name", _rotating(texts["name"], count_cases)),
    ]


def _timed(target: Store, operation: Operation, i: int) -> tuple[float, Any]:
    with store.bound(target.db):
        start = time.perf_counter()
        result = operation.run(i)
        return time.perf_counter() - start, result


def _outcome(result: Any) -> Any:
    """What must be equal between the stores: the page's case numbers and cursor, or a count."""
    if isinstance(result, int):
        return result
    return [row.local_number for row in result.rows], result.next


def check_same(stores: list[Store], ops: list[Operation], calls: int) -> None:
    """Run every operation ``calls`` times on every store (warming the caches) and make sure
    both stores answer alike. Raises AssertionError otherwise."""
    for operation in ops:
        for i in range(calls):
            outcomes = [_outcome(_timed(target, operation, i)[1]) for target in stores]
            assert all(o == outcomes[0] for o in outcomes), operation.label


def bench_queries(stores: list[Store], ops: list[Operation],
                  repeat: int) -> dict[str, dict[str, list[float]]]:
    """Seconds per call, by operation and store; calls interleave store by store."""
    times = {op.label: {s.label: [] for s in stores} for op in ops}
    for i in range(repeat):
        for operation in ops:
            for target in stores if i % 2 == 0 else stores[::-1]:
                times[operation.label][target.label].append(_timed(target, operation, i)[0])
    return times


def bench_cold(stores: list[Store], repeat: int) -> dict[str, list[float]]:
    """Seconds to open a store again and list the first page, the pages read all decrypted
    anew (the files stay in the OS cache: this times the cipher, not the disk)."""
    times: dict[str, list[float]] = {s.label: [] for s in stores}
    for i in range(repeat):
        for target in stores if i % 2 == 0 else stores[::-1]:
            target.db.close()
            with store.bound(target.db):
                start = time.perf_counter()
                target.db.connect()
                list_cases()
                times[target.label].append(time.perf_counter() - start)
    return times


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def row(label: str, times: dict[str, list[float]], targeted: bool) -> tuple[str, bool]:
    """A table line: medians and p95s in ms, the ratio of medians, and what misses a target."""
    enc, plain = times["encrypted"], times["plain"]
    ratio = statistics.median(enc) / statistics.median(plain)
    flags = []
    if ratio > TARGET_RATIO:
        flags.append(f"ratio > {TARGET_RATIO}")
    if targeted and percentile(enc, .95) * 1e3 > TARGET_P95_MS:
        flags.append(f"p95 > {TARGET_P95_MS:.0f} ms")
    cells = [statistics.median(enc), percentile(enc, .95), statistics.median(plain),
             percentile(plain, .95)]
    text = f"| {label:44s} | " + " | ".join(f"{c * 1e3:8.2f}" for c in cells)
    return f"{text} | {ratio:5.2f} | {', '.join(flags) or 'ok'} |", bool(flags)


def print_table(insert: dict[str, list[float]], queries: dict[str, dict[str, list[float]]]) -> int:
    """Print the result table (Markdown); return how many lines miss a target.

    ``queries`` maps each operation's label to its seconds per call, by store.
    """
    print("| operation | encrypted median ms | encrypted p95 ms | plain median ms "
          "| plain p95 ms | ratio | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    lines = [row(f"insert {BATCH:,} applicants + {BATCH:,} cases (1 tx)", insert, False)]
    lines += [row(label, times, True) for label, times in queries.items()]
    for text, _missed in lines:
        print(text)
    return sum(missed for _text, missed in lines)


def machine(stores: list[Store]) -> None:
    """Print what the figures were measured on."""
    db = stores[0].db
    cipher = db.execute_sql("PRAGMA cipher_version").fetchone()[0]
    sqlite = db.execute_sql("SELECT sqlite_version()").fetchone()[0]
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if "model name" in line),
               platform.processor() or "unknown")
    print(f"Machine: {os.cpu_count()} CPUs, {cpu}; Python {platform.python_version()}; "
          f"SQLCipher {cipher} (SQLite {sqlite})")
    for target in stores:
        with target.path.open("rb") as file:
            head = file.read(16)
        kind = "plain SQLite header" if head.startswith(b"SQLite format 3") else "no plain header"
        print(f"  {target.label:9s} {target.path.stat().st_size / 2**20:6.1f} MiB ({kind})")


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def run(stores: list[Store], work: Workload, repeat: int) -> None:
    """Insert, query, and print the table."""
    count = len(work.cases)
    print(f"Station store: {count:,} applicants and {count:,} cases, {repeat} calls per query")
    insert = bench_insert(stores, work)
    totals = ", ".join(f"{label} {sum(times):.1f} s" for label, times in insert.items())
    print(f"  insert, whole workload: {totals}")
    for target in stores:
        target.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    reopen(stores)
    machine(stores)
    ranks = (max(1, count // 2), max(1, count * 99 // 100))
    deep = {rank: deep_cursor(stores[0], rank) for rank in ranks}
    ops = operations(search_texts(work, random.Random(7)), deep)
    check_same(stores, ops, 5)
    queries = bench_queries(stores, ops, repeat)
    queries["open the store + first page (cold cache)"] = bench_cold(stores, repeat)
    missed = print_table(insert, queries)
    print(f"{missed} line(s) miss a target" if missed else "All targets met.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200,
                        help="timed calls per operation and store")
    arguments = parser.parse_args()
    if arguments.cases < 20 or arguments.repeat < 1:
        parser.error("--cases must be at least 20 and --repeat at least 1")
    work = make_workload(arguments.cases)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        stores = open_stores(Path(folder))
        try:
            run(stores, work, arguments.repeat)
        finally:
            for target in stores:
                target.db.close()


if __name__ == "__main__":
    main()
