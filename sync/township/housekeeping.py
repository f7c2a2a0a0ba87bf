"""Housekeeping (``township maintain``): drop what only serves for a while. Partial uploads
nobody continued (row and bytes), request nonces past the replay window, and heartbeats
past their retention except the newest of each station. Each purge is its own
transaction; a partial upload is dropped under the same locks an upload takes, so a
station resuming it at that moment either finishes first or starts again from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from sync.township.config import Retention
from sync.township.context import Context
from sync.township.db import lock_station, locked
from sync.township.models import Blob, Heartbeat
from sync.township.stations import StationService


@dataclass(frozen=True)
class Purged:
    """How many of each were dropped."""

    uploads: int
    nonces: int
    heartbeats: int


class Housekeeping:
    def __init__(self, context: Context, stations: StationService) -> None:
        self._context = context
        self._stations = stations

    def run(self, retention: Retention = Retention()) -> Purged:
        """Every purge, with the ages of ``retention``."""
        return Purged(self.purge_uploads(retention.upload_idle),
                      self._stations.forget_nonces(),
                      self.purge_heartbeats(retention.heartbeats))

    def purge_uploads(self, idle: timedelta) -> int:
        """Drop the partial uploads untouched for longer than ``idle``; how many. Raises
        OSError when a file cannot be removed (its row then stays)."""
        cutoff = self._context.clock() - idle
        partial = Blob.complete == False  # noqa: E712
        stale = list(Blob.select(Blob.id, Blob.station)
                     .where(partial, Blob.updated_at < cutoff).tuples())
        return sum(self._drop_upload(blob, station, cutoff) for blob, station in stale)

    def purge_heartbeats(self, age: timedelta) -> int:
        """Drop the heartbeats older than ``age`` but the newest of each station; how
        many."""
        cutoff = self._context.clock() - age
        newer = Heartbeat.alias()
        has_newer = newer.select(newer.id).where(
            newer.station == Heartbeat.station,
            (newer.received_at > Heartbeat.received_at)
            | ((newer.received_at == Heartbeat.received_at) & (newer.id > Heartbeat.id)))
        with self._context.database.atomic():
            return Heartbeat.delete().where(Heartbeat.received_at < cutoff,
                                            fn.EXISTS(has_newer)).execute()

    def _drop_upload(self, blob: int, station: str, cutoff: datetime) -> bool:
        with self._context.database.atomic():
            lock_station(station)
            partial = Blob.complete == False  # noqa: E712
            row = locked(Blob.select().where(Blob.id == blob, partial,
                                             Blob.updated_at < cutoff)).first()
            if row is None:
                return False
            row.delete_instance()
            self._context.blobs.discard(station, row.sha256)
        return True
