"""A real township on 127.0.0.1 for tests: uvicorn in a thread, on a free port.

Other suites use it too (the station's sync engine tests)::

    with running_township(tmp_path) as township:
        code = township.add_station("Village A")     # NewCode: .station, .code
        ... POST township.api + "/enrol" ...
        township.service.decisions.accept(code.station, case_uuid)

One township is open per process (the models share one database proxy).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import uvicorn

from sync.township.api import PREFIX, create_app
from sync.township.config import Clock, Limits, utc_now
from sync.township.keys import KdfParams
from sync.township.service import Township, init_township, open_township
from sync.township.stations import NewCode

PASSPHRASE = "correct horse battery staple"
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)


class MovableClock:
    """The real clock plus an offset that tests move (an enrolment code expiring)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@dataclass
class RunningTownship:
    """A township being served: ``url`` is its root, ``api`` the protocol's base URL."""

    url: str
    service: Township
    data_dir: Path
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def api(self) -> str:
        return self.url + PREFIX

    def add_station(self, name: str = "Village station") -> NewCode:
        """A new station and its one-time enrolment code."""
        return self.service.stations.add(name)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join()
        self.service.close()


def create_township(data_dir: Path, *, database: str | None = None, name: str = "Test township",
                    clock: Clock = utc_now, limits: Limits = Limits()) -> Township:
    """Initialise (cheap KDF) and open a township in ``data_dir``."""
    init_township(data_dir, PASSPHRASE, name, database=database, kdf=CHEAP_KDF)
    return open_township(data_dir, PASSPHRASE, clock=clock, limits=limits)


def serve(service: Township, data_dir: Path) -> RunningTownship:
    """Serve ``service`` on a free loopback port until ``stop``."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # without it every answer on a kept-alive connection waits 40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(service), log_level="warning", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the township server did not start")
        time.sleep(0.01)
    return RunningTownship(f"http://127.0.0.1:{port}", service, data_dir, server, thread)


@contextmanager
def running_township(data_dir: Path, **options: object) -> Iterator[RunningTownship]:
    """A township created in ``data_dir`` and served for the ``with`` block."""
    running = serve(create_township(data_dir, **options), data_dir)  # type: ignore[arg-type]
    try:
        yield running
    finally:
        running.stop()
