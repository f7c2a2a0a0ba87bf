"""Case services: drafts, answers, the lifecycle, township status events, evaluation.

Every method runs in one transaction: it either makes its whole change — case row,
timeline entry, outbox item, audit entry — or raises a typed error and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Callable, Protocol, Sequence

from station import readiness
from station.audit import Action
from station.clock import to_local
from station.context import ServiceContext, get_case
from station.errors import StationError
from station.i18n import _
from station.lifecycle import (
    EDITABLE,
    TOWNSHIP_TRANSITIONS,
    CaseState,
    InvalidTransitionError,
    Transition,
    next_state,
)
from station.models import Applicant, Case, CaseTransition, Evaluation, MaterialRequirement
from station.outbox import ItemKind, in_flight
from station.supplements import MissingItem, record_return

log = logging.getLogger(__name__)


class MaterialSpec(Protocol):
    code: str
    name: str
    form: str
    copies: int
    deferrable: bool
    notes: str | None


class TimeLimitsSpec(Protocol):
    promised_days: int | None


class MatterSpec(Protocol):
    """What the case services need of a matter definition (``forms.model.Matter``)."""

    code: str
    name: str
    materials: Sequence[MaterialSpec]
    time_limits: TimeLimitsSpec


class Deadlines(Protocol):
    """Working-day arithmetic (``forms.calendar.WorkCalendar`` provides it)."""

    def add_working_days(self, start: date, days: int) -> Any: ...


class EvaluationLevel(StrEnum):
    """The five levels of 好差评."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"


def level_label(level: EvaluationLevel) -> str:
    """One of the five levels of 好差评, as the applicant reads it."""
    labels = {
        EvaluationLevel.VERY_SATISFIED: _("Very satisfied"),
        EvaluationLevel.SATISFIED: _("Satisfied"),
        EvaluationLevel.BASICALLY_SATISFIED: _("Basically satisfied"),
        EvaluationLevel.DISSATISFIED: _("Dissatisfied"),
        EvaluationLevel.VERY_DISSATISFIED: _("Very dissatisfied"),
    }
    return labels[EvaluationLevel(level)]


class EvaluationStage(StrEnum):
    INTAKE = "intake"
    DELIVERY = "delivery"


class CaseEditError(StationError):
    """The case cannot be edited in its current state."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _(
            "This case can no longer be changed: only drafts and returned cases can be edited."))


class CaseInFlightError(CaseEditError):
    """An earlier revision of the case is being sent: it must not change under it."""

    def __init__(self) -> None:
        super().__init__(_("This case is being sent to the township; it can be changed again "
                           "once the township has confirmed it (after the next sync)."))


class SubmissionIncompleteError(StationError):
    """The case is not ready to submit; ``problems`` lists what is missing."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The case is not complete yet:") + "\n" + "\n".join(f"- {p}" for p in problems)
        )
        self.problems = problems


class EvaluationError(StationError):
    """An evaluation was recorded at the wrong time or twice."""


@dataclass(frozen=True)
class StatusEvent:
    """A township decision about a case (arrives signed through sync). A return may list
    what is missing and why (``missing``, the township's checklist)."""

    event_id: str
    transition: Transition
    reason: str | None = None
    result_text: str | None = None
    approved: bool | None = None
    missing: tuple[MissingItem, ...] = ()


