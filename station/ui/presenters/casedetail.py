"""One case: its answers, materials, timeline and receipts, and what can be done next.

A returned case shows the township's checklist (补正) with what settles each point; a
submitted case with materials accepted missing can receive them when they are brought.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from forms.catalog import Catalog
from forms.model import Matter
from forms.validators import format_id_number
from station.cases import EvaluationStage
from station.clock import to_local
from station.i18n import _
from station.importer import CancelToken, ImportProgress, ImportReport, import_pages
from station.lifecycle import EDITABLE, CaseState, Transition, allowed, state_label
from station.maintenance import WORK_DIR
from station.materials import RECEIVING_STATES, MaterialService
from station.models import (
    Case,
    CaseTransition,
    DeferredMaterial,
    MaterialFile,
    MaterialRequirement,
    OutboxItem,
)
from station.outbox import kind_label
from station.printing import DocumentKind, PrintService, RenderedPdf, display
from station.printing.notice import township_remarks
from station.session import Session
from station.supplements import ChecklistEntry, SupplementService, items_of
from station.ui.presenters.form import FormPresenter


@dataclass(frozen=True)
class Line:
    label: str
    text: str


@dataclass(frozen=True)
class ChecklistLine:
    """A point of the township's checklist: ``blocking`` while it keeps the supplement
    from being submitted, ``resolvable`` while the agent may still mark it resolved."""

    item_id: int
    name: str
    reason: str
    status: str
    blocking: bool
    resolvable: bool


@dataclass(frozen=True)
class DeferralLine:
    """A material accepted missing and not brought yet."""

    code: str
    name: str
    promised_date: date
    overdue: bool
    text: str


class _DeferredIntake:
    """The importer stores pages through ``attach_pages``; this routes them to
    ``MaterialService.receive_deferred`` instead (a case no longer editable)."""

    def __init__(self, materials: MaterialService) -> None:
        self._materials = materials

    def attach_pages(
        self, case_uuid: str, code: str, sources: Sequence[Path]
    ) -> list[MaterialFile]:
        return self._materials.receive_deferred(case_uuid, code, sources)


def _day(value) -> str:  # noqa: ANN001 - a date or None
    return display.day(value) if value else ""


def _moment(value) -> str:  # noqa: ANN001 - a naive-UTC datetime
    return display.moment(to_local(value))


class CaseDetailPresenter:
    def __init__(self, session: Session, catalog: Catalog, case_uuid: str) -> None:
        self._session = session
        self._supplements = SupplementService(session.ctx)
        self.case = session.cases.open(case_uuid)
        self.matter: Matter = catalog.matter(self.case.matter_code)

    def reload(self) -> None:
        self.case = Case.get_by_id(self.case.id)

    @property
    def state(self) -> CaseState:
        return CaseState(self.case.state)

    def summary(self) -> list[Line]:
        case, applicant = self.case, self.case.applicant
        id_number = format_id_number(applicant.id_number) if applicant.id_number else ""
        lines = [
            Line(_("Case number"), case.local_number),
            Line(_("Matter"), f"{case.matter_name}（{case.matter_code}）"),
            Line(_("Applicant"), f"{applicant.name} {id_number}".strip()),
            Line(_("State"), state_label(self.state)),
            Line(_("Received"), _day(to_local(case.created_at))),
            Line(_("Promised by"), _day(case.promised_date)
                 + (_(" (provisional)") if case.promised_provisional else "")),
        ]
        if case.result_text:
            lines.append(Line(_("Result"), case.result_text))
        overdue = [line.name for line in self.open_deferrals() if line.overdue]
        if overdue:
            lines.append(Line(_("Overdue materials"), "、".join(overdue)))
        return lines

    def answers(self) -> list[Line]:
        """The form as answered, in the definition's order (hidden fields left out)."""
        form = FormPresenter(self.matter, self.case.answers, self.case.overrides,
                             today=self._session.ctx.clock.today())
        lines = []
        for state in form.state().fields.values():
            if state.visible and state.text and state.field.type != "group":
                lines.append(Line(state.field.label, state.text))
        return lines

    def materials(self) -> list[Line]:
        lines = []
        for requirement in self.case.requirements.order_by(MaterialRequirement.position):
            pages = requirement.pages.where(MaterialFile.blob_name.is_null(False)).count()
            purged = requirement.pages.where(MaterialFile.purged_at.is_null(False)).count()
            deferral = requirement.deferrals.first()
            parts = [_("{n} pages").format(n=pages)] if pages else []
            if purged:
                parts.append(_("{n} pages purged after retention").format(n=purged))
            if deferral is not None and deferral.fulfilled_at is None:
                parts.append(self._deferral_text(deferral.promised_date))
            lines.append(Line(requirement.name, "；".join(parts) or _("none")))
        return lines

    def _deferral_text(self, promised: date) -> str:
        if promised < self._session.ctx.clock.today():
            return _("OVERDUE: was to be brought by {date}").format(date=_day(promised))
        return _("to bring by {date}").format(date=_day(promised))

    def timeline(self) -> list[Line]:
        """Every step (a return with the township's reason and checklist), then uploads."""
        steps = self._session.cases.timeline(self.case.uuid)
        points = items_of([step.event_id for step in steps if step.event_id])
        lines = []
        for step in steps:
            lines.append(Line(_moment(step.at), _step_text(step)))
            for point in points.get(step.event_id, []):
                lines.append(Line("", f"— {point.name}：{point.reason}"))
        for item in self.case.outbox_items.order_by(OutboxItem.seq):
            receipt = item.receipts.first()
            text = _("Upload #{seq} ({kind}): {state}").format(
                seq=item.seq, kind=kind_label(item.kind), state=item.state)
            if receipt is not None and receipt.township_number:
                text += " · " + _("township number {n}").format(n=receipt.township_number)
            lines.append(Line(_moment(item.created_at), text))
        return lines

    def checklist(self) -> list[ChecklistLine]:
        """The township's checklist of a returned case (resolved points too); [] otherwise."""
        if self.state is not CaseState.RETURNED:
            return []
        entries = self._supplements.checklist(self.case.uuid, include_resolved=True)
        return [_checklist_line(entry) for entry in entries]

    def return_reason(self) -> str | None:
        """Why the township returned the case, while it waits for the supplement."""
        return township_remarks(self.case)

    def mark_resolved(self, item_id: int, note: str) -> None:
        """Settle a checklist point without pages; raises the supplement service's errors."""
        self._supplements.mark_resolved(self.case.uuid, item_id, note)
        self.reload()

    def open_deferrals(self) -> list[DeferralLine]:
        """Materials accepted missing and not brought yet, overdue ones marked."""
        today = self._session.ctx.clock.today()
        query = (DeferredMaterial.select(DeferredMaterial, MaterialRequirement)
                 .join(MaterialRequirement)
                 .where((MaterialRequirement.case == self.case)
                        & DeferredMaterial.fulfilled_at.is_null())
                 .order_by(MaterialRequirement.position))
        return [DeferralLine(row.requirement.code, row.requirement.name, row.promised_date,
                             row.promised_date < today, self._deferral_text(row.promised_date))
                for row in query]

    def can_receive(self) -> bool:
        """Whether materials accepted missing can be received now (after submission)."""
        return self.state in RECEIVING_STATES and bool(self.open_deferrals())

    def receive_deferred(
        self,
        code: str,
        paths: Sequence[Path],
        *,
        progress: Callable[[ImportProgress], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ImportReport:
        """Prepare the files the applicant brought for a material accepted missing and add
        the good ones as its pages, queued for the township. Slow: runs on the worker.
        Raises what ``MaterialService.receive_deferred`` raises; then nothing was added."""
        intake = _DeferredIntake(self._session.materials)
        return import_pages(intake, self.case.uuid, code, paths,
                            progress=progress, cancel=cancel,
                            work_dir=self._session.paths.root / WORK_DIR)

    def can_edit(self) -> bool:
        return self.state in EDITABLE

    def can(self, transition: Transition) -> bool:
        return transition in allowed(self.state)

    def can_rate_delivery(self) -> bool:
        return self.state in (CaseState.DELIVERED, CaseState.CLOSED)

    def printable(self) -> list[tuple[DocumentKind, str]]:
        found = [(DocumentKind.NOTICE, _("One-time notice"))]
        if self.state is not CaseState.DRAFT:
            found.insert(0, (DocumentKind.RECEIPT, _("Intake receipt")))
        deferred = (DeferredMaterial.select().join(MaterialRequirement)
                    .where(MaterialRequirement.case == self.case).count())
        if deferred:
            found.append((DocumentKind.COMMITMENT, _("Commitment letter for missing materials")))
        return found

    def make_pdf(self, kind: DocumentKind) -> RenderedPdf:
        return PrintService(self._session).make_pdf(kind, self.case.uuid, self.matter)

    def withdraw(self, reason: str) -> None:
        reason = reason.strip() or _("at the applicant's request")
        self.case = self._session.cases.withdraw(self.case.uuid, reason)

    def deliver(self, note: str) -> None:
        self.case = self._session.cases.record_delivery(self.case.uuid, note.strip() or None)

    def close(self) -> None:
        self.case = self._session.cases.close(self.case.uuid)

    @staticmethod
    def delivery_stage() -> EvaluationStage:
        return EvaluationStage.DELIVERY


def _step_text(step: CaseTransition) -> str:
    who = step.agent.display_name if step.agent else _("Township platform")
    text = f"{state_label(CaseState(step.to_state))} · {who}"
    return f"{text} · {step.reason}" if step.reason else text


def _checklist_line(entry: ChecklistEntry) -> ChecklistLine:
    if entry.resolved:
        status = _("Resolved: {note}").format(note=entry.resolution_note)
    elif entry.pages_added:
        status = _("Pages added")
    elif entry.requirement_code is None:
        status = _("General point: correct it, then mark it resolved")
    elif entry.requirement_name is None:
        status = _("Not a material of this case: mark it resolved with a note")
    else:
        status = _("To do: add pages to \u201c{material}\u201d").format(
            material=entry.requirement_name)
    return ChecklistLine(entry.item_id, entry.name, entry.reason, status, entry.blocking,
                         not (entry.resolved or entry.pages_added))
