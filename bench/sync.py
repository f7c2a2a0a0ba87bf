"""Benchmark of sync: a station drains its queue to a real township over loopback, against
curl pushing the same bytes to the same server.

Setup, once per run in a temporary directory: a station (``init_station``: SQLCipher store,
blob store) holding N queued cases of the bundled matter FL-GLJT-001, each with one to
three ID-card pages of random (incompressible) bytes behind a JPEG signature, attached
through the real store (``attach_pages``: encrypted, fsynced), M MiB of pages in all, each
page under the 8 MiB chunk so that one upload is one tus PATCH. A township made by
``township init`` and served by ``township serve`` (uvicorn, in its own process, the
command a township runs); the station is enrolled with it, and so is a second station
whose key only this script holds, for curl.

Measured, in the same run, each after ``sync`` so that neither pays the other's writeback:

- **engine**: ``SyncEngine`` rounds (``SyncConfig()`` defaults: 8 MiB chunks) in a child
  process until the queue is empty: hello, per case the blobs (tus announce + PATCH, each
  with its checksum) and the envelope (content sealed, receipt verified and kept), then
  events, heartbeat, ledger. The child reads its own peak RSS (VmHWM) at the end.
- **curl**: one ``curl`` process uploading the same stored page files, for the second
  station, by the same protocol requests (tus announce + one PATCH per file), with every
  header, checksum and RFC 9421 signature computed beforehand; connections kept alive. The
  server does exactly the same work per byte (signature and digest check, checksum, fsync,
  whole-blob digest); the client does nothing but send the file. This is the floor: what
  pushing the bytes costs on this machine and server. Ratio = engine / curl.
- **interrupted**: a copy of the station and of the township taken before the first drain,
  drained again through ``tests/sync/faultproxy.py``, which cuts K random PATCH requests
  mid-body (half the chunk forwarded, then the connection closed). Reported: request-body
  bytes of all PATCH requests against the payload and the bound payload + K × chunk size,
  and the child's peak RSS.

Targets (issue): engine / curl <= 1.3; interrupted PATCH bytes <= payload + K × chunk; peak
RSS of the station under 150 MB.

Run: ``.venv/bin/python bench/sync.py`` (``--cases 200 --megabytes 1024 --interruptions 20``
by default; ``--dir PATH`` for the temporary directory, which needs about 5 × M of space).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

# bench/forms.py is named like the forms package: keep this folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import requests  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from station import session as sessions  # noqa: E402
from station.applicants import ApplicantInput  # noqa: E402
from station.demo import bundled_catalog, demo_id_number  # noqa: E402
from station.enrolment import enrol  # noqa: E402
from station.keyfile import KdfParams  # noqa: E402
from station.models import MaterialFile  # noqa: E402
from station.syncside import StationSyncSide  # noqa: E402
from sync.engine import SyncConfig, SyncEngine  # noqa: E402
from sync.httpsig import Message, sign  # noqa: E402
from sync.messages import read_enrolment  # noqa: E402
from sync.signed import b64encode, raw_public_key  # noqa: E402
from sync.transport import Transport, TransportConfig  # noqa: E402

MiB = 1024 * 1024
MATTER = "FL-GLJT-001"
PAGES_PER_CASE = (1, 3)
PAGE_MIB = (0.3, 5.0)  # before scaling to the total asked for
JPEG_HEAD = b"\xff\xd8\xff\xe0"
PASSPHRASE = "bench township passphrase"
SETUP = sessions.StationSetup(
    code="BENCH01", name="基准测试村便民服务站", township="基准镇",
    login="bench", display_name="基准代办员", password="bench-pass-2026",
)
ADDRESS = {"province": "河南省", "city": "安阳市", "county": "安阳县", "township": "基准镇",
           "village": "基准村"}
TARGET_RATIO, TARGET_RSS_MB = 1.3, 150
WRITE_BLOCK = 4 * MiB
# Logging in is not what is measured: cheap key derivation for the bench station.
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)


def _load(name: str, path: Path) -> ModuleType:
    """Import the script at ``path`` as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


faultproxy = _load("faultproxy", _HERE.parent / "tests" / "sync" / "faultproxy.py")


# --- the station and its queue ---------------------------------------------------------


