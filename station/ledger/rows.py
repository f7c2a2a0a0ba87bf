"""The ledger's rows: cases created in a period, read in batches so memory stays flat.

A batch is one keyset page over the (created_at, id) index plus one query each for its
deferred materials, completions, evaluations and reasons, so 100,000 cases cost a few
hundred queries, not a few per case. Discarded drafts were never received and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

from peewee import Tuple

from station.cases import EvaluationLevel, EvaluationStage
from station.ledger.period import local_date, utc_bounds
from station.lifecycle import CaseState
from station.models import (
    Agent,
    Applicant,
    Case,
    CaseTransition,
    DeferredMaterial,
    Evaluation,
    MaterialRequirement,
)

BATCH = 500
# The current state of a case in one of these carries the reason it was given.
_REASONED = (CaseState.RETURNED, CaseState.REFUSED, CaseState.WITHDRAWN)


@dataclass(frozen=True)
class Deferral:
    """A material accepted missing, the date it was promised, and when it arrived."""

    material: str
    promised: date
    fulfilled_on: date | None


@dataclass(frozen=True)
class LedgerRow:
    """One case as the ledger shows it."""

    local_number: str
    received_on: date
    matter_name: str
    applicant_name: str
    id_number: str | None
    phone: str | None
    state: CaseState
    deferrals: tuple[Deferral, ...]
    promised_date: date | None
    promised_provisional: bool
    completed_on: date | None
    delivered_on: date | None
    agent_name: str
    evaluations: tuple[tuple[EvaluationStage, EvaluationLevel], ...]
    approved: bool | None
    reason: str | None


def _in_period(start: date, end: date):  # noqa: ANN202 - a peewee expression
    since, until = utc_bounds(start, end)
    return (
        (Case.created_at >= since)
        & (Case.created_at < until)
        & (Case.state != str(CaseState.DISCARDED))
    )


def count_rows(start: date, end: date) -> int:
    """How many cases the ledger of ``start``..``end`` lists; raises LedgerPeriodError."""
    return Case.select().where(_in_period(start, end)).count()


def ledger_batches(start: date, end: date, size: int = BATCH) -> Iterator[list[LedgerRow]]:
    """The ledger's rows in filing order, ``size`` at a time; raises LedgerPeriodError."""
    condition = _in_period(start, end)
    after: tuple[datetime, int] | None = None
    while True:
        cases = _case_batch(condition, after, size)
        if not cases:
            return
        yield _rows(cases)
        after = (cases[-1].created_at, cases[-1].id)


def _case_batch(condition, after: tuple[datetime, int] | None, size: int) -> list:  # noqa: ANN001
    if after is not None:  # the first term lets the index start at the cursor
        since, case_id = after
        condition &= (Case.created_at >= since) & (
            Tuple(Case.created_at, Case.id) > Tuple(since, case_id)
        )
    query = (
        Case.select(
            Case.id,
            Case.local_number,
            Case.created_at,
            Case.matter_name,
            Case.state,
            Case.promised_date,
            Case.promised_provisional,
            Case.result_approved,
            Case.delivered_at,
            Applicant.name.alias("applicant_name"),
            Applicant.id_number,
            Applicant.phone,
            Agent.display_name.alias("agent_name"),
        )
        .join(Applicant)
        .switch(Case)
        .join(Agent)
        .where(condition)
        .order_by(Case.created_at, Case.id)
        .limit(size)
    )
    return list(query.namedtuples())


def _rows(cases: list) -> list[LedgerRow]:
    ids = [case.id for case in cases]
    deferrals = _deferrals(ids)
    completed = _last_transitions(ids, (CaseState.COMPLETED,))
    reasons = _last_transitions(ids, _REASONED)
    evaluations = _evaluations(ids)
    rows = []
    for case in cases:
        state = CaseState(case.state)
        reason = reasons.get((case.id, state))
        completion = completed.get((case.id, CaseState.COMPLETED))
        rows.append(
            LedgerRow(
                local_number=case.local_number,
                received_on=local_date(case.created_at),
                matter_name=case.matter_name,
                applicant_name=case.applicant_name,
                id_number=case.id_number,
                phone=case.phone,
                state=state,
                deferrals=tuple(deferrals.get(case.id, ())),
                promised_date=case.promised_date,
                promised_provisional=bool(case.promised_provisional),
                completed_on=local_date(completion.at) if completion else None,
                delivered_on=local_date(case.delivered_at),
                agent_name=case.agent_name,
                evaluations=tuple(evaluations.get(case.id, ())),
                approved=case.result_approved,
                reason=reason.reason if reason else None,
            )
        )
    return rows


def _deferrals(ids: list[int]) -> dict[int, list[Deferral]]:
    query = (
        DeferredMaterial.select(
            MaterialRequirement.case.alias("case_id"),
            MaterialRequirement.name,
            DeferredMaterial.promised_date,
            DeferredMaterial.fulfilled_at,
        )
        .join(MaterialRequirement)
        .where(MaterialRequirement.case.in_(ids))
        .order_by(MaterialRequirement.case, MaterialRequirement.position)
    )
    found: dict[int, list[Deferral]] = {}
    for item in query.namedtuples():
        deferral = Deferral(item.name, item.promised_date, local_date(item.fulfilled_at))
        found.setdefault(item.case_id, []).append(deferral)
    return found


def _last_transitions(
    ids: list[int], states: tuple[CaseState, ...]
) -> dict[tuple[int, CaseState], CaseTransition]:
    """The latest transition of each case into each of ``states``."""
    query = (
        CaseTransition.select(
            CaseTransition.case, CaseTransition.to_state, CaseTransition.at, CaseTransition.reason
        )
        .where(
            CaseTransition.case.in_(ids)
            & CaseTransition.to_state.in_([str(state) for state in states])
        )
        .order_by(CaseTransition.at, CaseTransition.id)
    )
    return {(step.case_id, CaseState(step.to_state)): step for step in query}


def _evaluations(ids: list[int]) -> dict[int, list[tuple[EvaluationStage, EvaluationLevel]]]:
    query = (
        Evaluation.select(Evaluation.case, Evaluation.stage, Evaluation.level)
        .where(Evaluation.case.in_(ids))
        .order_by(Evaluation.created_at, Evaluation.id)
    )
    found: dict[int, list[tuple[EvaluationStage, EvaluationLevel]]] = {}
    for item in query:
        pair = (EvaluationStage(item.stage), EvaluationLevel(item.level))
        found.setdefault(item.case_id, []).append(pair)
    return found
