"""An HTTP proxy on 127.0.0.1 that misbehaves on purpose, between a station and a township.

Each request is read whole from the client (headers, and a body of ``Content-Length``
bytes), then a plan decides its fate: pass it on, drop the connection before answering,
forward only part of the body and drop, answer an error status without forwarding, wait
first, cut the upstream answer short, or answer like a captive portal. One request per
connection (``Connection: close``), so every fault is one request's fate.

``FaultProxy.body_bytes`` counts the request-body bytes the client sent, which is what a
station pays on a metered link.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Fault(Enum):
    PASS = "pass"
    DROP = "drop"  # read the request, close without an answer (nothing forwarded)
    DROP_MID_BODY = "drop_mid_body"  # forward the headers and half the body, then close
    STATUS = "status"  # answer ``status`` without forwarding
    DELAY = "delay"  # wait ``seconds``, then pass
    TRUNCATE = "truncate"  # forward, pass on half of the answer, close
    PORTAL = "portal"  # 200 text/html, like a hotel or village Wi-Fi login page


@dataclass(frozen=True)
class Plan:
    fault: Fault = Fault.PASS
    status: int = 503
    seconds: float = 0.0


@dataclass(frozen=True)
class Request:
    index: int
    method: str
    path: str
    body_size: int


Planner = Callable[[Request], Plan]
PORTAL_PAGE = (b"<html><head><title>Wi-Fi</title></head>"
               b"<body>Please log in to continue.</body></html>")


def always_pass(_request: Request) -> Plan:
    return Plan()


class FaultProxy:
    """Start with ``with FaultProxy(upstream_port, planner) as proxy:``; ``proxy.url``."""

    def __init__(self, upstream_port: int, planner: Planner = always_pass,
                 upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.planner = planner
        self.seen: list[tuple[Request, Plan]] = []
        self.body_bytes = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, client: socket.socket) -> None:
        head, body = _read_request(client)
        if head is None:
            return
        method, path = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
        with self._lock:
            self.body_bytes += len(body)
            request = Request(len(self.seen), method, path, len(body))
            plan = self.planner(request)
            self.seen.append((request, plan))
        self._act(plan, client, head, body)

    def _act(self, plan: Plan, client: socket.socket, head: bytes, body: bytes) -> None:
        if plan.fault is Fault.DROP:
            return
        if plan.fault is Fault.STATUS:
            client.sendall(_answer(plan.status, b'{"error":"proxy"}', b"application/json"))
            return
        if plan.fault is Fault.PORTAL:
            client.sendall(_answer(200, PORTAL_PAGE, b"text/html"))
            return
        if plan.fault is Fault.DELAY:
            time.sleep(plan.seconds)
        with socket.create_connection(self.upstream) as upstream:
            if plan.fault is Fault.DROP_MID_BODY:
                upstream.sendall(head + body[: len(body) // 2])
                time.sleep(0.05)
                return
            upstream.sendall(head + body)
            answer = _read_all(upstream)
        if plan.fault is Fault.TRUNCATE:
            answer = answer[: max(1, len(answer) // 2)]
        client.sendall(answer)


def _read_request(client: socket.socket) -> tuple[bytes | None, bytes]:
    """The request head (with ``Connection: close`` forced) and its body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith(b"connection:")]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = client.recv(min(1 << 20, length - len(body)))
        if not chunk:
            break
        body += chunk
    return b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n", body


def _read_all(upstream: socket.socket) -> bytes:
    parts = []
    while chunk := upstream.recv(65536):
        parts.append(chunk)
    return b"".join(parts)


def _answer(status: int, body: bytes, media_type: bytes) -> bytes:
    return (b"HTTP/1.1 %d Proxy\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % (status, media_type, len(body))) + body
