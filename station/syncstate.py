"""What the station keeps for sync, and the queries the UI shows about it.

The enrolment (pinned township keys and the station's identity key), built envelopes,
page-file upload digests, received events, result files, the event cursor, the ledger's
``through`` and when a round last succeeded. Quarantined items and events, township
messages and whether a case is locked for editing (an item of it was attempted and is not
settled yet) are read here.
Call the writers inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from peewee import JOIN

from station.errors import StationError
from station.i18n import _
from station.models import Case, MaterialFile, OutboxItem, SyncCursor
from station.outbox import ItemState
from station.sync_models import (
    SyncEnrolment,
    SyncEnvelope,
    SyncEvent,
    SyncPageDigest,
    SyncResultFile,
)
from sync.engine import Identity
from sync.messages import Enrolment, LedgerEntry
from sync.signed import public_key_from_raw, raw_public_key

EVENTS_CURSOR = "township-events"
LEDGER_THROUGH = "ledger-through"
LEDGER_MISMATCHED = "ledger-mismatched"
LAST_SYNCED = "last-synced"
_READ_BLOCK = 1024 * 1024


class NotEnrolledError(StationError):
    def __init__(self) -> None:
        super().__init__(
            _("This station is not enrolled with a township yet: enrol it with the code "
              "the township gave you.")
        )


@dataclass(frozen=True)
class QuarantinedItem:
    """An outbox item set aside: why (an error code) and which case (no personal data)."""

    seq: int
    kind: str
    case_uuid: str
    local_number: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class ReceivedEvent:
    """A township event as kept: ``reason`` is set when it was quarantined."""

    cursor: int
    event_id: str
    kind: str
    case_uuid: str | None
    received_at: datetime
    applied: bool
    reason: str | None
    payload: dict[str, Any]


def enrolment() -> SyncEnrolment | None:
    return SyncEnrolment.select().order_by(SyncEnrolment.id.desc()).first()


def require_enrolment() -> SyncEnrolment:
    """The enrolment; raises NotEnrolledError."""
    found = enrolment()
    if found is None:
        raise NotEnrolledError()
    return found


def save_enrolment(answer: Enrolment, url: str, key: Ed25519PrivateKey, now: datetime,
                   ca_bundle: Path | None = None) -> SyncEnrolment:
    """Pin the township's answer with the station's new identity key (replacing none)."""
    return SyncEnrolment.create(
        station_id=answer.station, station_name=answer.name, township_id=answer.township,
        township_name=answer.township_name, url=url,
        ca_bundle=str(ca_bundle) if ca_bundle else None,
        signing_key=raw_public_key(answer.signing_key), sealing_key=answer.sealing_key,
        suite=answer.suite,
        identity_key=key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        enrolled_at=now,
    )


def identity() -> Identity:
    """Who the station is, with its keys; raises NotEnrolledError."""
    row = require_enrolment()
    return Identity(
        station=row.station_id,
        key=Ed25519PrivateKey.from_private_bytes(bytes(row.identity_key)),
        signing_key=public_key_from_raw(bytes(row.signing_key)),
        sealing_key=bytes(row.sealing_key),
        suite=row.suite,
    )


def stored_envelope(item: OutboxItem) -> SyncEnvelope | None:
    return SyncEnvelope.get_or_none(SyncEnvelope.outbox_item == item)


def keep_envelope(item: OutboxItem, data: bytes, now: datetime) -> SyncEnvelope:
    return SyncEnvelope.create(outbox_item=item, data=data,
                               digest=hashlib.sha256(data).hexdigest(), built_at=now)


def page_digest(page: MaterialFile, path: Path) -> SyncPageDigest:
    """The SHA-256 and size of the page file at ``path`` as stored, computed once.

    Raises OSError when the file cannot be read.
    """
    found = SyncPageDigest.get_or_none(SyncPageDigest.material_file == page)
    if found is not None:
        return found
    hasher, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(_READ_BLOCK):
            hasher.update(block)
            size += len(block)
    return SyncPageDigest.create(material_file=page, sha256=hasher.hexdigest(), size=size)


def stored_page(sha256: str) -> MaterialFile | None:
    """The page whose stored file has this upload digest, while its file exists."""
    return (MaterialFile.select().join(SyncPageDigest)
            .where((SyncPageDigest.sha256 == sha256) & MaterialFile.blob_name.is_null(False))
            .first())


def event_seen(event_id: str) -> bool:
    return SyncEvent.select().where(SyncEvent.event_id == event_id).exists()


def keep_event(values: dict[str, Any]) -> SyncEvent:
    """Record a received event (``event_id``, ``cursor``, ``kind``, ``case_uuid``, ``data``,
    ``received_at``, ``applied``, ``reason``)."""
    return SyncEvent.create(**values)


def keep_result_file(values: dict[str, Any]) -> SyncResultFile:
    return SyncResultFile.create(**values)


def result_files(case: Case) -> list[SyncResultFile]:
    """The result files the township issued for ``case``, oldest first."""
    return list(case.result_files.order_by(SyncResultFile.created_at, SyncResultFile.id))


def result_stored(blob_name: str) -> bool:
    return SyncResultFile.select().where(SyncResultFile.blob_name == blob_name).exists()


def result_blob_names() -> set[str]:
    """Names of the blobs that hold result files (the orphan sweep must keep them)."""
    return {name for (name,) in SyncResultFile.select(SyncResultFile.blob_name).tuples()}


def counter(name: str) -> int:
    row = SyncCursor.get_or_none(SyncCursor.name == name)
    return int(row.value) if row else 0


def set_counter(name: str, value: int, now: datetime) -> None:
    SyncCursor.replace(name=name, value=str(value), updated_at=now).execute()


def last_synced() -> datetime | None:
    """When a sync round last succeeded (UTC); None before the first."""
    row = SyncCursor.get_or_none(SyncCursor.name == LAST_SYNCED)
    return row.updated_at if row else None


def set_last_synced(now: datetime) -> None:
    SyncCursor.replace(name=LAST_SYNCED, value=now.isoformat(), updated_at=now).execute()


def mismatched() -> list[int]:
    """Sequences whose digest the township last reported as differing from ours."""
    row = SyncCursor.get_or_none(SyncCursor.name == LEDGER_MISMATCHED)
    return json.loads(row.value) if row else []


def set_mismatched(seqs: list[int], now: datetime) -> None:
    SyncCursor.replace(name=LEDGER_MISMATCHED, value=json.dumps(sorted(set(seqs))),
                       updated_at=now).execute()


def settled_entries() -> list[LedgerEntry]:
    """Every item with a receipt or a quarantine, with its envelope digest, in order."""
    query = (OutboxItem.select(OutboxItem.seq, SyncEnvelope.digest)
             .join(SyncEnvelope, join_type=JOIN.LEFT_OUTER,
                   on=(SyncEnvelope.outbox_item == OutboxItem.id))
             .where(OutboxItem.state.in_([ItemState.SENT, ItemState.QUARANTINED]))
             .order_by(OutboxItem.seq))
    return [LedgerEntry(seq, digest) for seq, digest in query.tuples()]


def quarantined_items() -> list[QuarantinedItem]:
    """Items set aside (by the township's refusal or because they could not be built)."""
    query = (OutboxItem.select(OutboxItem, Case).join(Case)
             .where(OutboxItem.state == ItemState.QUARANTINED).order_by(OutboxItem.seq))
    return [QuarantinedItem(item.seq, item.kind, item.case.uuid, item.case.local_number,
                            item.last_error, item.updated_at) for item in query]


def received_events(*, quarantined: bool | None = None, kind: str | None = None
                    ) -> list[ReceivedEvent]:
    """Received events in cursor order; only quarantined (or only applied) ones, of one
    kind (e.g. ``message``), when asked."""
    query = SyncEvent.select().order_by(SyncEvent.cursor)
    if quarantined is not None:
        query = query.where(SyncEvent.applied == (not quarantined))
    if kind is not None:
        query = query.where(SyncEvent.kind == kind)
    return [_received(row) for row in query]


def event_reason_label(reason: str) -> str:
    """Why a township event was set aside, in plain words for the agent."""
    labels = {
        "unknown_case": _("The township wrote about a case this station does not have."),
        "invalid_transition": _(
            "The township's decision does not fit the case as it is here (withdrawn "
            "meanwhile?); ask the township."),
        "malformed_payload": _("The township's message is incomplete; ask the township."),
    }
    return labels.get(reason, reason)


def _received(row: SyncEvent) -> ReceivedEvent:
    payload = json.loads(bytes(row.data))["signed"]["payload"]
    return ReceivedEvent(row.cursor, row.event_id, row.kind, row.case_uuid, row.received_at,
                         row.applied, row.reason, payload)