def page_sizes(cases: int, megabytes: int, rng: random.Random) -> list[list[int]]:
    """Page sizes in bytes for each case, adding up to ``megabytes`` MiB."""
    weights = [[rng.uniform(*PAGE_MIB) for _ in range(rng.randint(*PAGES_PER_CASE))]
               for _ in range(cases)]
    scale = megabytes * MiB / sum(map(sum, weights))
    return [[max(len(JPEG_HEAD) + 1, int(w * scale)) for w in case] for case in weights]


def make_station(root: Path, sizes: list[list[int]]) -> Path:
    """A station in ``root`` with one queued case per entry of ``sizes``."""
    data_dir = root / "station"
    sessions.init_station(data_dir, SETUP, kdf=CHEAP_KDF)
    catalog = bundled_catalog()
    matter = catalog.matter(MATTER)
    with sessions.login(data_dir, SETUP.login, SETUP.password) as session:
        applicant = session.applicants.save(ApplicantInput(
            name="基准申请人", id_number=demo_id_number("19440312", "022"),
            phone="13903720001", address=ADDRESS))
        for pages in sizes:
            _queue_case(session, matter, catalog.version, applicant, pages, root)
    return data_dir


def _queue_case(session: sessions.Session, matter, version, applicant,  # noqa: ANN001
                pages: list[int], root: Path) -> None:
    answers = {"applicant_name": applicant.name, "applicant_id": applicant.id_number,
               "applicant_phone": applicant.phone, "applicant_address": ADDRESS,
               "living_arrangement": "alone", "already_receiving_elsewhere": False,
               "by_proxy": False, "bank_account": "6222020200112233445"}
    case = session.cases.create_draft(matter, version, applicant, answers)
    sources = [_random_page(root / f"source-{n}.jpg", size) for n, size in enumerate(pages)]
    session.materials.attach_pages(case.uuid, "id_card", sources)
    for source in sources:
        source.unlink()
    promised = date.today() + timedelta(days=30)
    for code in ("household_register", "bank_card"):
        session.materials.defer(case.uuid, code, promised)
    session.cases.submit(case.uuid, matter)


