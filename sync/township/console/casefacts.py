"""The queue of incoming cases and the facts it filters on.

A case's matter lives in its sealed content, so the console reads it once per revision
into :class:`~sync.township.models.CaseFacts` (with the due date counted from the case's
acceptance, recounted when its state changes) and filters with plain SQL after that.
:meth:`CaseIndex.refresh` brings the facts up to date before each queue is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from peewee import JOIN

from sync import envelope as envelopes
from sync.errors import SyncError
from sync.signed import public_key_from_raw
from sync.seal import SealingKey
from sync.township.casestate import CaseState
from sync.township.config import MAX_NAME, MAX_NUMBER
from sync.township.console.catalogs import CatalogLibrary
from sync.township.console.deadlines import Deadline, deadline, due_date, utc_start
from sync.township.context import Context
from sync.township.models import Case, CaseFacts, Envelope, Event, Station


@dataclass(frozen=True)
class QueueFilter:
    station: str | None = None
    matter: str | None = None
    state: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    overdue: bool = False
    before: int | None = None


@dataclass(frozen=True)
class QueueRow:
    id: int
    township_number: str
    station: str
    station_name: str
    case: str
    matter_code: str | None
    matter_name: str | None
    state: str
    revision: int
    received_at: datetime
    updated_at: datetime
    deadline: Deadline | None


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    next_before: int | None


@dataclass(frozen=True)
class _Matter:
    code: str | None = None
    name: str | None = None
    catalog_version: int | None = None


class CaseIndex:
    def __init__(self, context: Context, catalogs: CatalogLibrary, soon_days: int) -> None:
        self._context = context
        self._catalogs = catalogs
        self._soon_days = soon_days

    def refresh(self) -> int:
        """Bring every stale case's facts up to date; how many were."""
        stale = (Case.select(Case.id, Case.revision, Case.state, CaseFacts.revision,
                             CaseFacts.matter_code, CaseFacts.matter_name,
                             CaseFacts.catalog_version)
                 .join(CaseFacts, JOIN.LEFT_OUTER, on=(CaseFacts.case == Case.id))
                 .where(CaseFacts.id.is_null() | (CaseFacts.revision != Case.revision)
                        | (CaseFacts.state != Case.state)).tuples())
        count = 0
        for case_id, revision, state, known_revision, *matter in list(stale):
            known = _Matter(*matter) if known_revision == revision else None
            matter = known or _read_matter(case_id, self._context.keys.sealing)
            with self._context.database.atomic():
                self._store(case_id, revision, state, matter)
            count += 1
        return count

    def queue(self, wanted: QueueFilter, today: date, limit: int) -> QueuePage:
        """Newest first, ``limit`` rows; ``next_before`` pages on (None at the end)."""
        query = (Case.select(Case.id, Case.township_number, Case.station, Station.name,
                             Case.case_uuid, CaseFacts.matter_code, CaseFacts.matter_name,
                             Case.state, Case.revision, Case.received_at, Case.updated_at,
                             CaseFacts.accepted_at, CaseFacts.due_on, CaseFacts.due_provisional)
                 .join(Station).switch(Case)
                 .join(CaseFacts, JOIN.LEFT_OUTER, on=(CaseFacts.case == Case.id))
                 .order_by(Case.id.desc()).limit(limit + 1))
        for condition in _conditions(wanted, today):
            query = query.where(condition)
        rows = [self._row(values, today) for values in query.tuples()]
        more = len(rows) > limit
        return QueuePage(tuple(rows[:limit]), rows[limit - 1].id if more else None)

    def deadline_of(self, case_id: int, today: date) -> Deadline | None:
        """The deadline of an accepted case (None for other states or without one)."""
        facts = CaseFacts.get_or_none(CaseFacts.case == case_id)
        if facts is None or facts.state != CaseState.ACCEPTED:
            return None
        return self._deadline(facts.accepted_at, facts.due_on, facts.due_provisional, today)

    def _store(self, case_id: int, revision: int, state: str, matter: _Matter) -> None:
        accepted_at = (Event.select(Event.created_at)
                       .where(Event.case == case_id, Event.kind == "accepted",
                              Event.revision == revision)
                       .order_by(Event.cursor.desc()).scalar())
        found = self._catalogs.matter(matter.code, matter.catalog_version)
        due, provisional = None, False
        if accepted_at is not None and found is not None:
            due, provisional = due_date(self._catalogs.calendar, accepted_at,
                                        found.time_limits.promised_days)
        values = {"revision": revision, "state": state, "matter_code": matter.code,
                  "matter_name": matter.name, "catalog_version": matter.catalog_version,
                  "accepted_at": accepted_at, "due_on": due, "due_provisional": provisional}
        CaseFacts.insert(case=case_id, **values).on_conflict(
            conflict_target=[CaseFacts.case],
            update={getattr(CaseFacts, name): value for name, value in values.items()},
        ).execute()

    def _row(self, values: tuple[Any, ...], today: date) -> QueueRow:
        *head, state, revision, received, updated, accepted_at, due_on, provisional = values
        late = (self._deadline(accepted_at, due_on, provisional, today)
                if state == CaseState.ACCEPTED else None)
        return QueueRow(*head, state, revision, received, updated, late)

    def _deadline(self, accepted_at: datetime | None, due_on: date | None,
                  provisional: bool, today: date) -> Deadline | None:
        if accepted_at is None or due_on is None:
            return None
        return deadline(self._catalogs.calendar, accepted_at, due_on, provisional, today,
                        self._soon_days)


def _conditions(wanted: QueueFilter, today: date) -> list[Any]:
    conditions = []
    if wanted.station:
        conditions.append(Case.station == wanted.station)
    if wanted.matter:
        conditions.append(CaseFacts.matter_code == wanted.matter)
    if wanted.state:
        conditions.append(Case.state == wanted.state)
    if wanted.received_from:
        conditions.append(Case.received_at >= utc_start(wanted.received_from))
    if wanted.received_to:
        conditions.append(Case.received_at < utc_start(date.fromordinal(
            wanted.received_to.toordinal() + 1)))
    if wanted.overdue:
        conditions.append((Case.state == CaseState.ACCEPTED.value)
                          & (CaseFacts.due_on < today))
    if wanted.before is not None:
        conditions.append(Case.id < wanted.before)
    return conditions


def _read_matter(case_id: int, sealing: SealingKey) -> _Matter:
    """The matter named by the newest revision's sealed content (nothing when it does not
    open: the case still shows, unfiltered by matter)."""
    newest = (Envelope.select().where(Envelope.case == case_id)
              .order_by(Envelope.revision.desc()).first())
    if newest is None:
        return _Matter()
    try:
        content = envelopes.open_content(
            envelopes.verify(bytes(newest.data), public_key_from_raw(bytes(newest.station_key))),
            sealing)
    except SyncError:
        return _Matter()
    part = content.get("case")
    part = part if isinstance(part, dict) else {}
    version = part.get("catalog_version")
    return _Matter(_short(part.get("matter_code")), _short(part.get("matter_name")),
                   version if type(version) is int and 0 <= version <= MAX_NUMBER else None)


def _short(value: Any) -> str | None:
    return value[:MAX_NAME] if isinstance(value, str) else None
