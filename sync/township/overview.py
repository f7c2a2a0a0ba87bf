"""What the console shows: cases with their decrypted content, station health from
heartbeats, reconciliation figures, refused envelopes. Reads only; each call is one
consistent snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import fn

from sync import envelope as envelopes
from sync.signed import public_key_from_raw
from sync.township.context import Context
from sync.township.errors import NotFoundError
from sync.township.models import Case, Envelope, Event, Heartbeat, LedgerReport, Station
from sync.township.refusals import RefusalSummary, recent_refusals, refusal_counts, refused_seqs

MAX_GAPS = 1000


@dataclass(frozen=True)
class CaseSummary:
    id: int
    station: str
    case: str
    township_number: str
    state: str
    revision: int
    received_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EnvelopeSummary:
    seq: int
    revision: int
    kind: str
    digest: str
    received_at: datetime
    source: str


@dataclass(frozen=True)
class EventSummary:
    cursor: int
    id: str
    kind: str
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class CaseDetail:
    """A case with the content of its newest revision opened, and its history."""

    summary: CaseSummary
    content: dict[str, Any]
    envelopes: tuple[EnvelopeSummary, ...]
    events: tuple[EventSummary, ...]


@dataclass(frozen=True)
class StationHealth:
    station: str
    name: str
    enrolled_at: datetime | None
    revoked_at: datetime | None
    app_version: str | None
    last_seen: datetime | None
    queue: int | None
    quarantined: int | None
    last_error: str | None
    free_disk: int | None
    reported_highest_seq: int | None
    received_highest_seq: int


@dataclass(frozen=True)
class Figures:
    """Reconciliation of one station: what arrived against what it last reported.

    ``gaps`` are sequences below the highest received that neither arrived nor were
    refused; ``duplicates_refused`` counts envelopes refused as conflicts (409),
    ``quarantined`` those refused as invalid (422), which the station sets aside;
    ``reported_quarantined`` is what the station itself last said it holds aside (these
    and the items it could not send at all).
    """

    station: str
    received: int
    highest_received: int
    gaps: tuple[int, ...]
    ledger_through: int
    last_report_at: datetime | None
    missing: tuple[int, ...]
    mismatched: tuple[int, ...]
    reported_highest_seq: int | None
    duplicates_refused: int
    quarantined: int
    reported_quarantined: int | None
    last_heartbeat_at: datetime | None


class Overview:
    def __init__(self, context: Context) -> None:
        self._context = context

    def cases(self, station: str | None = None, state: str | None = None,
              before: int | None = None, limit: int = 50) -> list[CaseSummary]:
        """Newest first; page on with ``before`` = the last summary's ``id``."""
        query = Case.select().order_by(Case.id.desc()).limit(limit)
        if station is not None:
            query = query.where(Case.station == station)
        if state is not None:
            query = query.where(Case.state == state)
        if before is not None:
            query = query.where(Case.id < before)
        return [_summary(row) for row in query]

    def case(self, station: str, case: str) -> CaseDetail:
        """The case with its content opened. Raises NotFoundError; SealError or
        MalformedError when the stored content no longer opens."""
        row = Case.get_or_none(Case.station == station, Case.case_uuid == case)
        if row is None:
            raise NotFoundError("no such case")
        stored = list(row.envelopes.order_by(Envelope.revision))
        newest = stored[-1]
        key = public_key_from_raw(bytes(newest.station_key))
        content = envelopes.open_content(envelopes.verify(bytes(newest.data), key),
                                         self._context.keys.sealing)
        events = row.events.order_by(Event.cursor)
        return CaseDetail(
            _summary(row), content,
            tuple(EnvelopeSummary(e.seq, e.revision, e.kind, e.digest, e.received_at,
                                  e.source) for e in stored),
            tuple(EventSummary(e.cursor, e.event_id, e.kind, e.created_at,
                               json.loads(e.payload)) for e in events))

    def health(self) -> list[StationHealth]:
        """Every station with its newest heartbeat, by id."""
        return [self._health(station) for station in Station.select().order_by(Station.id)]

    def figures(self, station: str) -> Figures:
        """Raises NotFoundError."""
        row = Station.get_or_none(Station.id == station)
        if row is None:
            raise NotFoundError("no such station")
        seqs = {seq for seq, in Envelope.select(Envelope.seq)
                .where(Envelope.station == station).tuples()}
        highest = max(seqs, default=0)
        settled = seqs | refused_seqs(station)
        gaps = tuple(s for s in range(1, highest + 1) if s not in settled)[:MAX_GAPS]
        report = (LedgerReport.select().where(LedgerReport.station == station)
                  .order_by(LedgerReport.id.desc()).first())
        beat = _newest_heartbeat(row)
        refused = refusal_counts(station)
        return Figures(station, len(seqs), highest, gaps, row.ledger_through,
                       report and report.received_at,
                       () if report is None else tuple(json.loads(report.missing)),
                       () if report is None else tuple(json.loads(report.mismatched)),
                       report and report.highest_seq, refused.duplicates, refused.invalid,
                       beat and beat.quarantined, beat and beat.received_at)

    def refusals(self, station: str | None = None, code: str | None = None,
                 before: int | None = None, limit: int = 50) -> list[RefusalSummary]:
        """Refused envelopes, newest first, of one station or one error code when given
        (``conflict`` lists the duplicates); page on with ``before`` = the last one's
        ``id``."""
        return recent_refusals(station, code, before, limit)

    @staticmethod
    def _health(station: Station) -> StationHealth:
        beat = _newest_heartbeat(station)
        received = (Envelope.select(fn.MAX(Envelope.seq))
                    .where(Envelope.station == station).scalar() or 0)
        return StationHealth(
            station.id, station.name, station.enrolled_at, station.revoked_at,
            station.app_version, beat and beat.received_at, beat and beat.queue,
            beat and beat.quarantined, beat and beat.last_error, beat and beat.free_disk,
            beat and beat.highest_seq, received)


def _newest_heartbeat(station: Station) -> Heartbeat | None:
    return (Heartbeat.select().where(Heartbeat.station == station)
            .order_by(Heartbeat.received_at.desc(), Heartbeat.id.desc()).first())


def _summary(row: Case) -> CaseSummary:
    return CaseSummary(row.id, row.station_id, row.case_uuid, row.township_number, row.state,
                       row.revision, row.received_at, row.updated_at)