def _random_page(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.write(JPEG_HEAD)
        left = size - len(JPEG_HEAD)
        while left > 0:
            handle.write(os.urandom(min(WRITE_BLOCK, left)))
            left -= WRITE_BLOCK
    return path


def stored_pages(data_dir: Path) -> list[Path]:
    """The page files as the store keeps them (what is uploaded), in case order."""
    with sessions.login(data_dir, SETUP.login, SETUP.password) as session:
        return [session.blobs.path_of(page.blob_name)
                for page in MaterialFile.select().order_by(MaterialFile.id)]


# --- the township ----------------------------------------------------------------------


_TOWNSHIP = [sys.executable, "-c", "from sync.township.cli import main; main()"]
_ENV = {**os.environ, "TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en"}


def township_command(data: Path, *args: str) -> str:
    """Run ``township --data DATA ARGS``; its output. Raises CalledProcessError."""
    return subprocess.run([*_TOWNSHIP, "--data", str(data), *args], env=_ENV, check=True,
                          capture_output=True, text=True).stdout


def add_station(data: Path, name: str) -> str:
    """A new station's one-time enrolment code."""
    output = township_command(data, "station", "add", name,
                              "--qr", str(data / f"{name}.png"))
    found = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b", output)
    assert found, output
    return found.group(0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(data: Path) -> Iterator[str]:
    """``township serve`` on a free loopback port for the ``with`` block; its base URL."""
    port = _free_port()
    with open(data / "serve.log", "ab") as log:
        server = subprocess.Popen([*_TOWNSHIP, "--data", str(data), "serve", "--host",
                                   "127.0.0.1", "--port", str(port)], env=_ENV,
                                  stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server)
        yield url
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for(url: str, server: subprocess.Popen) -> None:
    while server.poll() is None:
        try:
            if requests.get(url + "/api/v1/hello", headers={"Sync-Protocol": "1"},
                            timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("township serve stopped; see serve.log")


@dataclass(frozen=True)
class CurlStation:
    station: str
    key: Ed25519PrivateKey


def enrol_curl_station(url: str, code: str) -> CurlStation:
    key = Ed25519PrivateKey.generate()
    body = {"code": code, "station_key": b64encode(raw_public_key(key)),
            "station_code": "BENCH02", "app_version": "bench"}
    answer = requests.post(url + "/api/v1/enrol", json=body, headers={"Sync-Protocol": "1"})
    answer.raise_for_status()
    return CurlStation(read_enrolment(answer.content).station, key)


# --- curl, the floor -------------------------------------------------------------------


def curl_config(url: str, station: CurlStation, pages: list[Path]) -> list[str]:
    """curl config lines: for each page file a signed tus announce and one signed PATCH,
    every request in a block of its own (``next`` between blocks)."""
    blocks = []
    for page in pages:
        digest = hashlib.sha256(page.read_bytes()).digest()
        blocks.append(_request(url, station, "POST", "/blobs", hashlib.sha256(b"").digest(), {
            "Upload-Length": str(page.stat().st_size), "Tus-Resumable": "1.0.0",
            "Upload-Metadata": "sha256 " + base64.b64encode(digest.hex().encode()).decode()}))
        blocks.append(_request(url, station, "PATCH", f"/blobs/{digest.hex()}", digest, {
            "Upload-Offset": "0", "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": "sha256 " + base64.b64encode(digest).decode()}, page))
    return [line for n, block in enumerate(blocks) for line in (["next"] if n else []) + block]


def _request(url: str, station: CurlStation, method: str, path: str, body_sha256: bytes,
             headers: dict[str, str], body: Path | None = None) -> list[str]:
    message = Message(method, url + "/api/v1" + path, dict(headers))
    sign(message, station.station, station.key, body_sha256=body_sha256)
    headers = {**message.headers, "Expect": ""}
    return [f"url = {_quoted(message.url)}", f"request = {method}", "output = /dev/null",
            "write-out = \"%{http_code}\\n\"",
            f"data-binary = {_quoted('@' + str(body) if body else '')}",
            *(f"header = {_quoted(f'{name}: {value}' if value else name + ':')}"
              for name, value in headers.items())]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_curl(config: list[str], root: Path) -> float:
    """Seconds curl takes for ``config``; every answer must be 201 or 204."""
    path = root / "curl.conf"
    path.write_text("\n".join(config) + "\n", "utf-8")
    requests_made = sum(line.startswith("url = ") for line in config)
    started = time.perf_counter()
    done = subprocess.run(["curl", "--silent", "--show-error", "--config", str(path)],
                          check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    statuses = done.stdout.split()
    assert set(statuses) <= {"201", "204"} and len(statuses) == requests_made, \
        done.stdout[-500:]
    return seconds


# --- the engine, in a child process ----------------------------------------------------


@dataclass(frozen=True)
class Drain:
    seconds: float
    rounds: int
    sent: int
    pending: int
    peak_rss_mib: float


def drain_child(data_dir: str, url: str, max_rounds: int, out) -> None:  # noqa: ANN001
    """Run rounds until the queue is empty; send a Drain (run in a fresh process)."""
    with sessions.login(Path(data_dir), SETUP.login, SETUP.password) as session:
        side = StationSyncSide(session)
        engine = SyncEngine(side, Transport(TransportConfig(url)), SyncConfig())
        started, rounds, sent = time.perf_counter(), 0, 0
        while rounds < max_rounds and (rounds == 0 or side.pending()):
            sent += engine.run_round().sent
            rounds += 1
        seconds = time.perf_counter() - started
        engine.close()
        out.send(Drain(seconds, rounds, sent, len(side.pending()), _peak_rss_mib()))


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drain(data_dir: Path, url: str, max_rounds: int) -> Drain:
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    child = context.Process(target=drain_child, args=(str(data_dir), url, max_rounds, theirs))
    child.start()
    theirs.close()
    result = mine.recv()
    child.join()
    return result


# --- the interrupted drain -------------------------------------------------------------


@dataclass(frozen=True)
class Interrupted:
    drain: Drain
    cuts: int  # requests cut mid-body
    patched: int  # request-body bytes of every PATCH the station sent


def interrupted(data_dir: Path, url: str, uploads: int, cuts: int,
                rng: random.Random) -> Interrupted:
    """Drain through a proxy that cuts ``cuts`` PATCH requests, chosen at random among the
    first ``uploads``, mid-body."""
    chosen = set(rng.sample(range(1, uploads + 1), min(cuts, uploads)))
    patches = 0

    def planner(request):  # noqa: ANN001, ANN202
        nonlocal patches
        patches += request.method == "PATCH"
        if request.method == "PATCH" and patches in chosen:
            return faultproxy.Plan(faultproxy.Fault.DROP_MID_BODY)
        return faultproxy.Plan()

    with faultproxy.FaultProxy(int(url.rsplit(":", 1)[1]), planner) as proxy:
        result = drain(data_dir, proxy.url, max_rounds=cuts + 5)
    made = sum(plan.fault is faultproxy.Fault.DROP_MID_BODY for _r, plan in proxy.seen)
    patched = sum(r.body_size for r, _plan in proxy.seen if r.method == "PATCH")
    return Interrupted(result, made, patched)


# --- the run ---------------------------------------------------------------------------


def prepare(root: Path, sizes: list[list[int]]) -> tuple[Path, Path, CurlStation, Path, Path]:
    """The station and the township, enrolled, and copies of both for the second drain."""
    print(f"Generating {len(sizes)} cases, {sum(map(sum, sizes)) / MiB:.0f} MiB of pages...",
          flush=True)
    data_dir = make_station(root, sizes)
    township = root / "township"
    township_command(township, "init", "--name", "基准镇")
    codes = add_station(township, "bench-station"), add_station(township, "bench-curl")
    with served(township) as url:
        with sessions.login(data_dir, SETUP.login, SETUP.password) as session:
            enrol(session, url, codes[0])
        curl_station = enrol_curl_station(url, codes[1])
    copies = root / "station-copy", root / "township-copy"
    shutil.copytree(data_dir, copies[0])
    shutil.copytree(township, copies[1])
    return data_dir, township, curl_station, copies[0], copies[1]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line),
               platform.processor() or "unknown")
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout
    return (f"Machine: {os.cpu_count()} CPUs, {cpu}; Python {platform.python_version()}; "
            f"{curl.splitlines()[0]}")


def measure(root: Path, cases: int, megabytes: int, cuts: int) -> None:
    rng = random.Random(2026)
    sizes = page_sizes(cases, megabytes, rng)
    data_dir, township, curl_station, station_copy, township_copy = prepare(root, sizes)
    pages = stored_pages(data_dir)
    payload = sum(page.stat().st_size for page in pages)
    assert max(page.stat().st_size for page in pages) <= SyncConfig().chunk_size, \
        "a page file above one chunk: ask for more cases or fewer megabytes"
    with served(township) as url:
        config = curl_config(url, curl_station, pages)
        os.sync()
        curl = run_curl(config, root)
        os.sync()
        engine = drain(data_dir, url, max_rounds=3)
    with served(township_copy) as url:
        os.sync()
        cut = interrupted(station_copy, url, len(pages), cuts, rng)
    report(cases, pages, payload, curl, engine, cut)


def report(cases: int, pages: list[Path], payload: int, curl: float, engine: Drain,
           cut: Interrupted) -> None:
    print(machine())
    print(f"{cases} cases, {len(pages)} page files, {payload / MiB:.1f} MiB as stored")
    print("| run | seconds | MiB/s | rounds | sent | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| curl (floor) | {curl:.2f} | {payload / MiB / curl:.0f} | | | |")
    for label, run in (("engine", engine), (f"engine, {cut.cuts} cuts", cut.drain)):
        print(f"| {label} | {run.seconds:.2f} | {payload / MiB / run.seconds:.0f} | "
              f"{run.rounds} | {run.sent} | {run.peak_rss_mib:.0f} |")
    bound = payload + cut.cuts * SyncConfig().chunk_size
    print(f"engine / curl: {engine.seconds / curl:.2f} (target <= {TARGET_RATIO})")
    print(f"interrupted {cut.cuts} times: PATCH bytes {cut.patched:,} = payload {payload:,} "
          f"+ {cut.patched - payload:,}; bound payload + {cut.cuts} x chunk = {bound:,} "
          f"({'within' if cut.patched <= bound else 'OVER'})")
    peak = max(engine.peak_rss_mib, cut.drain.peak_rss_mib)
    print(f"peak RSS of the station: {peak:.0f} MiB (target < {TARGET_RSS_MB} MB)")
    assert engine.pending == cut.drain.pending == 0
    assert engine.sent == cut.drain.sent == cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--interruptions", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to make the temporary directory (default: the temp dir)")
    arguments = parser.parse_args()
    if arguments.cases < 1 or arguments.megabytes < 1 or arguments.interruptions < 0:
        parser.error("--cases and --megabytes must be at least 1")
    if shutil.which("curl") is None:
        parser.error("curl is needed for the baseline")
    with tempfile.TemporaryDirectory(prefix="bench-sync-", dir=arguments.dir) as folder:
        measure(Path(folder), arguments.cases, arguments.megabytes, arguments.interruptions)


if __name__ == "__main__":
    main()
