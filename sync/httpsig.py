"""HTTP Message Signatures (RFC 9421) on sync requests, with ``http-message-signatures``.

The station signs with its Ed25519 identity key: ``keyid`` = station id, tag
``village-sync``, ``created`` on the township's clock and a random ``nonce``, covering the
method, path, query, the ``Sync-Protocol`` header and, when there is a body, its
``Content-Digest`` (SHA-256, RFC 9530). The township verifies, checks the digest against the
body it read, refuses stale requests and remembers nonces to refuse replays
(``docs/protocol.md`` section 4).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from sync import fields
from sync.errors import SignatureError
from sync.signed import PROTOCOL_VERSION

TAG = "village-sync"
PROTOCOL_HEADER = "Sync-Protocol"
MAX_AGE = timedelta(seconds=300)
NONCE_WINDOW = timedelta(seconds=600)
_COVERED = ("@method", "@path", "@query", "sync-protocol")


@dataclass
class Message:
    """What a signature covers of a request: method, full URL and headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` header value of ``body``."""
    return digest_header(hashlib.sha256(body).digest())


def digest_header(sha256: bytes) -> str:
    return "sha-256=:" + base64.b64encode(sha256).decode("ascii") + ":"


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, private: Ed25519PrivateKey | None = None,
                 lookup: Callable[[str], Ed25519PublicKey | None] | None = None) -> None:
        self._private = private
        self._lookup = lookup

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        assert self._private is not None
        return self._private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        assert self._lookup is not None
        if not fields.STATION.fullmatch(key_id):
            return None
        return self._lookup(key_id)


def sign(
    message: Message,
    station: str,
    key: Ed25519PrivateKey,
    *,
    body_sha256: bytes | None = None,
    clock_offset: timedelta = timedelta(0),
) -> None:
    """Add ``Sync-Protocol``, ``Content-Digest`` (when ``body_sha256``), ``Signature-Input``
    and ``Signature`` to ``message.headers``. ``clock_offset`` = township time - ours."""
    message.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
    covered = _COVERED
    if body_sha256 is not None:
        message.headers["Content-Digest"] = digest_header(body_sha256)
        covered += ("content-digest",)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519,
                               key_resolver=_Keys(private=key))
    signer.sign(message, key_id=station, label="sig", tag=TAG,
                created=datetime.now(timezone.utc) + clock_offset,
                nonce=base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii"),
                covered_component_ids=covered, use_existing_digest=body_sha256 is not None)


@dataclass(frozen=True)
class Verified:
    station: str
    nonce: str
    created: datetime


def verify(
    message: Message,
    lookup: Callable[[str], Ed25519PublicKey | None],
    *,
    body_sha256: bytes | None,
    remember_nonce: Callable[[str, str, datetime], bool],
) -> Verified:
    """The station that signed ``message``; raise SignatureError for anything amiss.

    ``lookup`` gives an enrolled, unrevoked station's key (None otherwise);
    ``body_sha256`` is the digest of the body as read (None for no body);
    ``remember_nonce(station, nonce, created)`` stores a nonce and returns False when it
    was already there.
    """
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519,
                                   key_resolver=_Keys(lookup=lookup))
    verifier.max_clock_skew = MAX_AGE
    required = _COVERED + (("content-digest",) if body_sha256 is not None else ())
    try:
        # The library refuses created + max_age < now - skew: the skew alone is the bound.
        result = verifier.verify(message, max_age=timedelta(0), expect_tag=TAG,
                                 require_components=required)[0]
    except (InvalidSignature, HTTPMessageSignaturesException) as error:
        raise SignatureError(str(error)) from None
    headers = {k.lower(): v for k, v in message.headers.items()}
    if headers.get(PROTOCOL_HEADER.lower()) != str(PROTOCOL_VERSION):
        raise SignatureError("protocol header")
    if body_sha256 is not None and headers.get("content-digest") != digest_header(body_sha256):
        raise SignatureError("body does not match its digest")
    station = str(result.parameters["keyid"])
    nonce = result.nonce
    created = datetime.fromtimestamp(int(result.parameters["created"]), tz=timezone.utc)
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        raise SignatureError("nonce")
    if not remember_nonce(station, nonce, created.replace(tzinfo=None)):
        raise SignatureError("replayed")
    return Verified(station, nonce, created.replace(tzinfo=None))


def protocol_header(headers: Mapping[str, str]) -> str | None:
    """The ``Sync-Protocol`` header of a request, any case."""
    for name, value in headers.items():
        if name.lower() == PROTOCOL_HEADER.lower():
            return value
    return None
