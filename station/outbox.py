"""The outbox: case revisions waiting for the township, in per-station sequence order.

``enqueue`` runs inside the transaction that changes the case, so a sequence number exists
exactly when the change does; numbers never repeat or skip because every write transaction
takes the database's write lock at BEGIN. This module is the interface the sync engine uses
to reach the store.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Callable

from peewee import fn

from station.errors import StationError
from station.i18n import _, pgettext
from station.models import Case, OutboxItem, Receipt, database_proxy
from station.sync_models import SyncEnvelope


class ItemKind(StrEnum):
    SUBMISSION = "submission"
    WITHDRAWAL = "withdrawal"
    DELIVERY = "delivery"
    EVALUATION = "evaluation"
    MATERIALS = "materials"  # pages of a deferred material brought after submission


def kind_label(kind: str) -> str:
    """An item's kind as the agent reads it (the code itself for an unknown kind)."""
    labels = {
        ItemKind.SUBMISSION: pgettext("upload kind", "submission"),
        ItemKind.WITHDRAWAL: pgettext("upload kind", "withdrawal"),
        ItemKind.DELIVERY: pgettext("upload kind", "delivery"),
        ItemKind.EVALUATION: pgettext("upload kind", "evaluation"),
        ItemKind.MATERIALS: pgettext("upload kind", "materials brought later"),
    }
    return labels.get(kind, kind)


class ItemState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    QUARANTINED = "quarantined"


_SETTLED = (ItemState.SENT, ItemState.QUARANTINED)


class OutboxStateError(StationError):
    """An outbox item was moved in a way its state does not allow."""

    def __init__(self) -> None:
        super().__init__(_("This upload item has already been settled; nothing was changed."))


class Outbox:
    """Adds items with the case change and settles them as the sync engine reports."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def enqueue(self, case: Case, kind: ItemKind) -> OutboxItem:
        """Bump the case revision and add the next item; call inside the case's transaction."""
        case.revision += 1
        case.save(only=[Case.revision])
        now = self._clock()
        return OutboxItem.create(
            seq=self.last_seq() + 1,
            case=case,
            revision=case.revision,
            kind=str(kind),
            state=str(ItemState.PENDING),
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def last_seq() -> int:
        """The highest sequence number assigned so far (0 when none)."""
        return OutboxItem.select(fn.MAX(OutboxItem.seq)).scalar() or 0

    @staticmethod
    def pending(limit: int = 100) -> list[OutboxItem]:
        """Items still to send (pending or interrupted while sending), oldest first."""
        return list(
            OutboxItem.select()
            .where(OutboxItem.state.in_([ItemState.PENDING, ItemState.SENDING]))
            .order_by(OutboxItem.seq)
            .limit(limit)
        )

    def mark_sending(self, item: OutboxItem) -> None:
        """Record a send attempt before the request goes out."""
        self._settle(item, ItemState.SENDING, attempts=OutboxItem.attempts + 1)

    def mark_failed(self, item: OutboxItem, error: str) -> None:
        """Record a failed attempt; the item stays in the queue."""
        self._settle(item, ItemState.PENDING, last_error=error)

    def quarantine(self, item: OutboxItem, reason: str) -> None:
        """Set aside an item the township refused as malformed; later items go on."""
        self._settle(item, ItemState.QUARANTINED, last_error=reason)

    def mark_sent(self, item: OutboxItem, *, body: bytes, township_number: str | None) -> Receipt:
        """Keep the verified receipt and settle the item, both or neither."""
        with database_proxy.atomic():
            self._move(item, ItemState.SENT, last_error=None)
            receipt = Receipt.create(
                outbox_item=item.id,
                township_number=township_number,
                body=body,
                received_at=self._clock(),
            )
        _reload(item)
        return receipt

    def _settle(self, item: OutboxItem, state: ItemState, **changes: object) -> None:
        self._move(item, state, **changes)
        _reload(item)

    def _move(self, item: OutboxItem, state: ItemState, **changes: object) -> None:
        """Move the stored item; raises OutboxStateError when it is already settled
        (``item`` may be a stale copy)."""
        moved = (
            OutboxItem.update(state=str(state), updated_at=self._clock(), **changes)
            .where((OutboxItem.id == item.id) & OutboxItem.state.not_in(_SETTLED))
            .execute()
        )
        if not moved:
            raise OutboxStateError()

    @staticmethod
    def counts() -> dict[str, int]:
        """Number of items per state."""
        rows = OutboxItem.select(OutboxItem.state, fn.COUNT(OutboxItem.id)).group_by(
            OutboxItem.state
        )
        return {state: count for state, count in rows.tuples()}


def _reload(item: OutboxItem) -> None:
    """Bring ``item`` up to date with its stored row."""
    item.__data__.update(OutboxItem.get_by_id(item.id).__data__)


def in_flight(case: Case) -> bool:
    """Whether an item of ``case`` has been attempted (its envelope is built and kept) and
    is not settled: its answers and pages must not change until it is."""
    return (OutboxItem.select()
            .join(SyncEnvelope, on=(SyncEnvelope.outbox_item == OutboxItem.id))
            .where((OutboxItem.case == case)
                   & OutboxItem.state.in_([ItemState.PENDING, ItemState.SENDING]))
            .exists())
