"""Signed documents: canonical JSON with Ed25519 signatures, in the manner of TUF metadata.

A document is ``{"signatures": [{"keyid", "sig"}], "signed": {"_type": ..., "v": 1, ...}}``
in canonical JSON; the signature covers the canonical JSON of ``signed``. A reader accepts
only canonical bytes of the type it expects, signed by the key it expects
(``docs/protocol.md`` section 2).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from forms.release import canonical_json, key_id
from sync.errors import MalformedError, SignatureError

PROTOCOL_VERSION = 1
TYPE_PREFIX = "village-station/"
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024

__all__ = [
    "PROTOCOL_VERSION", "b64decode", "b64encode", "canonical_json", "key_id", "parse_json",
    "parse_time",
    "public_key_from_raw", "raw_public_key", "read", "sign", "time_text", "unverified",
]


def b64encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: Any, size: int | None = None) -> bytes:
    """Raise MalformedError for anything but unpadded base64url (of ``size`` bytes)."""
    if not isinstance(text, str) or "=" in text:
        raise MalformedError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise MalformedError("not base64url") from None
    if b64encode(data) != text or (size is not None and len(data) != size):
        raise MalformedError("wrong base64url value")
    return data


def time_text(moment: datetime) -> str:
    """UTC, ISO 8601 with Z, to the second (naive datetimes are UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def parse_time(text: Any) -> datetime:
    """The naive UTC datetime of a protocol time; MalformedError otherwise."""
    if not isinstance(text, str) or not text.endswith("Z") or len(text) != 20:
        raise MalformedError("bad time")
    try:
        return datetime.fromisoformat(text[:-1])
    except ValueError:
        raise MalformedError("bad time") from None


def raw_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """Raise MalformedError for anything but a 32-byte Ed25519 public key."""
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise MalformedError("bad public key") from None


def sign(doc_type: str, body: Mapping[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """The canonical bytes of a ``doc_type`` document holding ``body``, signed."""
    signed = {**body, "_type": TYPE_PREFIX + doc_type, "v": PROTOCOL_VERSION}
    signature = private_key.sign(canonical_json(signed))
    return canonical_json({
        "signed": signed,
        "signatures": [{"keyid": key_id(private_key.public_key()), "sig": signature.hex()}],
    })


def unverified(data: bytes, doc_type: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> dict[str, Any]:
    """The ``signed`` part of a well-formed ``doc_type`` document, NOT yet verified.

    For finding out who claims to have signed (a station id) before looking up the key.
    Raises MalformedError.
    """
    document = _parse(data, max_bytes)
    signed = document["signed"]
    if signed.get("_type") != TYPE_PREFIX + doc_type:
        raise MalformedError(f"expected a {doc_type} document")
    if signed.get("v") != PROTOCOL_VERSION:
        raise MalformedError("unsupported document version")
    return signed


def read(
    data: bytes, doc_type: str, public_key: Ed25519PublicKey, max_bytes: int = MAX_DOCUMENT_BYTES
) -> dict[str, Any]:
    """The ``signed`` part of ``data`` once it verifies as a ``doc_type`` by ``public_key``.

    Raises MalformedError or SignatureError.
    """
    signed = unverified(data, doc_type, max_bytes)
    signatures = json.loads(data)["signatures"]
    wanted = key_id(public_key)
    ours = [s for s in signatures if isinstance(s, Mapping) and s.get("keyid") == wanted]
    if not ours:
        raise SignatureError("not signed by the expected key")
    signature = ours[0].get("sig")
    try:
        public_key.verify(bytes.fromhex(signature), canonical_json(signed))
    except (InvalidSignature, ValueError, TypeError):
        raise SignatureError("signature does not verify") from None
    return signed


def parse_json(data: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN. Raises MalformedError."""
    try:
        return json.loads(bytes(data).decode("utf-8"), object_pairs_hook=_unique_keys,
                          parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError):
        raise MalformedError("not JSON") from None


def _parse(data: bytes, max_bytes: int) -> dict[str, Any]:
    if not isinstance(data, (bytes, bytearray)) or len(data) > max_bytes:
        raise MalformedError("not a document or too large")
    document = parse_json(data)
    if (not isinstance(document, dict) or set(document) != {"signed", "signatures"}
            or not isinstance(document["signed"], dict)
            or not isinstance(document["signatures"], list)):
        raise MalformedError("not a signed document")
    if canonical_json(document) != bytes(data):
        raise MalformedError("not canonical")
    return document


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(name)
