"""The one-time notice (一次性告知书): everything still missing or to correct, at once.

It lists the form's problems (from ``forms.evaluate`` on the case's answers), the
materials without pages — those accepted missing with the date promised, the deferrable
ones marked as such — the township's reasons and its checklist when it returned the case
(the points not yet settled by pages added or the agent's resolution), and the essentials
of the matter's guide: conditions, time limits, fees, where to bring the materials and how
the result is delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

import forms
from forms.model import Matter
from station.context import ServiceContext, get_case
from station.i18n import _
from station.lifecycle import CaseState
from station.models import (
    Case,
    CaseTransition,
    DeferredMaterial,
    MaterialFile,
    MaterialRequirement,
)
from station.printing.documents import DocumentKind, Heading, heading, requirements
from station.printing.errors import MatterMismatchError
from station.supplements import checklist

_PATH_PART = re.compile(r"(?P<id>[^.\[\]]+)(?:\[(?P<row>[0-9]+)\])?")


class MissingStatus(StrEnum):
    REQUIRED = "required"  # needed before the case can be accepted
    DEFERRABLE = "deferrable"  # may be accepted missing with a promised date
    DEFERRED = "deferred"  # accepted missing; ``promised_date`` says by when


@dataclass(frozen=True)
class FormProblem:
    """One problem of the application form: the field (as the form labels it) and what
    is wrong with it."""

    field: str
    message: str


@dataclass(frozen=True)
class MissingMaterial:
    name: str
    form: str
    copies: int
    status: MissingStatus
    promised_date: date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class TownshipPoint:
    """One point of the township's checklist for a returned case: the material (or matter)
    as the township wrote it and why it was returned."""

    name: str
    reason: str


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: Decimal
    basis: str


@dataclass(frozen=True)
class GuideEssentials:
    """What the applicant should know of the matter's guide (办事指南)."""

    conditions: tuple[str, ...]
    department: str
    statutory_days: int | None
    promised_days: int
    time_note: str | None
    free: bool
    fees: tuple[FeeLine, ...]
    delivery_methods: tuple[str, ...]
    delivery_note: str | None


@dataclass(frozen=True)
class OneTimeNotice:
    """一次性告知书. ``township_remarks`` is the township's reason when it returned the
    case for supplement, else None; ``township_points`` its checklist points still open."""

    KIND: ClassVar[DocumentKind] = DocumentKind.NOTICE

    heading: Heading
    form_problems: tuple[FormProblem, ...]
    missing: tuple[MissingMaterial, ...]
    township_remarks: str | None
    township_points: tuple[TownshipPoint, ...]
    guide: GuideEssentials

    @property
    def complete(self) -> bool:
        """True when nothing is missing or to correct."""
        return not (
            self.form_problems or self.missing or self.township_remarks or self.township_points
        )


def build_notice(ctx: ServiceContext, case_uuid: str, matter: Matter) -> OneTimeNotice:
    """The one-time notice of a case, evaluated against ``matter`` (the definition the
    case was started with).

    Raises CaseNotFoundError, or MatterMismatchError when ``matter`` is another matter.
    """
    case = get_case(case_uuid)
    if matter.code != case.matter_code:
        raise MatterMismatchError(_("This matter definition does not belong to the case."))
    evaluation = forms.evaluate(
        matter, case.answers, overrides=case.overrides, today=ctx.clock.today()
    )
    problems = [*evaluation.errors, *evaluation.warnings]
    return OneTimeNotice(
        heading=heading(ctx, case, mask=True),
        form_problems=tuple(
            FormProblem(field_label(matter, issue.path), issue.message) for issue in problems
        ),
        missing=missing_materials(case, {m.code for m in evaluation.materials}),
        township_remarks=township_remarks(case),
        township_points=township_points(case),
        guide=guide_essentials(matter),
    )


def field_label(matter: Matter, path: str) -> str:
    """The form's words for a field path such as ``members[1].name``:
    ``家庭成员第2项 / 姓名``. Unknown ids are shown as they are."""
    parts = []
    for match in _PATH_PART.finditer(path):
        field = matter.field_index.get(match["id"])
        label = field.label if field is not None else match["id"]
        if match["row"] is not None:
            label = _("{group} no. {n}").format(group=label, n=int(match["row"]) + 1)
        parts.append(label)
    return " / ".join(parts)


def missing_materials(case: Case, needed: set[str]) -> tuple[MissingMaterial, ...]:
    """The needed materials of which the station holds no page."""
    found = []
    for requirement in requirements(case):
        if requirement.code not in needed or _has_pages(requirement):
            continue
        deferral = requirement.deferrals.where(DeferredMaterial.fulfilled_at.is_null()).first()
        if deferral is not None:
            status, promised = MissingStatus.DEFERRED, deferral.promised_date
        else:
            status = MissingStatus.DEFERRABLE if requirement.deferrable else MissingStatus.REQUIRED
            promised = None
        found.append(
            MissingMaterial(
                requirement.name,
                requirement.form,
                requirement.copies,
                status,
                promised,
                requirement.notes,
            )
        )
    return tuple(found)


def _has_pages(requirement: MaterialRequirement) -> bool:
    return requirement.pages.where(MaterialFile.blob_name.is_null(False)).exists()


def township_remarks(case: Case) -> str | None:
    """Why the township returned the case, while it waits for the supplement."""
    if CaseState(case.state) is not CaseState.RETURNED:
        return None
    last = (
        CaseTransition.select(CaseTransition.reason)
        .where((CaseTransition.case == case) & (CaseTransition.to_state == str(CaseState.RETURNED)))
        .order_by(CaseTransition.at.desc(), CaseTransition.id.desc())
        .first()
    )
    return last.reason if last is not None and last.reason else None


def township_points(case: Case) -> tuple[TownshipPoint, ...]:
    """The returned case's checklist points not yet settled by pages added since the
    return or by the agent's resolution."""
    if CaseState(case.state) is not CaseState.RETURNED:
        return ()
    return tuple(
        TownshipPoint(entry.name, entry.reason)
        for entry in checklist(case)
        if not (entry.pages_added or entry.resolved)
    )


def guide_essentials(matter: Matter) -> GuideEssentials:
    """The parts of the matter's guide that the notice repeats."""
    return GuideEssentials(
        conditions=matter.conditions,
        department=matter.department,
        statutory_days=matter.time_limits.statutory_days,
        promised_days=matter.time_limits.promised_days,
        time_note=matter.time_limits.note,
        free=matter.fees.free,
        fees=tuple(FeeLine(fee.name, fee.amount, fee.basis) for fee in matter.fees.items),
        delivery_methods=matter.delivery.methods,
        delivery_note=matter.delivery.note,
    )