class CaseService:
    """Creates and moves cases in the name of the logged-in agent."""

    def __init__(self, ctx: ServiceContext, deadlines: Deadlines) -> None:
        self._ctx = ctx
        self._deadlines = deadlines

    def create_draft(
        self,
        matter: MatterSpec,
        catalog_version: int,
        applicant: Applicant,
        answers: dict[str, Any] | None = None,
    ) -> Case:
        """Start a case for ``applicant`` and copy the matter's material requirements."""
        ctx = self._ctx
        with ctx.atomic():
            now = ctx.clock.now()
            case = Case.create(
                uuid=str(uuid.uuid4()),
                local_number=self._next_local_number(now),
                matter_code=matter.code,
                matter_name=matter.name,
                catalog_version=catalog_version,
                applicant=applicant,
                agent=ctx.agent,
                answers=answers or {},
                state=str(CaseState.DRAFT),
                created_at=now,
                updated_at=now,
            )
            for position, spec in enumerate(matter.materials):
                MaterialRequirement.create(
                    case=case,
                    code=spec.code,
                    name=spec.name,
                    form=spec.form,
                    copies=spec.copies,
                    deferrable=spec.deferrable,
                    notes=spec.notes,
                    position=position,
                )
            self._timeline(case, None, CaseState.DRAFT, None, None)
            ctx.record(Action.CREATE, "case", case.uuid, {"local_number": case.local_number})
        log.info("case %s created", case.uuid)
        return case

    def _next_local_number(self, now: datetime) -> str:
        prefix = f"{self._ctx.station.code}-{to_local(now):%Y%m%d}-"
        last = (
            Case.select(Case.local_number)
            .where((Case.local_number >= prefix) & (Case.local_number < prefix + "\U0010ffff"))
            .order_by(Case.local_number.desc())
            .limit(1)
            .scalar()
        )
        counter = int(last[len(prefix) :]) + 1 if last else 1
        return f"{prefix}{counter:04d}"

    def open(self, case_uuid: str) -> Case:
        """The case, for showing it to the agent (recorded as a view)."""
        with self._ctx.atomic():
            case = get_case(case_uuid)
            self._ctx.record(Action.VIEW, "case", case.uuid)
        return case

    def update_answers(
        self,
        case_uuid: str,
        answers: dict[str, Any],
        overrides: dict[str, str] | None = None,
    ) -> Case:
        """Replace the form answers of an editable case, and the warnings the agent
        overrode (field path -> reason), when given."""
        with self._ctx.atomic():
            case = editable_case(case_uuid)
            case.answers = answers
            if overrides is not None:
                case.overrides = {path: reason for path, reason in overrides.items() if reason}
            case.updated_at = self._ctx.clock.now()
            case.save()
            self._ctx.record(Action.EDIT, "case", case.uuid, {"what": "answers"})
        return case

    def submit(self, case_uuid: str, matter: MatterSpec, reason: str | None = None) -> Case:
        """Queue a draft (or a returned case's supplement) for upload.

        Raises SubmissionIncompleteError when the form or the materials are not complete,
        InvalidTransitionError from any other state.
        """
        ctx = self._ctx
        with ctx.atomic():
            case = get_case(case_uuid)
            target = next_state(CaseState(case.state), Transition.QUEUE)
            problems = readiness.problems(case, matter)
            if problems:
                raise SubmissionIncompleteError(problems)
            if case.queued_at is None:
                self._promise(case, matter)
            case.queued_at = ctx.clock.now()
            self._move(case, target, reason)
            ctx.outbox.enqueue(case, ItemKind.SUBMISSION)
        log.info("case %s queued", case.uuid)
        return case

    def _promise(self, case: Case, matter: MatterSpec) -> None:
        days = matter.time_limits.promised_days
        if days is None:
            return
        deadline = self._deadlines.add_working_days(self._ctx.clock.today(), days)
        case.promised_date = deadline.date
        case.promised_provisional = deadline.provisional

    def discard(self, case_uuid: str, reason: str | None = None) -> Case:
        """Discard a draft; its pages are purged by the material service."""
        with self._ctx.atomic():
            case = get_case(case_uuid)
            self._move(case, next_state(CaseState(case.state), Transition.DISCARD), reason)
            self._ctx.record(Action.DELETE, "case", case.uuid)
        return case

    def withdraw(self, case_uuid: str, reason: str) -> Case:
        """Withdraw a queued or accepted case at the applicant's request."""
        with self._ctx.atomic():
            case = get_case(case_uuid)
            self._move(case, next_state(CaseState(case.state), Transition.WITHDRAW), reason)
            self._ctx.outbox.enqueue(case, ItemKind.WITHDRAWAL)
        return case

    def apply_status_event(self, case_uuid: str, event: StatusEvent) -> Case:
        """Apply a township decision; applying the same event twice changes nothing.

        A return's checklist is kept with it. Raises ValueError for an event the township
        cannot send (not a township transition, a checklist without a return),
        InvalidTransitionError, CaseNotFoundError.
        """
        if event.transition not in TOWNSHIP_TRANSITIONS:
            raise ValueError(f"{event.transition} is not a township transition")
        if event.missing and event.transition is not Transition.RETURN:
            raise ValueError("only a return lists missing items")
        with self._ctx.atomic():
            case = get_case(case_uuid)
            if CaseTransition.get_or_none(CaseTransition.event_id == event.event_id):
                return case
            target = next_state(CaseState(case.state), event.transition)
            if event.transition is Transition.COMPLETE:
                case.result_text = event.result_text
                case.result_approved = event.approved
            self._move(case, target, event.reason, event_id=event.event_id, by_township=True)
            if event.transition is Transition.RETURN:
                record_return(case, event.event_id, event.missing, self._ctx.clock.now())
            self._ctx.audit.record(
                Action.SYNC, "case", case.uuid, agent_login=None, detail={"event": event.event_id}
            )
        return case

    def record_delivery(self, case_uuid: str, note: str | None = None) -> Case:
        """The result was handed to the applicant."""
        with self._ctx.atomic():
            case = get_case(case_uuid)
            self._move(case, next_state(CaseState(case.state), Transition.DELIVER), note)
            case.delivered_at = self._ctx.clock.now()
            case.save()
            self._ctx.outbox.enqueue(case, ItemKind.DELIVERY)
        return case

    def close(self, case_uuid: str, reason: str | None = None) -> Case:
        """Close a delivered case."""
        with self._ctx.atomic():
            case = get_case(case_uuid)
            self._move(case, next_state(CaseState(case.state), Transition.CLOSE), reason)
        return case

    def record_evaluation(
        self,
        case_uuid: str,
        stage: EvaluationStage,
        level: EvaluationLevel,
        comment: str | None = None,
    ) -> Evaluation:
        """Record the applicant's rating after intake or after delivery (once per stage)."""
        ctx, level = self._ctx, EvaluationLevel(level)
        with ctx.atomic():
            case = get_case(case_uuid)
            _check_evaluation_time(case, stage)
            evaluation = Evaluation.create(
                case=case,
                stage=str(stage),
                level=str(level),
                comment=comment or None,
                agent=ctx.agent,
                created_at=ctx.clock.now(),
            )
            ctx.outbox.enqueue(case, ItemKind.EVALUATION)
            ctx.record(Action.CREATE, "evaluation", case.uuid, {"stage": str(stage)})
        return evaluation

    def timeline(self, case_uuid: str) -> list[CaseTransition]:
        """Every transition of the case, oldest first."""
        case = get_case(case_uuid)
        return list(case.transitions.order_by(CaseTransition.at, CaseTransition.id))

    def _move(
        self,
        case: Case,
        target: CaseState,
        reason: str | None,
        *,
        event_id: str | None = None,
        by_township: bool = False,
    ) -> None:
        source = CaseState(case.state)
        case.state = str(target)
        case.updated_at = self._ctx.clock.now()
        case.save()
        self._timeline(case, source, target, reason, event_id, by_township=by_township)
        if not by_township:
            self._ctx.record(
                Action.EDIT, "case", case.uuid, {"from": str(source), "to": str(target)}
            )

    def _timeline(
        self,
        case: Case,
        source: CaseState | None,
        target: CaseState,
        reason: str | None,
        event_id: str | None,
        *,
        by_township: bool = False,
    ) -> None:
        CaseTransition.create(
            case=case,
            from_state=str(source) if source else None,
            to_state=str(target),
            agent=None if by_township else self._ctx.agent,
            reason=reason,
            event_id=event_id,
            at=self._ctx.clock.now(),
        )


