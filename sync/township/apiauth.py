"""What every API request goes through before its route: the protocol version (426), the
body read within a size limit (413), and the station's HTTP Message Signature (401)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sync.errors import SignatureError
from sync.httpsig import Message, verify
from sync.signed import PROTOCOL_VERSION
from sync.township.config import Limits
from sync.township.errors import (
    ClientGoneError,
    ProtocolUnsupportedError,
    SignatureInvalidError,
    TooLargeError,
)
from sync.township.service import Township


T = TypeVar("T")


async def call(platform: Township, function: Callable[..., T], *args: Any) -> T:
    """Run a service call in a worker thread, on a database connection taken for it and
    given back after (from PostgreSQL's pool, checked alive when taken: a restarted
    PostgreSQL costs a new connection, not a stuck thread)."""

    def run() -> T:
        with platform.context.database.connection_context():
            return function(*args)

    return await run_in_threadpool(run)


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature verified: the station that made it and the body read."""

    station: str
    body: bytes


def township(request: Request) -> Township:
    return request.app.state.township


async def protocol(
    sync_protocol: str | None = Header(None, alias="Sync-Protocol",
                                       description="The protocol version, 1."),
) -> None:
    """Raise ProtocolUnsupportedError unless the request speaks version 1."""
    if sync_protocol != str(PROTOCOL_VERSION):
        raise ProtocolUnsupportedError([PROTOCOL_VERSION])


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with TooLargeError past ``limit`` bytes (never read beyond);
    ClientGoneError when the client hangs up before it is complete."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError("request body too large")
    parts, size = [], 0
    try:
        async for part in request.stream():
            size += len(part)
            if size > limit:
                raise TooLargeError("request body too large")
            parts.append(part)
    except ClientDisconnect:
        raise ClientGoneError("the connection closed before the body arrived") from None
    return b"".join(parts)


def signed(limit: Callable[[Limits], int]) -> Callable[..., Awaitable[SignedRequest]]:
    """A dependency that reads the body within ``limit`` and verifies the signature."""

    async def dependency(  # the unused headers are declared for the OpenAPI document
        request: Request,
        signature: str | None = Header(None, description="RFC 9421 signature, Ed25519"),
        signature_input: str | None = Header(
            None, alias="Signature-Input",
            description='keyid = station id, tag "village-sync", created, nonce'),
    ) -> SignedRequest:
        platform = township(request)
        body = await read_body(request, limit(platform.limits))
        station = await call(platform, _authenticate, platform, request, body)
        return SignedRequest(station, body)

    return dependency


def _authenticate(platform: Township, request: Request, body: bytes) -> str:
    """The station that signed ``request``. Raises SignatureInvalidError."""
    message = Message(request.method, _signed_url(request), dict(request.headers))
    has_digest = "content-digest" in request.headers
    body_sha256 = hashlib.sha256(body).digest() if body or has_digest else None
    try:
        return verify(message, platform.stations.public_key, body_sha256=body_sha256,
                      remember_nonce=platform.stations.remember_nonce).station
    except SignatureError as error:
        raise SignatureInvalidError(error.reason) from None


def _signed_url(request: Request) -> str:
    """The request's URL with its path as sent (``@path`` is signed undecoded)."""
    raw_path = request.scope.get("raw_path")
    if not raw_path:
        return str(request.url)
    return str(request.url.replace(path=raw_path.decode("latin-1")))


SMALL = signed(lambda limits: limits.max_json)
CHUNK = signed(lambda limits: limits.max_chunk)
ENVELOPE = signed(lambda limits: limits.max_envelope)
LEDGER = signed(lambda limits: limits.max_ledger)
