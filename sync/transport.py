"""The station's HTTP client for the sync protocol (``docs/protocol.md`` section 4).

Every public method makes one request, enforces a size limit on the answer and returns a
typed result, or raises one of two errors: :class:`TransportError` when the township could
not be reached or did not answer as the protocol says (retry later: connection, timeout,
TLS, 429, 5xx, a captive portal's page), and :class:`RefusedError` when it answered with
one of the protocol's error codes. Requests are signed with the station key (RFC 9421) on
the township's clock, learnt from ``hello``. Blob chunks go out as they are read; no whole
page file is held in memory.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from forms.i18n import _
from sync import httpsig
from sync.errors import MalformedError, SyncError
from sync.signed import PROTOCOL_VERSION, canonical_json, parse_json, parse_time

API_PATH = "/api/v1"
TUS_VERSION = "1.0.0"
_READ_BLOCK = 64 * 1024


@dataclass(frozen=True)
class TransportConfig:
    """Where the township is and the limits of talking to it."""

    base_url: str
    ca_bundle: Path | None = None
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    max_answer_bytes: int = 16 * 1024 * 1024
    max_file_bytes: int = 512 * 1024 * 1024


class TransportError(SyncError):
    """The township could not be reached or its answer is not what the protocol says;
    retry later. ``code`` names the failure for logs and for the words shown."""

    def __init__(self, code: str) -> None:
        super().__init__(_("The township could not be reached; the station will try again."))
        self.code = code


class RefusedError(SyncError):
    """The township answered with an error code of the protocol (``code``), with the HTTP
    ``status``, the answer's other fields and, for blob uploads, its ``offset``."""

    def __init__(self, status: int, code: str, fields: Mapping[str, Any],
                 offset: int | None = None) -> None:
        super().__init__(_("The township refused a sync request."))
        self.status = status
        self.code = code
        self.fields = dict(fields)
        self.offset = offset


@dataclass(frozen=True)
class Hello:
    protocols: tuple[int, ...]
    server_time: datetime
    township: str


@dataclass(frozen=True)
class EventsPage:
    """Signed event documents as canonical bytes, the cursor to ask after next, and
    whether more are waiting."""

    events: tuple[bytes, ...]
    next: int
    more: bool


@dataclass(frozen=True)
class LedgerAnswer:
    through: int
    missing: tuple[int, ...]
    mismatched: tuple[int, ...]


@dataclass
class _Signer:
    station: str
    key: Ed25519PrivateKey = field(repr=False)


