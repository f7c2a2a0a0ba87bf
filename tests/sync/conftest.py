"""Fixtures of the sync engine's tests: a real station (SQLCipher store, page files), a
real township served on 127.0.0.1, and a tiny HTTP server in between that can play a
captive portal or cut an upload short."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
import requests

from station.enrolment import enrol
from station.models import Case
from station.syncside import StationSyncSide
from sync.engine import SyncConfig, SyncEngine
from sync.transport import Transport, TransportConfig
from tests.station.conftest import (  # noqa: F401 - fixtures shared with the station suite
    COMPLETE_ANSWERS,
    applicant,
    clock,
    matter,
    session,
    station_dir,
)
from tests.township.server import RunningTownship, running_township

# Small chunks so that small page files still travel in several chunks.
CONFIG = SyncConfig(chunk_size=16 * 1024)
# (method, path, body) -> None to pass the request on, or (status, headers, body) to answer.
Rule = Callable[[str, str, bytes], "tuple[int, dict[str, str], bytes] | None"]


@pytest.fixture
def township(tmp_path: Path) -> Iterator[RunningTownship]:
    with running_township(tmp_path / "township") as running:
        yield running


@pytest.fixture
def enrolled(session, township: RunningTownship):  # noqa: ANN201
    """The station's session, enrolled with ``township``."""
    enrol(session, township.url, township.add_station("Village A").code)
    return session


@pytest.fixture
def pages(tmp_path: Path) -> list[Path]:
    """Two small scans (a JPEG and a PNG by their first bytes), 40 KB each."""
    heads = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n"]
    paths = []
    for n, head in enumerate(heads):
        path = tmp_path / f"page{n}"
        path.write_bytes(head + bytes(range(256)) * 160 + bytes([n]))
        paths.append(path)
    return paths


def queue_case(session, matter, applicant, pages: list[Path]) -> Case:  # noqa: ANN001
    """A submitted case with ``pages`` as its ID card, the household register deferred."""
    case = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(case.uuid, "id_card", pages)
    session.materials.defer(case.uuid, "hukou", date(2026, 12, 1))
    return session.cases.submit(case.uuid, matter)


def engine_at(session, url: str, config: SyncConfig = CONFIG) -> SyncEngine:  # noqa: ANN001
    """An engine for ``session`` talking to ``url`` (the township, or a server in front)."""
    return SyncEngine(StationSyncSide(session), Transport(TransportConfig(url)), config)


@dataclass
class Relay:
    """An HTTP server that answers by ``rule`` or passes requests on to ``target``; it
    records what it passed on as (method, path, body size)."""

    target: str
    rule: Rule
    passed: list[tuple[str, str, int]] = field(default_factory=list)
    url: str = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        size = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(size) if size else b""
        answer = self.rule(handler.command, handler.path, body)
        if answer is None:
            answer = self._pass_on(handler, body)
        status, headers, content = answer
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def _pass_on(self, handler: BaseHTTPRequestHandler, body: bytes
                 ) -> tuple[int, dict[str, str], bytes]:
        self.passed.append((handler.command, handler.path, len(body)))
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
        answer = requests.request(handler.command, self.target + handler.path, data=body,
                                  headers=headers, allow_redirects=False)
        kept = {k: v for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                     "content-encoding", "date", "server")}
        return answer.status_code, kept, answer.content


def relay_handler(relay: Handling) -> type[BaseHTTPRequestHandler]:
    """An http.server handler passing every GET, POST and PATCH to ``relay.handle``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's names
            relay.handle(self)

        do_POST = do_PATCH = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            return

    return Handler


class Handling(Protocol):
    """What a relay server serves: it answers each request and learns its own URL."""

    url: str

    def handle(self, handler: BaseHTTPRequestHandler) -> None: ...


R = TypeVar("R", bound=Handling)


def serve_relay(relay: R, servers: list[ThreadingHTTPServer]) -> R:
    """Serve ``relay`` on a free port of 127.0.0.1 (its ``url`` set), its server added to
    ``servers`` for the caller to shut down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), relay_handler(relay))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    relay.url = f"http://127.0.0.1:{server.server_address[1]}"
    return relay


@pytest.fixture
def relay(township: RunningTownship) -> Iterator[Callable[[Rule], Relay]]:
    """Start relays in front of ``township``; each is stopped at the end of the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(rule: Rule) -> Relay:
        return serve_relay(Relay(township.url, rule), servers)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
