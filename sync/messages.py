"""Receipts, events, enrolment answers, ledgers and the update trust root
(``docs/protocol.md`` sections 3-9).

Each has a ``make_*`` that the township (or for ledgers the station) signs with, and a
``read_*`` that verifies and checks every field, raising MalformedError or SignatureError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync import fields
from sync import signed as documents
from sync.errors import MalformedError
from sync.seal import public_key_object

EVENT_KINDS = ("accepted", "returned", "refused", "completed", "message", "resend", "catalog")


@dataclass(frozen=True)
class Receipt:
    station: str
    seq: int
    case: str
    revision: int
    envelope_sha256: str
    received_at: datetime
    township_number: str


def make_receipt(receipt: Receipt, key: Ed25519PrivateKey) -> bytes:
    return documents.sign("receipt", {
        "station": receipt.station, "seq": receipt.seq, "case": receipt.case,
        "revision": receipt.revision, "envelope_sha256": receipt.envelope_sha256,
        "received_at": documents.time_text(receipt.received_at),
        "township_number": receipt.township_number,
    }, key)


def read_receipt(data: bytes, key: Ed25519PublicKey) -> Receipt:
    body = fields.exact(documents.read(data, "receipt", key),
                        {"station", "seq", "case", "revision", "envelope_sha256",
                         "received_at", "township_number"}, "receipt")
    return Receipt(
        fields.match(body["station"], fields.STATION, "station"),
        fields.positive(body["seq"], "seq"), fields.match(body["case"], fields.UUID, "case"),
        fields.positive(body["revision"], "revision"),
        fields.match(body["envelope_sha256"], fields.HEX64, "envelope digest"),
        documents.parse_time(body["received_at"]),
        fields.text(body["township_number"], "township number"),
    )


@dataclass(frozen=True)
class Event:
    """A township decision or message for one station; ``payload`` as section 6 says."""

    station: str
    cursor: int
    id: str
    at: datetime
    kind: str
    case: str | None
    payload: Mapping[str, Any]


def make_event(event: Event, key: Ed25519PrivateKey) -> bytes:
    return documents.sign("event", {
        "station": event.station, "cursor": event.cursor, "id": event.id,
        "at": documents.time_text(event.at), "kind": event.kind, "case": event.case,
        "payload": dict(event.payload),
    }, key)


def read_event(data: bytes, key: Ed25519PublicKey) -> Event:
    body = fields.exact(documents.read(data, "event", key),
                        {"station", "cursor", "id", "at", "kind", "case", "payload"}, "event")
    case = body["case"]
    if case is not None:
        fields.match(case, fields.UUID, "case")
    if not isinstance(body["payload"], dict):
        raise MalformedError("bad payload")
    return Event(
        fields.match(body["station"], fields.STATION, "station"),
        fields.positive(body["cursor"], "cursor"), fields.match(body["id"], fields.UUID, "id"),
        documents.parse_time(body["at"]), fields.choice(body["kind"], EVENT_KINDS, "kind"),
        case, body["payload"],
    )


@dataclass(frozen=True, kw_only=True)
class Enrolment:
    """The township's answer to an enrolment: who the station is (``station`` id and its
    ``name`` at the township), which township answers (``township`` id and
    ``township_name``) and which keys to pin."""

    station: str
    name: str
    township: str
    township_name: str
    signing_key: Ed25519PublicKey
    sealing_key: bytes
    suite: str
    server_time: datetime


def make_enrolment(enrolment: Enrolment, key: Ed25519PrivateKey) -> bytes:
    return documents.sign("enrolment", {
        "station": enrolment.station, "name": enrolment.name, "township": enrolment.township,
        "township_name": enrolment.township_name,
        "signing_key": documents.b64encode(documents.raw_public_key(enrolment.signing_key)),
        "sealing_key": documents.b64encode(enrolment.sealing_key), "suite": enrolment.suite,
        "server_time": documents.time_text(enrolment.server_time),
    }, key)


def read_enrolment(data: bytes) -> Enrolment:
    """Verify an enrolment answer with the signing key it carries (pinned from then on)."""
    claimed = documents.unverified(data, "enrolment")
    signing_key = documents.public_key_from_raw(documents.b64decode(claimed.get("signing_key"),
                                                                    32))
    body = fields.exact(documents.read(data, "enrolment", signing_key),
                        {"station", "name", "township", "township_name", "signing_key",
                         "sealing_key", "suite", "server_time"}, "enrolment")
    sealing_key = documents.b64decode(body["sealing_key"])
    suite = fields.text(body["suite"], "suite")
    public_key_object(suite, sealing_key)
    return Enrolment(
        station=fields.match(body["station"], fields.STATION, "station"),
        name=fields.text(body["name"], "name"),
        township=fields.text(body["township"], "township"),
        township_name=fields.text(body["township_name"], "township name"),
        signing_key=signing_key, sealing_key=sealing_key, suite=suite,
        server_time=documents.parse_time(body["server_time"]),
    )


@dataclass(frozen=True)
class LedgerEntry:
    """One settled outbox item: its sequence and envelope digest (None when quarantined
    before an envelope existed)."""

    seq: int
    envelope_sha256: str | None


def ledger_digest(entries: Iterable[LedgerEntry]) -> str:
    """SHA-256 over ``"<seq> <digest or ->\\n"`` for every entry, in sequence order."""
    hasher = hashlib.sha256()
    for entry in entries:
        hasher.update(f"{entry.seq} {entry.envelope_sha256 or '-'}\n".encode("ascii"))
    return hasher.hexdigest()


@dataclass(frozen=True)
class Ledger:
    station: str
    highest_seq: int
    count: int
    digest: str
    entries: tuple[LedgerEntry, ...]


def make_ledger(ledger: Ledger, key: Ed25519PrivateKey) -> bytes:
    return documents.sign("ledger", {
        "station": ledger.station, "highest_seq": ledger.highest_seq, "count": ledger.count,
        "digest": ledger.digest,
        "entries": [[e.seq, e.envelope_sha256] for e in ledger.entries],
    }, key)


def read_ledger(data: bytes, key: Ed25519PublicKey) -> Ledger:
    body = fields.exact(documents.read(data, "ledger", key),
                        {"station", "highest_seq", "count", "digest", "entries"}, "ledger")
    return Ledger(
        fields.match(body["station"], fields.STATION, "station"),
        fields.positive(body["highest_seq"], "highest_seq", zero=True),
        fields.positive(body["count"], "count", zero=True),
        fields.match(body["digest"], fields.HEX64, "digest"), _entries(body["entries"]),
    )


def _entries(value: Any) -> tuple[LedgerEntry, ...]:
    if not isinstance(value, list):
        raise MalformedError("bad entries")
    entries = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise MalformedError("bad entry")
        digest = item[1] if item[1] is None else fields.match(item[1], fields.HEX64, "digest")
        entries.append(LedgerEntry(fields.positive(item[0], "seq"), digest))
    if [e.seq for e in entries] != sorted({e.seq for e in entries}):
        raise MalformedError("entries not in order")
    return tuple(entries)


@dataclass(frozen=True)
class UpdateRoot:
    """The township's TUF ``root.json`` for app updates, vouched for by its signing key:
    a station that has no update trust root yet pins it (``docs/protocol.md`` section 9)."""

    station: str
    root: bytes


def make_update_root(update_root: UpdateRoot, key: Ed25519PrivateKey) -> bytes:
    return documents.sign("update_root", {
        "station": update_root.station, "root": documents.b64encode(update_root.root),
        "sha256": hashlib.sha256(update_root.root).hexdigest(),
    }, key)


def read_update_root(data: bytes, key: Ed25519PublicKey) -> UpdateRoot:
    body = fields.exact(documents.read(data, "update_root", key),
                        {"station", "root", "sha256"}, "update root")
    root = documents.b64decode(body["root"])
    if hashlib.sha256(root).hexdigest() != fields.match(body["sha256"], fields.HEX64, "sha256"):
        raise MalformedError("update root: digest does not match")
    return UpdateRoot(fields.match(body["station"], fields.STATION, "station"), root)


def station_of(data: bytes, doc_type: str) -> str:
    """The station a station-signed document claims (not verified). Raises MalformedError."""
    return fields.match(documents.unverified(data, doc_type).get("station"), fields.STATION,
                        "station")

