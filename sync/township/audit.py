"""The township's append-only, hash-chained audit log: who looked at or decided what, when
(``docs/adr/0004-audit-chain.md`` describes the station's, which this one copies).

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON;
the head (count and last hash) is one row moved in the same transaction as each append, so
an edited, deleted, inserted or reordered entry, the last one included, breaks the chain.
:meth:`AuditLog.verify` names the first broken link. Details never carry personal data:
they name stations, cases, sequences and files by their ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.township.context import Context
from sync.township.db import locked
from sync.township.models import AuditEntry, AuditHead

GENESIS = "0" * 64
_HEAD = 1
_BATCH = 1000


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str | None
    action: str
    object_type: str
    object_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class VerifyResult:
    """A chain check: ``entries`` good entries; ``broken_at`` the first bad position and
    ``problem`` why (``missing``, ``order``, ``changed``, ``truncated``)."""

    entries: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


class AuditLog:
    def __init__(self, context: Context) -> None:
        self._context = context

    def record(self, actor: str | None, action: str, object_type: str,
               object_id: str | None = None,
               detail: Mapping[str, Any] | None = None) -> AuditRecord:
        """Append one entry and move the head; inside the caller's transaction when there
        is one (so the entry commits with the change it records)."""
        with self._context.database.atomic():
            head = _locked_head()
            entry = AuditEntry(id=head.count + 1, at=self._context.clock(), actor=actor,
                               action=action, object_type=object_type, object_id=object_id,
                               detail=_canonical(dict(detail or {})), prev_hash=head.hash)
            entry.hash = _digest(head.hash, entry)
            entry.save(force_insert=True)
            head.count, head.hash = entry.id, entry.hash
            head.save()
        return _record(entry)

    def page(self, before: int | None = None, limit: int = 50) -> list[AuditRecord]:
        """Newest first; page on with ``before`` = the last record's ``id``."""
        query = AuditEntry.select().order_by(AuditEntry.id.desc()).limit(limit)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        return [_record(entry) for entry in query]

    def verify(self) -> VerifyResult:
        """Walk the whole chain and compare its end with the head."""
        previous, position = GENESIS, 0
        for position, entry in enumerate(_entries(), start=1):
            if entry.id != position:
                return VerifyResult(position - 1, position, "missing")
            if entry.prev_hash != previous:
                return VerifyResult(position - 1, position, "order")
            if _digest(previous, entry) != entry.hash:
                return VerifyResult(position - 1, position, "changed")
            previous = entry.hash
        head = AuditHead.get_or_none(AuditHead.id == _HEAD)
        count, last = (0, GENESIS) if head is None else (head.count, head.hash)
        if count != position or last != previous:
            return VerifyResult(position, position + 1, "truncated")
        return VerifyResult(position)


def _locked_head() -> AuditHead:
    AuditHead.insert(id=_HEAD, count=0, hash=GENESIS).on_conflict_ignore().execute()
    return locked(AuditHead.select().where(AuditHead.id == _HEAD)).get()


def _entries() -> Iterator[AuditEntry]:
    after = 0
    while True:
        batch = list(AuditEntry.select().where(AuditEntry.id > after)
                     .order_by(AuditEntry.id).limit(_BATCH))
        yield from batch
        if len(batch) < _BATCH:
            return
        after = batch[-1].id


def _digest(previous: str, entry: AuditEntry) -> str:
    fields = {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
              "action": entry.action, "object_type": entry.object_type,
              "object_id": entry.object_id, "detail": entry.detail}
    return hashlib.sha256((previous + _canonical(fields)).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _record(entry: AuditEntry) -> AuditRecord:
    return AuditRecord(entry.id, entry.at, entry.actor, entry.action, entry.object_type,
                       entry.object_id, json.loads(entry.detail))
