"""The append-only, hash-chained audit log of actions on personal data.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON;
the head (count and last hash) is kept in the settings table in the same transaction, so
that an edited, deleted, inserted or reordered row — including the last one — breaks the
chain. ``verify`` names the first broken link. Details never carry personal data: they
name objects by their uuid or local number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Callable

from station.i18n import _
from station.models import AuditEvent, Setting

GENESIS = "0" * 64
_HEAD_KEY = "audit_head"


class Action(StrEnum):
    CREATE = "create"
    VIEW = "view"
    EDIT = "edit"
    PRINT = "print"
    EXPORT = "export"
    DELETE = "delete"
    SYNC = "sync"
    SEARCH = "search"
    LOGIN = "login"
    ADMIN = "admin"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a chain check; ``broken_at`` is the first bad entry's position."""

    entries: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _fields(entry: AuditEvent) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat() if isinstance(entry.at, datetime) else str(entry.at),
        "agent": entry.agent_login,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
    }


class AuditLog:
    """Appends entries; call ``record`` inside the transaction that makes the change."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def record(
        self,
        action: Action,
        object_type: str,
        object_id: str | None = None,
        *,
        agent_login: str | None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one entry and move the head."""
        head = _head()
        entry = AuditEvent(
            id=head["count"] + 1,
            at=self._clock(),
            agent_login=agent_login,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            detail=detail,
            prev_hash=head["hash"],
            hash="",
        )
        entry.hash = _digest(head["hash"], _fields(entry))
        entry.save(force_insert=True)
        Setting.replace(key=_HEAD_KEY, value={"count": entry.id, "hash": entry.hash}).execute()
        return entry


def _head() -> dict[str, Any]:
    row = Setting.get_or_none(Setting.key == _HEAD_KEY)
    return row.value if row else {"count": 0, "hash": GENESIS}


def verify() -> VerifyResult:
    """Check the whole chain and the head; report the first broken link."""
    prev_hash = GENESIS
    position = 0
    for position, entry in enumerate(AuditEvent.select().order_by(AuditEvent.id), start=1):
        if entry.id != position:
            return VerifyResult(position - 1, position, _("an entry is missing before it"))
        if entry.prev_hash != prev_hash:
            return VerifyResult(position - 1, position, _("it does not follow the entry before"))
        if _digest(prev_hash, _fields(entry)) != entry.hash:
            return VerifyResult(position - 1, position, _("its content was changed"))
        prev_hash = entry.hash
    head = _head()
    if head["count"] != position or head["hash"] != prev_hash:
        return VerifyResult(position, position + 1, _("entries at the end were removed"))
    return VerifyResult(position)
