"""The printed documents as plain data, built from the store.

Each builder reads one case and returns a frozen dataclass that the PDF renderer lays out;
no builder writes to the store. Personal data is cut down to what each paper needs: the
receipt and the notice, which the applicant takes home, show the ID and phone numbers
masked as government receipts do; the commitment letter, which the applicant signs and the
station files, identifies the signer with the whole ID number and leaves the phone out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from forms.validators import format_id_number
from station.clock import to_local
from station.context import ServiceContext, get_case
from station.i18n import _
from station.lifecycle import CaseState
from station.models import Case, CaseTransition, DeferredMaterial, MaterialRequirement
from station.printing import display
from station.printing.errors import DocumentUnavailableError


class DocumentKind(StrEnum):
    RECEIPT = "receipt"
    NOTICE = "notice"
    COMMITMENT = "commitment"


@dataclass(frozen=True)
class Heading:
    """Who and what a document is about. ``id_number`` and ``phone`` are already masked
    where the document asks for it; either is None when the applicant has none on file."""

    case_uuid: str
    case_number: str
    matter_name: str
    matter_code: str
    applicant_name: str
    id_number: str | None
    phone: str | None
    station_name: str
    township: str
    agent_name: str
    issued_on: date


@dataclass(frozen=True)
class ReceivedMaterial:
    name: str
    form: str
    copies: int
    pages: int


@dataclass(frozen=True)
class DeferredItem:
    """A material accepted missing (容缺) and the date the applicant promised it by."""

    name: str
    form: str
    copies: int
    promised_date: date
    note: str | None


@dataclass(frozen=True)
class IntakeReceipt:
    """收件回执: what the station received, what is still owed, and when it will be done."""

    KIND: ClassVar[DocumentKind] = DocumentKind.RECEIPT

    heading: Heading
    intake_at: datetime  # China time
    received: tuple[ReceivedMaterial, ...]
    deferred: tuple[DeferredItem, ...]
    promised_date: date | None
    promised_provisional: bool

    @property
    def qr_payload(self) -> str:
        """What the receipt's QR code carries: the case number."""
        return self.heading.case_number


@dataclass(frozen=True)
class CommitmentLetter:
    """容缺受理承诺书: the applicant promises to bring each deferred material by its date."""

    KIND: ClassVar[DocumentKind] = DocumentKind.COMMITMENT

    heading: Heading
    deferred: tuple[DeferredItem, ...]
    statement: str
    consequences: str


def build_receipt(ctx: ServiceContext, case_uuid: str) -> IntakeReceipt:
    """The intake receipt of a submitted case.

    Raises CaseNotFoundError, or DocumentUnavailableError for a draft or discarded case.
    """
    case = get_case(case_uuid)
    if CaseState(case.state) in (CaseState.DRAFT, CaseState.DISCARDED):
        raise DocumentUnavailableError(
            _("A receipt can be printed once the case has been submitted.")
        )
    return IntakeReceipt(
        heading=heading(ctx, case, mask=True),
        intake_at=to_local(intake_time(case)),
        received=received_materials(case),
        deferred=deferred_materials(case),
        promised_date=case.promised_date,
        promised_provisional=bool(case.promised_provisional),
    )


def build_commitment(ctx: ServiceContext, case_uuid: str) -> CommitmentLetter:
    """The deferred-materials commitment letter for the applicant to sign.

    Raises CaseNotFoundError, or DocumentUnavailableError when nothing is deferred.
    """
    case = get_case(case_uuid)
    deferred = deferred_materials(case)
    if not deferred:
        raise DocumentUnavailableError(
            _("No material of this case was accepted missing: there is nothing to commit to.")
        )
    top = heading(ctx, case, mask=False)
    statement = _(
        "I, {name}, apply for \u201c{matter}\u201d. The materials below cannot be provided "
        "yet; I ask that the application be accepted without them, and I promise to "
        "bring each of them to {station} by the date given:"
    ).format(name=top.applicant_name, matter=top.matter_name, station=top.station_name)
    return CommitmentLetter(top, deferred, statement, commitment_consequences())


def commitment_consequences() -> str:
    """What the applicant accepts by signing the commitment letter."""
    return _(
        "I promise that the information and materials I provide are true and valid. If I "
        "do not bring the materials above by the promised dates, or they do not match this "
        "commitment, I agree that the application will be ended and I bear the "
        "consequences; for false materials I bear the legal responsibility."
    )


def heading(ctx: ServiceContext, case: Case, *, mask: bool) -> Heading:
    """The heading of a document about ``case``; ``mask`` hides most of the ID and
    phone numbers (the phone is left out entirely when not masked)."""
    applicant = case.applicant
    id_number = applicant.id_number
    return Heading(
        case_uuid=case.uuid,
        case_number=case.local_number,
        matter_name=case.matter_name,
        matter_code=case.matter_code,
        applicant_name=applicant.name,
        id_number=format_id_number(id_number, mask=mask) if id_number else None,
        phone=display.mask_phone(applicant.phone) if mask and applicant.phone else None,
        station_name=ctx.station.name,
        township=ctx.station.township,
        agent_name=case.agent.display_name,
        issued_on=ctx.clock.today(),
    )


def intake_time(case: Case) -> datetime:
    """When the case was first submitted (naive UTC): its first step into the queue."""
    first = (
        CaseTransition.select(CaseTransition.at)
        .where((CaseTransition.case == case) & (CaseTransition.to_state == str(CaseState.QUEUED)))
        .order_by(CaseTransition.at, CaseTransition.id)
        .first()
    )
    return first.at if first is not None else case.queued_at or case.created_at


def requirements(case: Case) -> list[MaterialRequirement]:
    """The case's material requirements in the matter's order."""
    return list(case.requirements.order_by(MaterialRequirement.position))


def received_materials(case: Case) -> tuple[ReceivedMaterial, ...]:
    """Every material of which the station holds pages, with the page count."""
    found = []
    for requirement in requirements(case):
        pages = requirement.pages.count()
        if pages:
            found.append(
                ReceivedMaterial(requirement.name, requirement.form, requirement.copies, pages)
            )
    return tuple(found)


def deferred_materials(case: Case) -> tuple[DeferredItem, ...]:
    """The materials accepted missing and not yet brought, in the matter's order."""
    rows = (
        DeferredMaterial.select(DeferredMaterial, MaterialRequirement)
        .join(MaterialRequirement)
        .where((MaterialRequirement.case == case) & DeferredMaterial.fulfilled_at.is_null())
        .order_by(MaterialRequirement.position)
    )
    return tuple(deferred_item(row.requirement, row) for row in rows)


def deferred_item(requirement: MaterialRequirement, deferral: DeferredMaterial) -> DeferredItem:
    return DeferredItem(
        name=requirement.name,
        form=requirement.form,
        copies=requirement.copies,
        promised_date=deferral.promised_date,
        note=deferral.note,
    )