class Transport:
    """One township, over HTTPS (or HTTP on a test loopback)."""

    def __init__(self, config: TransportConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.clock_offset = timedelta(0)
        self._base = _api_base(config.base_url)
        self._http = session or requests.Session()
        self._http.verify = str(config.ca_bundle) if config.ca_bundle else True
        self._signer: _Signer | None = None

    def identify(self, station: str, key: Ed25519PrivateKey) -> None:
        """Sign every later request (but ``hello`` and ``enrol``) as ``station``."""
        self._signer = _Signer(station, key)

    def close(self) -> None:
        self._http.close()

    def hello(self) -> Hello:
        """The township's protocols and clock; learns the clock offset used for signing.

        Raises TransportError.
        """
        body = self._json(self._request("GET", "/hello", signed=False), {200})
        try:
            protocols = tuple(int(v) for v in body["protocol"])
            hello = Hello(protocols, parse_time(body["server_time"]), str(body["township"]))
        except (KeyError, TypeError, ValueError, MalformedError):
            raise TransportError("unexpected_answer") from None
        self.clock_offset = hello.server_time - _utc_now()
        return hello

    def enrol(self, answer: Mapping[str, Any]) -> bytes:
        """POST the enrolment request; the signed answer's bytes. Raises TransportError,
        RefusedError (``enrolment_refused``)."""
        response = self._request("POST", "/enrol", body=canonical_json(dict(answer)),
                                 signed=False)
        return self._body(response, {201})

    def create_blob(self, sha256: str, size: int) -> int:
        """Announce an upload (tus creation); the offset the township already holds: 0 for
        a new upload, the size for a complete one, what arrived for an interrupted one."""
        metadata = "sha256 " + base64.b64encode(sha256.encode("ascii")).decode("ascii")
        headers = _tus({"Upload-Length": str(size), "Upload-Metadata": metadata})
        response = self._request("POST", "/blobs", headers=headers, body=b"")
        self._body(response, {201})
        return _offset(response)

    def upload_chunk(self, sha256: str, offset: int, chunk: bytes) -> int:
        """Send ``chunk`` at ``offset``; the township's new offset.

        Raises RefusedError (``offset_mismatch`` with the township's offset,
        ``checksum_mismatch``, ``blob_digest_mismatch``, 413) or TransportError.
        """
        digest = hashlib.sha256(chunk).digest()  # one hash for the checksum and the signature
        checksum = base64.b64encode(digest).decode("ascii")
        headers = _tus({"Upload-Offset": str(offset), "Upload-Checksum": f"sha256 {checksum}",
                        "Content-Type": "application/offset+octet-stream"})
        response = self._request("PATCH", f"/blobs/{sha256}", headers=headers, body=chunk,
                                 body_sha256=digest)
        self._body(response, {204})
        return _offset(response)

    def post_envelope(self, data: bytes) -> bytes:
        """The answer's bytes for 200/201 (meant to be a receipt: the caller verifies).

        Raises RefusedError (409, 412, 422, ...) or TransportError.
        """
        return self._body(self._request("POST", "/envelopes", body=data), {200, 201})

    def events(self, after: int, limit: int) -> EventsPage:
        """One page of events after cursor ``after``. Raises TransportError, RefusedError."""
        body = self._json(self._request("GET", "/events", query={"after": after,
                                                                 "limit": limit}), {200})
        try:
            events = tuple(canonical_json(event) for event in body["events"])
            page = EventsPage(events, int(body["next"]), body["more"])
        except (KeyError, TypeError, ValueError):
            raise TransportError("unexpected_answer") from None
        if not isinstance(page.more, bool) or not all(isinstance(e, dict)
                                                        for e in body["events"]):
            raise TransportError("unexpected_answer")
        return page

    def heartbeat(self, facts: Mapping[str, Any]) -> datetime:
        """Report the station's health; the township's time."""
        body = self._json(self._request("POST", "/heartbeat", body=canonical_json(dict(facts))),
                          {200})
        try:
            return parse_time(body["server_time"])
        except (KeyError, MalformedError):
            raise TransportError("unexpected_answer") from None

    def ledger(self, data: bytes) -> LedgerAnswer:
        """Report the signed ledger; what the township lacks or holds otherwise."""
        body = self._json(self._request("POST", "/ledger", body=data), {200})
        try:
            return LedgerAnswer(_seq(body["through"], zero=True), _seqs(body["missing"]),
                                _seqs(body["mismatched"]))
        except (KeyError, TypeError, ValueError):
            raise TransportError("unexpected_answer") from None

    def update_root(self) -> bytes:
        """The signed ``update_root`` document's bytes (the caller verifies). Raises
        RefusedError (404 ``no_update_repository``) or TransportError."""
        return self._body(self._request("GET", "/updates/root"), {200})

    @property
    def update_url(self) -> str:
        """Where the township serves its app-update (TUF) repository."""
        return self._base[: -len(API_PATH)] + "/tuf"

    @contextmanager
    def download(self, file_id: str, sha256: str, size: int) -> Iterator[_Download]:
        """A reader of result file ``file_id`` that checks its size and SHA-256 as it goes
        and raises TransportError (``file_mismatch``) at the end when they differ."""
        if size > self.config.max_file_bytes:
            raise TransportError("file_too_large")
        response = self._request("GET", f"/files/{file_id}")
        try:
            if response.status_code != 200:
                self._body(response, {200})
            yield _Download(response, sha256, size)
        finally:
            response.close()

    def _request(self, method: str, path: str, *, body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, query: Mapping[str, Any] | None = None,
                 signed: bool = True, body_sha256: bytes | None = None) -> requests.Response:
        """``body_sha256``: the body's digest when the caller has it already."""
        url = self._base + path
        if query:
            url += "?" + "&".join(f"{name}={value}" for name, value in query.items())
        message = httpsig.Message(method, url, dict(headers or {}))
        message.headers[httpsig.PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
        if body is not None:
            message.headers.setdefault("Content-Type", "application/json")
        if signed:
            self._sign(message, body, body_sha256)
        try:
            return self._http.request(method, url, data=body, headers=message.headers,
                                      stream=True, allow_redirects=False,
                                      timeout=(self.config.connect_timeout,
                                               self.config.read_timeout))
        except requests.exceptions.SSLError:
            raise TransportError("tls") from None
        except requests.exceptions.Timeout:
            raise TransportError("timeout") from None
        except requests.exceptions.RequestException:
            raise TransportError("connection") from None

    def _sign(self, message: httpsig.Message, body: bytes | None,
              body_sha256: bytes | None = None) -> None:
        if self._signer is None:
            raise TransportError("not_enrolled")
        httpsig.sign(message, self._signer.station, self._signer.key,
                     body_sha256=body_sha256 or hashlib.sha256(body or b"").digest(),
                     clock_offset=self.clock_offset)

    def _body(self, response: requests.Response, expected: set[int]) -> bytes:
        """The answer's bytes when its status is expected; raise the typed error otherwise."""
        try:
            data = _read_limited(response, self.config.max_answer_bytes)
        finally:
            response.close()
        if response.status_code in expected:
            return data
        raise _error(response, data)

    def _json(self, response: requests.Response, expected: set[int]) -> dict[str, Any]:
        data = self._body(response, expected)
        try:
            body = parse_json(data)
        except MalformedError:
            raise TransportError("unexpected_answer") from None
        if not isinstance(body, dict):
            raise TransportError("unexpected_answer")
        return body


class _Download:
    """Reads a result file's bytes, checking size and digest; raises TransportError."""

    def __init__(self, response: requests.Response, sha256: str, size: int) -> None:
        self._chunks = response.iter_content(_READ_BLOCK)
        self._hash = hashlib.sha256()
        self._expected = (sha256, size)
        self._size = 0
        self._buffer = b""
        self._done = False

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buffer) < n):
            self._pull()
        if n < 0:
            n = len(self._buffer)
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _pull(self) -> None:
        try:
            chunk = next(self._chunks, b"")
        except requests.exceptions.RequestException:
            raise TransportError("connection") from None
        if not chunk:
            self._done = True
            if (self._hash.hexdigest(), self._size) != self._expected:
                raise TransportError("file_mismatch")
            return
        self._size += len(chunk)
        if self._size > self._expected[1]:
            raise TransportError("file_mismatch")
        self._hash.update(chunk)
        self._buffer += chunk


