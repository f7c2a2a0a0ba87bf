"""Load benchmark: a city's village stations against one township on PostgreSQL.

Setup, once per run in a temporary directory: a throwaway PostgreSQL
(``tests/township/postgres.py``: ``initdb``, loopback, ``fsync=off``), ``township init``
with its postgresql:// URL, N stations and their one-time codes added through the
township's service, and the township served by uvicorn with W worker processes on
127.0.0.1 (the app ``township serve`` runs, opened in each worker).

The stations are simulated in D driver processes with C threads in all (C requests in
flight at most); a station is its Ed25519 key, its enrolment and a counter, speaking
through the station's own wire code (``sync.transport.Transport``, one HTTP session per
station and phase). Phases, each timed on its own for every station:

- **enrol**: ``hello``, ``enrol`` with the code, ``heartbeat``;
- (untimed) each station builds its M envelopes, seq 1..M: small cases, about 700 bytes of
  case content sealed with HPKE to the township, no blobs (page uploads are
  ``bench/sync.py``'s subject), signed with the station key;
- **envelopes**: ``POST /envelopes`` for seq 1..M in order; every receipt must verify with
  the pinned township key and name the station, seq and envelope digest;
- **ledger**: the signed ledger of the M entries; the answer must settle all of them.

Measured per phase: requests per second, p50/p95 latency of a request as the station sees
it (signing included), and CPU per request of the township processes, of PostgreSQL (every
process of the server, backends that exited included) and of the drivers, from
``/proc/<pid>/stat`` before and after the phase. Then exactly once: in PostgreSQL one
envelope per (station, seq), N x M in all, seq 1..M for each station, no refusals, every
station's ledger settled through M.

Floor, measured in the same run with the server idle, per envelope: the Ed25519
verification of a stored envelope and of a request signature base, and one INSERT of the
envelope's bytes into a table of another database of the same server (autocommit, one
connection), timed in-process. Its CPU is this process's plus the PostgreSQL backend's.
Ratio = (township + PostgreSQL) CPU per envelope / floor CPU per envelope.

Workers: the township is CPU-bound Python, one GIL per process, so one worker per CPU (2
here); at 128 stations one worker gave 72 envelopes/s, two 92, three 95 (within noise).

Run: ``.venv/bin/python bench/township_load.py`` (``--stations 2744 --cases 20
--concurrency 64 --workers 2 --drivers 4`` by default: about 20 minutes on 2 CPUs;
``--stations 64`` for a quick run). The "other work" column is the share of the machine's
CPUs busy outside this benchmark's processes during the phase: figures taken beside other
load are low.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

# bench/forms.py is named like the forms package: keep this folder off the path; the
# repository's root on it, for the throwaway PostgreSQL of the township's tests.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [
    entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import psycopg2  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from sync import envelope as envelopes  # noqa: E402
from sync.messages import (  # noqa: E402
    Enrolment,
    Ledger,
    LedgerEntry,
    ledger_digest,
    make_ledger,
    read_enrolment,
    read_receipt,
)
from sync.signed import (  # noqa: E402
    b64decode,
    b64encode,
    canonical_json,
    public_key_from_raw,
    raw_public_key,
)
from sync.township.api import create_app  # noqa: E402
from sync.township.service import open_township  # noqa: E402
from sync.transport import Transport, TransportConfig, TransportError  # noqa: E402
from tests.township.postgres import PostgresServer, start_postgres  # noqa: E402

T = TypeVar("T")
PASSPHRASE = "bench township passphrase"
APP_VERSION = "bench-load"
ATTEMPTS, BACKOFF = 6, 0.2  # a request failing to connect or with 5xx is tried again
FLOOR_SAMPLES = 2000
_CLOCK_TICK = os.sysconf("SC_CLK_TCK")
_TOWNSHIP = [sys.executable, "-c", "from sync.township.cli import main; main()"]
_SERVE = ("import uvicorn; uvicorn.run('township_load:township_app', factory=True, "
          "host='127.0.0.1', port={port}, workers={workers}, app_dir={app_dir!r}, "
          "log_level='info', access_log=False)")
_READY = "Application startup complete"


class LoadError(Exception):
    """A station's request failed for good: ``code`` says how (no personal data)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- CPU time from /proc ---------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float]:
    """A process's parent and its CPU seconds: its own and those of children it reaped.
    Raises OSError when it is gone."""
    text = Path(f"/proc/{pid}/stat").read_text()
    values = text[text.rindex(")") + 2:].split()
    return int(values[1]), sum(int(v) for v in values[11:15]) / _CLOCK_TICK


