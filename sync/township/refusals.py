"""Envelopes refused for good (422 and 409 ``conflict``), remembered so that reconciliation
can settle their sequences and the console can count and list them (``docs/protocol.md``
sections 5 and 7: the station quarantines what the township refuses).

A refusal is recorded in a transaction of its own, after the refused one has rolled back;
failing to record it is logged and never changes the answer the station gets. The same
envelope refused again with the same code is one row that counts its arrivals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import PeeweeException, fn

from sync import envelope as envelopes
from sync import fields
from sync.errors import MalformedError
from sync.signed import unverified
from sync.township.config import MAX_NUMBER
from sync.township.context import Context
from sync.township.db import batches
from sync.township.models import Refusal

log = logging.getLogger(__name__)

DUPLICATE = "conflict"


@dataclass(frozen=True)
class RefusalSummary:
    """One refused envelope as the console lists it; ``seq`` and ``case`` are None when
    the envelope could not be read that far."""

    id: int
    station: str
    seq: int | None
    case: str | None
    digest: str
    code: str
    first_at: datetime
    last_at: datetime
    times: int


@dataclass(frozen=True)
class RefusalCounts:
    """Refused envelopes of one station: as duplicates (409), as invalid (422)."""

    duplicates: int
    invalid: int


class RefusalLog:
    def __init__(self, context: Context) -> None:
        self._context = context

    def record(self, station: str, data: bytes, code: str) -> None:
        """Remember that ``station`` sent ``data`` and was refused with ``code``. Never
        raises for the database: a failure is logged and the refusal goes unrecorded."""
        seq, case = _readable(station, data)
        now = self._context.clock()
        try:
            with self._context.database.atomic():
                Refusal.insert(station=station, seq=seq, case_uuid=case,
                               digest=envelopes.digest(data), code=code, first_at=now,
                               last_at=now, times=1).on_conflict(
                    conflict_target=[Refusal.station, Refusal.digest, Refusal.code],
                    update={Refusal.times: Refusal.times + 1, Refusal.last_at: now}).execute()
        except PeeweeException as error:
            log.warning("could not record a refusal (%s) for station %s: %s", code, station,
                        type(error).__name__)


def recent_refusals(station: str | None = None, code: str | None = None,
                    before: int | None = None, limit: int = 50) -> list[RefusalSummary]:
    """Newest first (by first arrival), of one station or code when given; page on with
    ``before`` = the last summary's ``id``."""
    query = Refusal.select().order_by(Refusal.id.desc()).limit(limit)
    if station is not None:
        query = query.where(Refusal.station == station)
    if code is not None:
        query = query.where(Refusal.code == code)
    if before is not None:
        query = query.where(Refusal.id < before)
    return [_summary(row) for row in query]


def refused_digests(station: str, seqs: Sequence[int]) -> dict[int, frozenset[str]]:
    """For each of ``seqs`` the station was refused at, the digests it was refused with."""
    found: dict[int, set[str]] = {}
    for part in batches(seqs):
        for seq, digest in Refusal.select(Refusal.seq, Refusal.digest).where(
                Refusal.station == station, Refusal.seq.in_(list(part))).tuples():
            found.setdefault(seq, set()).add(digest)
    return {seq: frozenset(digests) for seq, digests in found.items()}


def refused_seqs(station: str) -> set[int]:
    """Every sequence the station was refused at."""
    return {seq for seq, in Refusal.select(Refusal.seq).distinct().where(
        Refusal.station == station, Refusal.seq.is_null(False)).tuples()}


def refusal_counts(station: str) -> RefusalCounts:
    counts = dict(Refusal.select(Refusal.code, fn.COUNT(Refusal.id))
                  .where(Refusal.station == station).group_by(Refusal.code).tuples())
    duplicates = counts.pop(DUPLICATE, 0)
    return RefusalCounts(duplicates, sum(counts.values()))


def _readable(station: str, data: bytes) -> tuple[int | None, str | None]:
    """The sequence and case an envelope of ``station`` names, where they can be read."""
    try:
        body: dict[str, Any] = unverified(data, envelopes.DOC_TYPE,
                                          envelopes.MAX_ENVELOPE_BYTES)
    except MalformedError:
        return None, None
    if body.get("station") != station:
        return None, None
    seq = body.get("seq")
    seq = seq if type(seq) is int and 0 < seq <= MAX_NUMBER else None
    case = body.get("case")
    return seq, case if isinstance(case, str) and fields.UUID.fullmatch(case) else None


def _summary(row: Refusal) -> RefusalSummary:
    return RefusalSummary(row.id, row.station_id, row.seq, row.case_uuid, row.digest,
                          row.code, row.first_at, row.last_at, row.times)