def _api_base(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith(API_PATH) else base + API_PATH


def _tus(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **(headers or {})}


def _read_limited(response: requests.Response, limit: int) -> bytes:
    parts, size = [], 0
    try:
        for chunk in response.iter_content(_READ_BLOCK):
            size += len(chunk)
            if size > limit:
                raise TransportError("answer_too_large")
            parts.append(chunk)
    except requests.exceptions.RequestException:
        raise TransportError("connection") from None
    return b"".join(parts)


def _error(response: requests.Response, data: bytes) -> SyncError:
    """The typed error for an answer whose status was not expected."""
    status = response.status_code
    if status == 429 or status >= 500:
        return TransportError("rate_limited" if status == 429 else "server_error")
    try:
        body = parse_json(data)
    except MalformedError:
        body = None
    if 400 <= status < 500 and isinstance(body, dict) and isinstance(body.get("error"), str):
        offset = response.headers.get("Upload-Offset")
        fields = {k: v for k, v in body.items() if k not in ("error", "message")}
        return RefusedError(status, body["error"], fields,
                            int(offset) if offset and offset.isdigit() else None)
    return TransportError("unexpected_answer")


def _offset(response: requests.Response) -> int:
    value = response.headers.get("Upload-Offset", "")
    if not value.isdigit():
        raise TransportError("unexpected_answer")
    return int(value)


def _seq(value: Any, zero: bool = False) -> int:
    if type(value) is not int or value < (0 if zero else 1):
        raise ValueError("bad sequence")
    return value


def _seqs(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError("bad sequences")
    return tuple(_seq(v) for v in value)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