def tree_cpu(root: int) -> float:
    """CPU seconds of process ``root`` and all its descendants, living or reaped."""
    parents, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)], cpu[int(entry.name)] = _stat(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    tree, added = {root}, True
    while added:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        added, tree = grown != tree, grown
    return sum(cpu.get(pid, 0.0) for pid in tree)


def machine_busy() -> float:
    """CPU seconds every CPU of the machine spent busy since boot (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / _CLOCK_TICK


# --- PostgreSQL and the township -------------------------------------------------------


def township_command(data: Path, *args: str) -> str:
    """Run ``township --data DATA ARGS``; its output. Raises CalledProcessError."""
    env = {**os.environ, "TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en"}
    return subprocess.run([*_TOWNSHIP, "--data", str(data), *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def add_stations(data: Path, count: int) -> list[tuple[str, str]]:
    """``count`` new stations: their ids and one-time enrolment codes."""
    township = open_township(data, PASSPHRASE)
    try:
        made = [township.stations.add(f"基准村便民服务站{n:05d}") for n in range(count)]
    finally:
        township.close()
    return [(new.station, new.code) for new in made]


def township_app() -> FastAPI:
    """What ``township serve`` serves, opened in a uvicorn worker from the environment."""
    return create_app(open_township(Path(os.environ["TOWNSHIP_DATA"]),
                                    os.environ["TOWNSHIP_PASSPHRASE"]))


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextmanager
def served(data: Path, workers: int) -> Iterator[Served]:
    """uvicorn with ``workers`` processes serving the township in ``data``, until the end
    of the ``with`` block. Raises RuntimeError when it does not start."""
    port = _free_port()
    code = _SERVE.format(port=port, workers=workers, app_dir=str(_HERE))
    env = {**os.environ, "TOWNSHIP_DATA": str(data), "TOWNSHIP_PASSPHRASE": PASSPHRASE}
    log = data / "serve.log"
    with open(log, "ab") as output:
        server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=output,
                                  stderr=subprocess.STDOUT)
    try:
        while log.read_text("utf-8", "replace").count(_READY) < workers:
            if server.poll() is not None:
                raise RuntimeError(f"the township server stopped; see {log}")
            time.sleep(0.1)
        yield Served(f"http://127.0.0.1:{port}", server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postmaster_pid(server: PostgresServer) -> int:
    return int((server.directory / "data" / "postmaster.pid").read_text().split()[0])


# --- one simulated station -------------------------------------------------------------


@dataclass
class SimStation:
    """A station as the load sees it: its id and code at the township, its number here,
    its key, its enrolment and the township's clock offset once enrolled, its envelopes."""

    station: str
    code: str
    number: int
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    enrolment: Enrolment | None = None
    clock_offset: timedelta = timedelta(0)
    envelopes: list[bytes] = field(default_factory=list)


@dataclass
class Outcome:
    """What one station's phase gave: request latencies in seconds, retries, and the code
    of the failure that stopped it (None when it went through)."""

    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    failure: str | None = None


def _timed(outcome: Outcome, call: Callable[[], T]) -> T:
    """``call()``, tried again on TransportError; its latency (all tries) is recorded.
    Raises LoadError when every try failed."""
    started, code = time.perf_counter(), "none"
    for attempt in range(ATTEMPTS):
        if attempt:
            outcome.retries += 1
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            result = call()
            outcome.latencies.append(time.perf_counter() - started)
            return result
        except TransportError as error:
            code = error.code
    raise LoadError(f"gave up: {code}")


def _transport(url: str, sim: SimStation) -> Transport:
    transport = Transport(TransportConfig(url))
    if sim.enrolment is not None:
        transport.identify(sim.enrolment.station, sim.key)
        transport.clock_offset = sim.clock_offset
    return transport


def enrol(sim: SimStation, transport: Transport, outcome: Outcome, cases: int) -> None:
    """``hello``, ``enrol`` with the station's code, one ``heartbeat``."""
    _timed(outcome, transport.hello)
    sim.clock_offset = transport.clock_offset
    answer = _timed(outcome, lambda: transport.enrol({
        "code": sim.code, "station_key": b64encode(raw_public_key(sim.key)),
        "station_code": f"B{sim.number:05d}", "app_version": APP_VERSION}))
    sim.enrolment = read_enrolment(answer)
    if sim.enrolment.station != sim.station:
        raise LoadError("enrolled as another station")
    transport.identify(sim.station, sim.key)
    _timed(outcome, lambda: transport.heartbeat({
        "queue": cases, "quarantined": 0, "app_version": APP_VERSION, "catalog_version": "3",
        "last_error": None, "free_disk": 50 * 2 ** 30, "highest_seq": 0}))


def case_content(sim: SimStation, seq: int, case: str, at: str) -> dict[str, Any]:
    """A small case's content (synthetic applicant), about 680 bytes of canonical JSON."""
    return {
        "case": {"uuid": case, "local_number": f"B{sim.number:05d}-{seq:04d}",
                 "matter_code": "FL-GLJT-001", "matter_name": "高龄津贴申请",
                 "catalog_version": 3, "state": "queued", "created_at": at, "queued_at": at,
                 "answers": {"living_arrangement": "alone", "by_proxy": False}},
        "applicant": {"name": "基准申请人", "id_number": "410522194403120224",
                      "phone": "13903720001", "birth_date": "1944-03-12", "sex": "F",
                      "address": {"county": "安阳县", "village": f"基准村{sim.number}"}},
        "agent": {"login": "bench", "display_name": "基准代办员"},
        "materials": [], "transitions": [{"to": "queued", "at": at, "by": "bench"}],
        "evaluations": [], "note": None,
    }


def build_envelopes(sim: SimStation, transport: Transport, outcome: Outcome,
                    cases: int) -> None:
    """The station's envelopes, seq 1..``cases``, one new case each, sealed and signed
    (no request: ``transport`` and ``outcome`` stay unused)."""
    assert sim.enrolment is not None
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    at = now.isoformat() + "Z"
    for seq in range(1, cases + 1):
        case = str(uuid.uuid4())
        header = envelopes.Header(sim.station, seq, case, 1, "submission", now, ())
        sim.envelopes.append(envelopes.build(
            header, case_content(sim, seq, case, at), suite=sim.enrolment.suite,
            sealing_key=sim.enrolment.sealing_key, station_key=sim.key))


def send_envelopes(sim: SimStation, transport: Transport, outcome: Outcome,
                   cases: int) -> None:
    """POST every envelope in order; each receipt must verify and name it."""
    assert sim.enrolment is not None
    for seq, data in enumerate(sim.envelopes, start=1):
        answer = _timed(outcome, lambda: transport.post_envelope(data))
        receipt = read_receipt(answer, sim.enrolment.signing_key)
        if (receipt.station, receipt.seq, receipt.envelope_sha256) != (
                sim.station, seq, envelopes.digest(data)):
            raise LoadError("receipt for another envelope")


def report_ledger(sim: SimStation, transport: Transport, outcome: Outcome,
                  cases: int) -> None:
    """The signed ledger of every envelope; the township must settle all of them."""
    entries = tuple(LedgerEntry(seq, envelopes.digest(data))
                    for seq, data in enumerate(sim.envelopes, start=1))
    ledger = make_ledger(Ledger(sim.station, len(entries), len(entries),
                                ledger_digest(entries), entries), sim.key)
    answer = _timed(outcome, lambda: transport.ledger(ledger))
    if answer.missing or answer.mismatched or answer.through != len(entries):
        raise LoadError("ledger not settled")


PHASES: dict[str, Callable[[SimStation, Transport, Outcome, int], None]] = {
    "enrol": enrol, "prepare": build_envelopes, "envelopes": send_envelopes,
    "ledger": report_ledger,
}


# --- driver processes ------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What one driver process simulates."""

    url: str
    stations: list[tuple[int, str, str]]  # number, station id, enrolment code
    cases: int
    threads: int


@dataclass
class PhaseResult:
    """A phase as one driver (or all, merged) saw it."""

    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0

    def add(self, other: PhaseResult) -> None:
        self.latencies += other.latencies
        self.retries += other.retries
        self.failures += other.failures
        self.cpu += other.cpu


def _phase_step(name: str, plan: Plan) -> Callable[[SimStation], Outcome]:
    """One station's work in phase ``name``, on its own HTTP session."""
    def step(sim: SimStation) -> Outcome:
        outcome = Outcome()
        transport = _transport(plan.url, sim)
        try:
            PHASES[name](sim, transport, outcome, plan.cases)
        except LoadError as error:
            outcome.failure = error.code
        except Exception as error:  # any other failure is counted by its type, not shown
            outcome.failure = type(error).__name__
        finally:
            transport.close()
        return outcome
    return step


def run_phase(name: str, plan: Plan, sims: list[SimStation]) -> PhaseResult:
    """Phase ``name`` for every station of this driver, ``plan.threads`` at a time."""
    result, started = PhaseResult(), time.process_time()
    ready = [sim for sim in sims if name == "enrol" or sim.enrolment is not None]
    with ThreadPoolExecutor(plan.threads) as pool:
        for outcome in pool.map(_phase_step(name, plan), ready):
            result.latencies += outcome.latencies
            result.retries += outcome.retries
            result.failures[outcome.failure or "ok"] += 1
    result.cpu = time.process_time() - started
    return result


def driver(plan: Plan, pipe: Connection) -> None:
    """A driver process: say it is ready, then run each phase the parent names and answer
    with its result."""
    sims = [SimStation(station, code, number) for number, station, code in plan.stations]
    pipe.send(None)
    while (name := pipe.recv()) is not None:
        pipe.send(run_phase(name, plan, sims))


@dataclass(frozen=True)
class Figures:
    """A phase of the whole city: its result merged, seconds, and server CPU seconds."""

    name: str
    result: PhaseResult
    seconds: float
    township_cpu: float
    postgres_cpu: float
    busy: float

    @property
    def others(self) -> float:
        """The share of the machine's CPUs that other work took during the phase."""
        ours = self.township_cpu + self.postgres_cpu + self.result.cpu
        return max(0.0, self.busy - ours) / (self.seconds * (os.cpu_count() or 1))


def city_phase(name: str, pipes: list[Connection], township: int, pg: int) -> Figures:
    """Run phase ``name`` in every driver at once; its figures."""
    before = tree_cpu(township), tree_cpu(pg), machine_busy()
    started = time.perf_counter()
    for pipe in pipes:
        pipe.send(name)
    merged = PhaseResult()
    for pipe in pipes:
        merged.add(pipe.recv())
    seconds = time.perf_counter() - started
    print(f"  {name}: {seconds:.1f} s", flush=True)
    return Figures(name, merged, seconds, tree_cpu(township) - before[0],
                   tree_cpu(pg) - before[1], machine_busy() - before[2])


@contextmanager
def drivers(url: str, codes: list[tuple[str, str]], cases: int, concurrency: int,
            count: int) -> Iterator[list[Connection]]:
    """``count`` driver processes sharing the stations and ``concurrency`` threads."""
    context = multiprocessing.get_context("spawn")
    numbered = [(n, station, code) for n, (station, code) in enumerate(codes)]
    threads = [concurrency // count + (i < concurrency % count) for i in range(count)]
    pipes, processes = [], []
    for i in range(count):
        mine, theirs = context.Pipe()
        plan = Plan(url, numbered[i::count], cases, threads[i])
        processes.append(context.Process(target=driver, args=(plan, theirs), daemon=True))
        processes[-1].start()
        pipes.append(mine)
    for pipe in pipes:
        pipe.recv()
    try:
        yield pipes
    finally:
        for pipe in pipes:
            pipe.send(None)
        for process in processes:
            process.join(60)


# --- the floor and the checks ----------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """Seconds per envelope: the two verifications, the INSERT (wall) and their CPU; the
    mean size of the envelopes and of their sealed content, in bytes."""

    verify: float
    insert: float
    cpu: float
    envelope_bytes: float
    sealed_bytes: float


def _signature_base(station: str) -> bytes:
    """A request signature base as RFC 9421 builds it for ``POST /envelopes``."""
    nonce = b64encode(os.urandom(16))
    digest = base64.b64encode(os.urandom(32)).decode("ascii")
    return (f'"@method": POST\n"@path": /api/v1/envelopes\n"@query": ?\n'
            f'"sync-protocol": 1\n"content-digest": sha-256=:{digest}:\n'
            f'"@signature-params": ("@method" "@path" "@query" "sync-protocol" '
            f'"content-digest");created={int(time.time())};keyid="{station}";'
            f'nonce="{nonce}";tag="village-sync";alg="ed25519"').encode()


def _floor_inputs(township_url: str, samples: int) -> list[tuple[Any, ...]]:
    """Per stored envelope: its key, signature, signed bytes, bytes; a signature base."""
    with psycopg2.connect(township_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data, station_key, station_id FROM envelope ORDER BY id "
                       "LIMIT %s", (samples,))
        rows = cursor.fetchall()
    request_key = Ed25519PrivateKey.generate()
    inputs = []
    for data, key, station in rows:
        document = json.loads(bytes(data))
        base = _signature_base(station)
        inputs.append((public_key_from_raw(bytes(key)),
                       bytes.fromhex(document["signatures"][0]["sig"]),
                       canonical_json(document["signed"]), bytes(data),
                       request_key.public_key(), request_key.sign(base), base))
    return inputs


def measure_floor(server: PostgresServer, township_url: str, samples: int) -> Floor:
    """The floor per envelope on ``samples`` stored envelopes (see the module's doc)."""
    inputs = _floor_inputs(township_url, samples)
    cpu, started = time.process_time(), time.perf_counter()
    for key, signature, signed, _data, request_key, request_signature, base in inputs:
        key.verify(signature, signed)
        request_key.verify(request_signature, base)
    verify, verify_cpu = time.perf_counter() - started, time.process_time() - cpu
    connection = psycopg2.connect(server.new_database())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE floor_envelope (id bigserial PRIMARY KEY, station text, "
                       "seq integer, data bytea, UNIQUE (station, seq))")
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        backend_cpu, cpu, started = tree_cpu(backend), time.process_time(), time.perf_counter()
        for n, item in enumerate(inputs):
            cursor.execute("INSERT INTO floor_envelope (station, seq, data) "
                           "VALUES (%s, %s, %s)", ("s", n + 1, item[3]))
        insert = time.perf_counter() - started
        insert_cpu = time.process_time() - cpu + tree_cpu(backend) - backend_cpu
    connection.close()
    sealed = [len(b64decode(json.loads(item[3])["signed"]["sealed"])) for item in inputs]
    return Floor(verify / len(inputs), insert / len(inputs),
                 (verify_cpu + insert_cpu) / len(inputs),
                 statistics.mean(len(item[3]) for item in inputs), statistics.mean(sealed))


_CHECKS = (
    ("envelopes in all", "SELECT count(*) FROM envelope", "{total}"),
    ("(station, seq) held more than once",
     "SELECT count(*) FROM (SELECT station_id, seq FROM envelope GROUP BY 1, 2 "
     "HAVING count(*) > 1) AS twice", "0"),
    ("stations holding exactly seq 1..M",
     "SELECT count(*) FROM (SELECT station_id FROM envelope GROUP BY 1 HAVING count(*) = {m} "
     "AND count(DISTINCT seq) = {m} AND min(seq) = 1 AND max(seq) = {m}) AS whole", "{n}"),
    ("envelopes refused", "SELECT count(*) FROM refusal", "0"),
    ("stations whose ledger is settled through M",
     "SELECT count(*) FROM station WHERE ledger_through = {m}", "{n}"),
)


def check_database(township_url: str, stations: int, cases: int) -> list[tuple[str, int, int]]:
    """Each exactly-once check: its label, what PostgreSQL holds, what it must hold."""
    names = {"total": stations * cases, "m": cases, "n": stations}
    found = []
    with psycopg2.connect(township_url) as connection, connection.cursor() as cursor:
        for label, query, expected in _CHECKS:
            cursor.execute(query.format(**names))
            found.append((label, cursor.fetchone()[0], int(expected.format(**names))))
    return found


# --- the report ------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``samples`` (nearest rank); 0 for none."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def machine(workers: int, drivers_count: int, concurrency: int, pg_url: str) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line),
               platform.processor() or "unknown")
    with psycopg2.connect(pg_url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (f"Machine: {os.cpu_count()} CPUs, {cpu}; Python {platform.python_version()}; "
            f"PostgreSQL {version} (fsync off); uvicorn workers {workers}; "
            f"{drivers_count} driver processes, {concurrency} requests in flight at most")


def phase_line(figures: Figures) -> str:
    result = figures.result
    requests = max(1, len(result.latencies))
    cells = [f"{len(result.latencies):,}", f"{figures.seconds:.1f}",
             f"{len(result.latencies) / figures.seconds:,.0f}",
             f"{statistics.median(result.latencies or [0]) * 1e3:.1f}",
             f"{percentile(result.latencies, .95) * 1e3:.1f}"]
    cells += [f"{cpu / requests * 1e3:.2f}" for cpu in
              (figures.township_cpu, figures.postgres_cpu, result.cpu)]
    failures = sum(n for code, n in result.failures.items() if code != "ok")
    cells += [str(result.retries), str(failures), f"{figures.others:.0%}"]
    return f"| {figures.name} | " + " | ".join(cells) + " |"


def report(phases: list[Figures], floor: Floor,
           checks: list[tuple[str, int, int]]) -> bool:
    """Print the tables; whether every check held."""
    print("| phase | requests | s | requests/s | p50 ms | p95 ms | township CPU ms/req "
          "| PostgreSQL CPU ms/req | drivers CPU ms/req | retries | stations failed | other work |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for figures in phases:
        print(phase_line(figures))
    sent = next(f for f in phases if f.name == "envelopes")
    count = max(1, len(sent.result.latencies))
    server = (sent.township_cpu + sent.postgres_cpu) / count
    print(f"envelopes of {floor.envelope_bytes:,.0f} bytes ({floor.sealed_bytes:,.0f} sealed), "
          f"no blobs: {len(sent.result.latencies) / sent.seconds:,.0f} envelopes/s; server CPU "
          f"per envelope {server * 1e3:.2f} ms (township {sent.township_cpu / count * 1e3:.2f}, "
          f"PostgreSQL {sent.postgres_cpu / count * 1e3:.2f}); {os.cpu_count()} CPUs / that "
          f"= {(os.cpu_count() or 1) / server:,.0f} envelopes/s, the ceiling with the stations "
          f"elsewhere")
    print(f"floor per envelope: 2 Ed25519 verifications {floor.verify * 1e6:.0f} µs + INSERT "
          f"{floor.insert * 1e6:.0f} µs (wall); CPU {floor.cpu * 1e6:.0f} µs; "
          f"server CPU / floor CPU = {server / floor.cpu:.1f}")
    failed = {code: n for f in phases for code, n in f.result.failures.items() if code != "ok"}
    if failed:
        print(f"station failures by code: {failed}")
    print("| exactly once | PostgreSQL | expected | |")
    print("|---|---:|---:|---|")
    for label, found, expected in checks:
        print(f"| {label} | {found:,} | {expected:,} | {'ok' if found == expected else 'FAIL'} |")
    return not failed and all(found == expected for _label, found, expected in checks)


def measure(root: Path, arguments: argparse.Namespace) -> bool:
    server = start_postgres()
    try:
        township_url = server.new_database()
        data = root / "township"
        township_command(data, "init", "--name", "基准镇", "--database", township_url)
        codes = add_stations(data, arguments.stations)
        print(machine(arguments.workers, arguments.drivers, arguments.concurrency, township_url))
        print(f"{arguments.stations:,} stations x {arguments.cases} envelopes", flush=True)
        with served(data, arguments.workers) as township, drivers(
                township.url, codes, arguments.cases, arguments.concurrency,
                arguments.drivers) as pipes:
            pg = postmaster_pid(server)
            phases = [city_phase(name, pipes, township.pid, pg)
                      for name in ("enrol", "prepare", "envelopes", "ledger")]
        floor = measure_floor(server, township_url, FLOOR_SAMPLES)
        checks = check_database(township_url, arguments.stations, arguments.cases)
    finally:
        server.stop()
    return report([f for f in phases if f.name != "prepare"], floor, checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=2744)
    parser.add_argument("--cases", type=int, default=20, help="envelopes per station")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--drivers", type=int, default=4, help="driver processes")
    arguments = parser.parse_args()
    if min(arguments.stations, arguments.cases, arguments.workers, arguments.drivers) < 1 \
            or arguments.concurrency < arguments.drivers:
        parser.error("every count must be at least 1 and --concurrency at least --drivers")
    with tempfile.TemporaryDirectory(prefix="bench-township-load-") as folder:
        passed = measure(Path(folder), arguments)
    print("Every envelope received exactly once, no gaps." if passed else "CHECKS FAILED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
