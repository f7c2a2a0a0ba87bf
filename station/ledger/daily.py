"""The station's day: what was received, how cases moved, ratings, deferred materials due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from typing import TYPE_CHECKING

from peewee import fn

from station.cases import EvaluationLevel
from station.context import ServiceContext
from station.ledger.access import connected, reading, service_context
from station.ledger.period import utc_bounds
from station.lifecycle import CaseState
from station.models import (
    Applicant,
    Case,
    CaseTransition,
    DeferredMaterial,
    Evaluation,
    MaterialRequirement,
)

if TYPE_CHECKING:
    from station.session import Session

# The moves a day's summary counts, in the order it shows them.
MOVES = (
    CaseState.QUEUED,
    CaseState.ACCEPTED,
    CaseState.RETURNED,
    CaseState.REFUSED,
    CaseState.COMPLETED,
    CaseState.DELIVERED,
    CaseState.WITHDRAWN,
)
# Cases in these states need nothing more from the applicant.
_ENDED = (CaseState.DISCARDED, CaseState.WITHDRAWN, CaseState.REFUSED, CaseState.CLOSED)


@dataclass(frozen=True)
class DeferredDue:
    """A deferred material not yet received, with whom to remind."""

    local_number: str
    matter_name: str
    applicant_name: str
    phone: str | None
    material: str
    promised: date


@dataclass(frozen=True)
class DailySummary:
    """One day at the station. ``moves`` counts the cases that entered each state that day
    (entering ``queued`` is a submission, first or after supplement)."""

    day: date
    received: tuple[tuple[str, int], ...]
    moves: dict[CaseState, int]
    evaluations: dict[EvaluationLevel, int]
    due: tuple[DeferredDue, ...]
    overdue: tuple[DeferredDue, ...]

    @property
    def received_total(self) -> int:
        return sum(count for _, count in self.received)

    @property
    def submitted(self) -> int:
        return self.moves.get(CaseState.QUEUED, 0)

    @property
    def returned(self) -> int:
        return self.moves.get(CaseState.RETURNED, 0)

    @property
    def completed(self) -> int:
        return self.moves.get(CaseState.COMPLETED, 0)

    @property
    def delivered(self) -> int:
        return self.moves.get(CaseState.DELIVERED, 0)


def daily_summary(source: "Session | ServiceContext", day: date) -> DailySummary:
    """The station's ``day`` (a China date), read in one snapshot from any thread."""
    ctx = service_context(source)
    with connected(ctx), reading(ctx):
        return _summary(day)


def _summary(day: date) -> DailySummary:
    return DailySummary(
        day=day,
        received=_received(day),
        moves=_moves(day),
        evaluations=_evaluations(day),
        due=_deferred(DeferredMaterial.promised_date == day),
        overdue=_deferred(DeferredMaterial.promised_date < day),
    )


def _received(day: date) -> tuple[tuple[str, int], ...]:
    since, until = utc_bounds(day, day)
    count = fn.COUNT(Case.id)
    query = (
        Case.select(Case.matter_name, count)
        .where(
            (Case.created_at >= since)
            & (Case.created_at < until)
            & (Case.state != str(CaseState.DISCARDED))
        )
        .group_by(Case.matter_name)
        .order_by(count.desc(), Case.matter_name)
    )
    return tuple(query.tuples())


def _moves(day: date) -> dict[CaseState, int]:
    since, until = utc_bounds(day, day)
    query = (
        CaseTransition.select(CaseTransition.to_state, fn.COUNT(CaseTransition.id))
        .where(
            (CaseTransition.at >= since)
            & (CaseTransition.at < until)
            & CaseTransition.to_state.in_([str(state) for state in MOVES])
        )
        .group_by(CaseTransition.to_state)
    )
    counted = dict(query.tuples())
    return {state: counted.get(str(state), 0) for state in MOVES}


def _evaluations(day: date) -> dict[EvaluationLevel, int]:
    since, until = utc_bounds(day, day)
    query = (
        Evaluation.select(Evaluation.level, fn.COUNT(Evaluation.id))
        .where((Evaluation.created_at >= since) & (Evaluation.created_at < until))
        .group_by(Evaluation.level)
    )
    counted = dict(query.tuples())
    return {level: counted.get(str(level), 0) for level in EvaluationLevel}


def _deferred(when) -> tuple[DeferredDue, ...]:  # noqa: ANN001 - a peewee expression
    query = (
        DeferredMaterial.select(
            Case.local_number,
            Case.matter_name,
            Applicant.name.alias("applicant_name"),
            Applicant.phone,
            MaterialRequirement.name.alias("material"),
            DeferredMaterial.promised_date,
        )
        .join(MaterialRequirement)
        .join(Case)
        .join(Applicant)
        .where(
            when
            & DeferredMaterial.fulfilled_at.is_null()
            & Case.state.not_in([str(state) for state in _ENDED])
        )
        .order_by(DeferredMaterial.promised_date, Case.local_number, MaterialRequirement.position)
    )
    return tuple(
        DeferredDue(
            item.local_number,
            item.matter_name,
            item.applicant_name,
            item.phone,
            item.material,
            item.promised_date,
        )
        for item in query.namedtuples()
    )