# The states in which a promised date still runs.
_PROMISE_RUNS = (CaseState.QUEUED, CaseState.UPLOADED, CaseState.ACCEPTED, CaseState.RETURNED)


def recompute_promises(deadlines: Deadlines, promised_days: Callable[[Case], int | None],
                       years: Sequence[int], at: datetime) -> list[Case]:
    """Recompute, with ``deadlines``, the promised date of every open case whose date was
    provisional (computed before the calendar of ``years`` was known), counting from the
    day it was first queued; call inside the caller's transaction.

    Each case whose date or provisional flag changes gets a timeline entry in its own
    state saying so. Returns those cases.
    """
    changed = []
    query = Case.select().where(Case.promised_provisional == True,  # noqa: E712 - SQL
                                Case.state.in_([str(state) for state in _PROMISE_RUNS]))
    for case in query:
        days, start = promised_days(case), _first_queued(case)
        if days is None or start is None:
            continue
        deadline = deadlines.add_working_days(start, days)
        if (deadline.date, deadline.provisional) != (case.promised_date, True):
            _note_new_promise(case, deadline, years, at)
            changed.append(case)
    return changed


def _first_queued(case: Case) -> date | None:
    step = (case.transitions.where(CaseTransition.to_state == str(CaseState.QUEUED))
            .order_by(CaseTransition.at, CaseTransition.id).first())
    return None if step is None else to_local(step.at).date()


def _note_new_promise(case: Case, deadline: Any, years: Sequence[int], at: datetime) -> None:
    reason = _("The promised completion date was recomputed with the {years} holiday "
               "calendar: {old} → {new}").format(
        years="、".join(str(year) for year in years),
        old=case.promised_date.isoformat() if case.promised_date else "—",
        new=deadline.date.isoformat())
    case.promised_date, case.promised_provisional = deadline.date, deadline.provisional
    case.save()
    CaseTransition.create(case=case, from_state=case.state, to_state=case.state, agent=None,
                          reason=reason, event_id=None, at=at)


def editable_case(case_uuid: str) -> Case:
    """The case if its answers and materials may change; raises CaseEditError."""
    case = get_case(case_uuid)
    if CaseState(case.state) not in EDITABLE:
        raise CaseEditError()
    if in_flight(case):
        raise CaseInFlightError()
    return case


def _check_evaluation_time(case: Case, stage: EvaluationStage) -> None:
    state = CaseState(case.state)
    if stage is EvaluationStage.INTAKE and state in (CaseState.DRAFT, CaseState.DISCARDED):
        raise EvaluationError(_("The intake can be rated once the case has been submitted."))
    if stage is EvaluationStage.DELIVERY and state not in (CaseState.DELIVERED, CaseState.CLOSED):
        raise EvaluationError(_("The delivery can be rated once the result has been delivered."))
    if Evaluation.get_or_none((Evaluation.case == case) & (Evaluation.stage == str(stage))):
        raise EvaluationError(_("This case has already been rated at this stage."))


__all__ = [
    "CaseService",
    "CaseEditError",
    "EvaluationError",
    "EvaluationLevel",
    "EvaluationStage",
    "InvalidTransitionError",
    "MissingItem",
    "StatusEvent",
    "SubmissionIncompleteError",
    "editable_case",
    "recompute_promises",
]
