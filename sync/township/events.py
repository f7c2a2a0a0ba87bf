"""Signed events for stations, numbered per station by a server-assigned cursor that only
grows (``docs/protocol.md`` section 6)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.messages import EVENT_KINDS
from sync.messages import Event as EventDocument
from sync.messages import make_event
from sync.township.context import Context
from sync.township.models import Case, Event, Station


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor: their signed bytes, the cursor to ask after next, whether
    more are waiting."""

    events: tuple[bytes, ...]
    next: int
    more: bool


class EventLog:
    def __init__(self, context: Context) -> None:
        self._context = context

    def append(self, station_id: str, kind: str, case: Case | None,
               payload: Mapping[str, Any]) -> Event:
        """Sign and store the next event of the station; call inside a transaction.

        Raises ValueError for a kind the protocol does not have.
        """
        if kind not in EVENT_KINDS:
            raise ValueError("unknown event kind")
        Station.update(last_cursor=Station.last_cursor + 1) \
            .where(Station.id == station_id).execute()
        cursor = Station.select(Station.last_cursor).where(Station.id == station_id).scalar()
        document = EventDocument(station_id, cursor, self._context.new_id(),
                                 self._context.clock(), kind,
                                 None if case is None else case.case_uuid, payload)
        return Event.create(
            station=station_id, cursor=cursor, event_id=document.id, kind=kind, case=case,
            revision=None if case is None else case.revision,
            payload=json.dumps(dict(payload), ensure_ascii=False, sort_keys=True),
            data=make_event(document, self._context.keys.signing),
            created_at=document.at)

    def page(self, station_id: str, after: int, limit: int) -> EventPage:
        """Up to ``limit`` events with a cursor above ``after``, in cursor order."""
        rows = list(Event.select(Event.cursor, Event.data)
                    .where(Event.station == station_id, Event.cursor > after)
                    .order_by(Event.cursor).limit(limit + 1))
        shown = rows[:limit]
        return EventPage(tuple(bytes(row.data) for row in shown),
                         shown[-1].cursor if shown else after, len(rows) > limit)
