"""The misbehaving proxy does what the fault tests rely on (a contract test of the tool)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
import requests

from tests.sync.faultproxy import PORTAL_PAGE, Fault, FaultProxy, Plan


class _Echo(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Echo.received.append(body)
        answer = b"got " + str(len(body)).encode() + b" " * 1000
        self.send_response(201)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    _Echo.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _post(proxy: FaultProxy, size: int = 10_000) -> requests.Response:
    return requests.post(proxy.url + "/x", data=b"a" * size, timeout=5)


def test_pass_forwards_and_counts_body_bytes(upstream: int) -> None:
    with FaultProxy(upstream) as proxy:
        answer = _post(proxy)
    assert answer.status_code == 201 and answer.content.startswith(b"got 10000")
    assert proxy.body_bytes == 10_000 and _Echo.received == [b"a" * 10_000]


def test_status_and_portal_never_reach_upstream(upstream: int) -> None:
    plans = iter([Plan(Fault.STATUS, status=502), Plan(Fault.PORTAL)])
    with FaultProxy(upstream, lambda _r: next(plans)) as proxy:
        assert _post(proxy).status_code == 502
        portal = _post(proxy)
    assert portal.status_code == 200 and portal.content == PORTAL_PAGE
    assert _Echo.received == []


def test_drop_and_drop_mid_body_break_the_connection(upstream: int) -> None:
    plans = iter([Plan(Fault.DROP), Plan(Fault.DROP_MID_BODY)])
    with FaultProxy(upstream, lambda _r: next(plans)) as proxy:
        for _ in range(2):
            with pytest.raises(requests.ConnectionError):
                _post(proxy)
    assert [len(body) for body in _Echo.received] == [5_000]  # half a body, then the end


def test_truncate_cuts_the_answer_short(upstream: int) -> None:
    with FaultProxy(upstream, lambda _r: Plan(Fault.TRUNCATE)) as proxy:
        with pytest.raises(requests.exceptions.RequestException):
            _post(proxy)
    assert len(_Echo.received) == 1
