"""Envelopes: one signed, sealed revision of one case (``docs/protocol.md`` section 3)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync import fields
from sync import signed as documents
from sync.errors import MalformedError, SealError
from sync.seal import SealingKey, seal

DOC_TYPE = "envelope"
KINDS = ("submission", "withdrawal", "delivery", "evaluation", "materials")
MAX_ENVELOPE_BYTES = 8 * 1024 * 1024
_INFO = b"village-station envelope v1\x00"


@dataclass(frozen=True)
class BlobRef:
    """A page file as uploaded: the SHA-256 of its bytes and their number."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Header:
    """What an envelope says about itself, outside the sealed content."""

    station: str
    seq: int
    case: str
    revision: int
    kind: str
    created_at: datetime
    blobs: tuple[BlobRef, ...]


@dataclass(frozen=True)
class Envelope:
    """A verified envelope: its header, its bytes and their digest."""

    header: Header
    suite: str
    sealed_to: str
    sealed: bytes
    data: bytes

    @property
    def digest(self) -> str:
        return digest(self.data)


def digest(data: bytes) -> str:
    """The SHA-256 of an envelope's canonical bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def build(
    header: Header,
    content: Mapping[str, Any],
    *,
    suite: str,
    sealing_key: bytes,
    station_key: Ed25519PrivateKey,
) -> bytes:
    """The signed envelope bytes of ``header`` with ``content`` sealed to ``sealing_key``."""
    body = _header_json(header)
    body.update(suite=suite, sealed_to=_key_id(sealing_key))
    sealed = seal(documents.canonical_json(content), suite, sealing_key, _info(body))
    body["sealed"] = documents.b64encode(sealed)
    return documents.sign(DOC_TYPE, body, station_key)


def station_of(data: bytes) -> str:
    """The station an envelope claims to come from (not verified). Raises MalformedError."""
    station = documents.unverified(data, DOC_TYPE, MAX_ENVELOPE_BYTES).get("station")
    if not isinstance(station, str) or not fields.STATION.fullmatch(station):
        raise MalformedError("bad station id")
    return station


def verify(data: bytes, station_key: Ed25519PublicKey) -> Envelope:
    """The envelope ``data`` once signed by ``station_key`` and well formed.

    Raises MalformedError or SignatureError.
    """
    body = documents.read(data, DOC_TYPE, station_key, MAX_ENVELOPE_BYTES)
    fields.exact(body, {"station", "seq", "case", "revision", "kind", "created_at", "blobs",
                        "suite", "sealed_to", "sealed"}, "envelope")
    header = Header(
        station=fields.match(body["station"], fields.STATION, "station"),
        seq=fields.positive(body["seq"], "seq"),
        case=fields.match(body["case"], fields.UUID, "case"),
        revision=fields.positive(body["revision"], "revision"),
        kind=fields.choice(body["kind"], KINDS, "kind"),
        created_at=documents.parse_time(body["created_at"]),
        blobs=_blobs(body["blobs"]),
    )
    return Envelope(header, fields.text(body["suite"], "suite"),
                    fields.match(body["sealed_to"], fields.HEX64, "sealed_to"),
                    documents.b64decode(body["sealed"]), bytes(data))


def open_content(envelope: Envelope, key: SealingKey) -> dict[str, Any]:
    """The sealed case content. Raises SealError (wrong key, altered) or MalformedError."""
    if envelope.suite != key.suite or envelope.sealed_to != _key_id(key.public_bytes()):
        raise SealError("sealed to another key or suite")
    body = _header_json(envelope.header)
    body.update(suite=envelope.suite, sealed_to=envelope.sealed_to)
    plain = key.open(envelope.sealed, _info(body))
    content = documents.parse_json(plain)
    if not isinstance(content, dict):
        raise MalformedError("content is not an object")
    return content


def _header_json(header: Header) -> dict[str, Any]:
    blobs = sorted({(b.sha256, b.size) for b in header.blobs})
    return {
        "station": header.station, "seq": header.seq, "case": header.case,
        "revision": header.revision, "kind": header.kind,
        "created_at": documents.time_text(header.created_at),
        "blobs": [{"sha256": sha, "size": size} for sha, size in blobs],
        "_type": documents.TYPE_PREFIX + DOC_TYPE, "v": documents.PROTOCOL_VERSION,
    }


def _info(body: Mapping[str, Any]) -> bytes:
    return _INFO + documents.canonical_json({k: v for k, v in body.items() if k != "sealed"})


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _blobs(value: Any) -> tuple[BlobRef, ...]:
    if not isinstance(value, list):
        raise MalformedError("blobs")
    refs = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"sha256", "size"}:
            raise MalformedError("blob entry")
        refs.append(BlobRef(fields.match(item["sha256"], fields.HEX64, "blob digest"),
                            fields.positive(item["size"], "blob size", zero=True)))
    if [r.sha256 for r in refs] != sorted({r.sha256 for r in refs}):
        raise MalformedError("blobs not sorted or repeated")
    return tuple(refs)
