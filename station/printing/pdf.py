"""Laying out the three documents as PDF (A4 or A5 portrait) with an embedded subset of
the CJK font. Rendering needs no store: it works on the plain documents, so it can run
on a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station.i18n import _, pgettext
from station.printing import display
from station.printing.documents import (
    CommitmentLetter,
    DeferredItem,
    DocumentKind,
    Heading,
    IntakeReceipt,
)
from station.printing.fonts import PrintFont, find_font
from station.printing.layout import Sheet
from station.printing.paper import Paper
from station.printing.notice import (
    GuideEssentials,
    MissingMaterial,
    MissingStatus,
    OneTimeNotice,
)

Document = IntakeReceipt | OneTimeNotice | CommitmentLetter
# Relative column widths of the material lists: number, name, form, copies, pages or date.
_LIST_WIDTHS = (8, 42, 14, 16, 20)


@dataclass(frozen=True)
class RenderedPdf:
    """A written PDF. ``missing_glyphs`` counts characters printed as □ because the font
    has none for them (rare name characters): the agent writes them in by hand."""

    path: Path
    kind: DocumentKind
    pages: int
    missing_glyphs: int


def render(
    document: Document, path: Path, paper: Paper = Paper.A4, font: PrintFont | None = None
) -> RenderedPdf:
    """Write ``document`` as a PDF to ``path``.

    Raises FontMissingError when no font is given and none is installed, OSError when
    ``path`` cannot be written.
    """
    sheet = Sheet(paper, font or find_font(), _("Page {page} of {pages}"))
    _LAYOUTS[type(document)](sheet, document)
    missing = sheet.save(Path(path))
    return RenderedPdf(Path(path), document.KIND, sheet.pdf.pages_count, missing)


def title(kind: DocumentKind) -> str:
    """The printed title of a kind of document."""
    titles = {
        DocumentKind.RECEIPT: _("Intake receipt"),
        DocumentKind.NOTICE: _("One-time notice"),
        DocumentKind.COMMITMENT: _("Commitment letter for materials accepted missing"),
    }
    return titles[kind]


def _receipt(sheet: Sheet, receipt: IntakeReceipt) -> None:
    top = receipt.heading
    sheet.qr(receipt.qr_payload, _("Scan for the case number"))
    sheet.title(title(DocumentKind.RECEIPT))
    promised = _("To be announced")
    if receipt.promised_date is not None:
        promised = display.promised_day(receipt.promised_date, receipt.promised_provisional)
    sheet.grid(
        [
            [
                (_("Case number"), top.case_number),
                (_("Received at"), display.moment(receipt.intake_at)),
            ],
            [(_("Matter"), _matter(top))],
            [(_("Applicant"), top.applicant_name), (_("ID number"), top.id_number or "")],
            [(_("Phone"), top.phone or ""), (_("Agent"), top.agent_name)],
            [(_("Station"), _station(top))],
            [(_("Promised completion"), promised)],
        ]
    )
    _received_table(sheet, receipt)
    if receipt.deferred:
        sheet.section(_("Materials accepted missing (to be brought later)"))
        _deferred_table(sheet, receipt.deferred)
    sheet.section(_("Please note"))
    sheet.bullets(_receipt_notes(receipt))
    sheet.signatures(
        [
            _("Agent (signature): ____________        Applicant (signature): ____________"),
            _("Station (seal)        Date: {date}").format(date=display.day(top.issued_on)),
        ]
    )


def _received_table(sheet: Sheet, receipt: IntakeReceipt) -> None:
    sheet.section(_("Materials received"))
    if not receipt.received:
        sheet.paragraph(_("None."), indent=False)
        return
    rows = [
        [
            str(n),
            item.name,
            display.material_form(item.form),
            display.copies(item.copies),
            str(item.pages),
        ]
        for n, item in enumerate(receipt.received, start=1)
    ]
    sheet.table([_("No."), _("Material"), _("Form"), _("Copies"), _("Pages")], rows, _LIST_WIDTHS)


def _receipt_notes(receipt: IntakeReceipt) -> list[str]:
    notes = [
        _(
            "Keep this receipt. Quote the case number to ask about progress and to collect "
            "the result."
        ),
    ]
    if receipt.deferred:
        notes.append(
            _(
                "Bring the materials accepted missing by the dates above; if they are not "
                "brought in time, the application is ended according to the rules."
            )
        )
    if receipt.promised_provisional:
        notes.append(
            _(
                "The completion date is an estimate: the holiday calendar of that year has "
                "not been published yet."
            )
        )
    return notes


def _notice(sheet: Sheet, notice: OneTimeNotice) -> None:
    top = notice.heading
    sheet.title(title(DocumentKind.NOTICE))
    sheet.note_line(_("No. {number}").format(number=top.case_number))
    sheet.paragraph(_("{name}:").format(name=top.applicant_name), indent=False)
    if notice.complete:
        sheet.paragraph(
            _(
                "Your application for \u201c{matter}\u201d is complete: nothing is missing or "
                "to be corrected."
            ).format(matter=top.matter_name)
        )
    else:
        sheet.paragraph(
            _(
                "For your application for \u201c{matter}\u201d, the items below are still "
                "missing or need correcting. Please prepare all of them at once and bring them "
                "to {station}."
            ).format(matter=top.matter_name, station=_station(top))
        )
    sheet.grid([[(_("Matter"), _matter(top))], *_applicant_rows(top)])
    _notice_problems(sheet, notice)
    _notice_missing(sheet, notice.missing)
    _notice_guide(sheet, notice)
    sheet.signatures(
        [
            _("Notified by (agent): ____________        Received by (applicant): ____________"),
            _("Station (seal)        Date: {date}").format(date=display.day(top.issued_on)),
        ]
    )


def _notice_problems(sheet: Sheet, notice: OneTimeNotice) -> None:
    if notice.township_remarks or notice.township_points:
        sheet.section(_("Returned by the township for supplement"))
    if notice.township_remarks:
        sheet.paragraph(notice.township_remarks)
    if notice.township_points:
        rows = [[str(n), p.name, p.reason] for n, p in enumerate(notice.township_points, 1)]
        sheet.table([_("No."), _("Material or item"), _("Reason")], rows, (8, 32, 60))
    if notice.form_problems:
        sheet.section(_("Application form: to complete or correct"))
        rows = [[str(n), p.field, p.message] for n, p in enumerate(notice.form_problems, 1)]
        sheet.table([_("No."), _("Item"), _("What to do")], rows, (8, 32, 60))


def _notice_missing(sheet: Sheet, missing: tuple[MissingMaterial, ...]) -> None:
    if not missing:
        return
    sheet.section(_("Materials still to bring"))
    rows = [
        [
            str(n),
            item.name,
            f"{display.material_form(item.form)}\n{display.copies(item.copies)}",
            _missing_status(item),
        ]
        for n, item in enumerate(missing, start=1)
    ]
    sheet.table([_("No."), _("Material"), _("Form and copies"), _("Note")], rows, (8, 40, 18, 34))


def _missing_status(item: MissingMaterial) -> str:
    if item.status is MissingStatus.DEFERRED and item.promised_date is not None:
        text = _("Accepted missing: bring it by {date}.").format(
            date=display.day(item.promised_date)
        )
    elif item.status is MissingStatus.DEFERRABLE:
        text = _("May be accepted missing if you promise a date to bring it.")
    else:
        text = _("Needed before the application can be accepted.")
    return f"{text}\n{item.notes}" if item.notes else text


def _notice_guide(sheet: Sheet, notice: OneTimeNotice) -> None:
    guide, top = notice.guide, notice.heading
    sheet.section(_("From the service guide"))
    time_limits = _("promised {promised}").format(
        promised=display.working_days(guide.promised_days)
    )
    if guide.statutory_days is not None:
        time_limits = _("statutory {statutory}, {promised}").format(
            statutory=display.working_days(guide.statutory_days), promised=time_limits
        )
    if guide.time_note:
        time_limits += f"\n{guide.time_note}"
    rows = [
        [(_("Conditions"), "\n".join(f"{n}. {c}" for n, c in enumerate(guide.conditions, 1)))],
        [(_("Time limit"), time_limits)],
        [(_("Fees"), _fees(guide))],
        [(_("Handled by"), guide.department)],
        [(_("Bring materials to"), _station(top))],
        [(_("Result delivered by"), _delivery(guide.delivery_methods, guide.delivery_note))],
    ]
    sheet.grid([row for row in rows if row[0][1]])


def _fees(guide: GuideEssentials) -> str:
    if guide.free or not guide.fees:
        return _("Free of charge")
    lines = [
        _("{item}: {amount}").format(item=fee.name, amount=display.money(fee.amount))
        + f"\n{fee.basis}"
        for fee in guide.fees
    ]
    return "\n".join(lines)


def _delivery(methods: tuple[str, ...], note: str | None) -> str:
    text = pgettext("list separator", ", ").join(methods)
    return f"{text}\n{note}" if note else text


def _commitment(sheet: Sheet, letter: CommitmentLetter) -> None:
    top = letter.heading
    sheet.title(title(DocumentKind.COMMITMENT))
    sheet.note_line(_("No. {number}").format(number=top.case_number))
    sheet.grid(
        [
            [(_("Applicant"), top.applicant_name), (_("ID number"), top.id_number or "")],
            [(_("Matter"), _matter(top))],
            [(_("Station"), _station(top)), (_("Agent"), top.agent_name)],
        ]
    )
    sheet.paragraph(letter.statement)
    _deferred_table(sheet, letter.deferred)
    sheet.paragraph(letter.consequences)
    sheet.signatures(
        [
            _("Applicant (signature and fingerprint): ____________        Date: ______"),
            _("Agent (signature): ____________        Date: ______"),
        ]
    )


def _deferred_table(sheet: Sheet, items: tuple[DeferredItem, ...]) -> None:
    rows = [
        [
            str(n),
            item.name if not item.note else f"{item.name}\n{item.note}",
            display.material_form(item.form),
            display.copies(item.copies),
            display.day(item.promised_date),
        ]
        for n, item in enumerate(items, start=1)
    ]
    sheet.table(
        [_("No."), _("Material"), _("Form"), _("Copies"), _("Bring by")], rows, _LIST_WIDTHS
    )


def _matter(top: Heading) -> str:
    return _("{name} ({code})").format(name=top.matter_name, code=top.matter_code)


def _station(top: Heading) -> str:
    return _("{station}, {township}").format(station=top.station_name, township=top.township)


def _applicant_rows(top: Heading) -> list[list[tuple[str, str]]]:
    first = [(_("Applicant"), top.applicant_name), (_("ID number"), top.id_number or "")]
    if top.phone is None:
        return [first]
    return [first, [(_("Phone"), top.phone)]]


_LAYOUTS = {
    IntakeReceipt: _receipt,
    OneTimeNotice: _notice,
    CommitmentLetter: _commitment,
}
