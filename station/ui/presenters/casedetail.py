"""One case: its answers, materials, timeline and receipts, and what can be done next."""

from __future__ import annotations

from dataclasses import dataclass

from forms.catalog import Catalog
from forms.model import Matter
from forms.validators import format_id_number
from station.cases import EvaluationStage
from station.clock import to_local
from station.i18n import _
from station.lifecycle import EDITABLE, CaseState, Transition, allowed, state_label
from station.models import (
    Case,
    DeferredMaterial,
    MaterialFile,
    MaterialRequirement,
    OutboxItem,
)
from station.printing import DocumentKind, PrintService, RenderedPdf, display
from station.session import Session
from station.ui.presenters.form import FormPresenter


@dataclass(frozen=True)
class Line:
    label: str
    text: str


def _day(value) -> str:  # noqa: ANN001 - a date or None
    return display.day(value) if value else ""


def _moment(value) -> str:  # noqa: ANN001 - a naive-UTC datetime
    return display.moment(to_local(value))


class CaseDetailPresenter:
    def __init__(self, session: Session, catalog: Catalog, case_uuid: str) -> None:
        self._session = session
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
                parts.append(_("to bring by {date}").format(date=_day(deferral.promised_date)))
            lines.append(Line(requirement.name, "；".join(parts) or _("none")))
        return lines

    def timeline(self) -> list[Line]:
        lines = []
        for step in self._session.cases.timeline(self.case.uuid):
            who = step.agent.display_name if step.agent else _("Township platform")
            text = f"{state_label(CaseState(step.to_state))} · {who}"
            if step.reason:
                text += f" · {step.reason}"
            lines.append(Line(_moment(step.at), text))
        for item in self.case.outbox_items.order_by(OutboxItem.seq):
            receipt = item.receipts.first()
            text = _("Upload #{seq} ({kind}): {state}").format(
                seq=item.seq, kind=item.kind, state=item.state)
            if receipt is not None and receipt.township_number:
                text += " · " + _("township number {n}").format(n=receipt.township_number)
            lines.append(Line(_moment(item.created_at), text))
        return lines

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
