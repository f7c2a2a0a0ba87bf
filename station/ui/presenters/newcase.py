"""The new-case flow: matter → applicant → form → materials → review and submit.

The draft exists from the moment the applicant is confirmed; every later step saves into it
at once, so closing the window never loses what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from forms.catalog import Catalog
from forms.errors import ValidationError
from forms.model import Matter
from forms.search import CatalogIndex
from forms.validators import check_id_number, format_id_number
from station import readiness
from station.applicants import ApplicantInput
from station.i18n import _
from station.models import Case
from station.printing.display import material_form
from station.session import Session
from station.ui.presenters.materials import MaterialsPresenter

if TYPE_CHECKING:
    from station.printing import RenderedPdf

# Answers the applicant step fills in when the matter's form has these fields.
APPLICANT_FIELDS = ("applicant_name", "applicant_id", "applicant_phone", "applicant_address")


@dataclass(frozen=True)
class MatterHit:
    code: str
    name: str
    category: str


@dataclass(frozen=True)
class ApplicantHit:
    uuid: str
    name: str
    id_number: str
    phone: str


def guide_text(matter: Matter) -> str:
    """The matter's guide as the agent reads it to the villager."""
    limits = matter.time_limits
    lines = [matter.name, "", matter.guide.strip(), "", _("Who can apply:")]
    lines += [f"  · {condition}" for condition in matter.conditions]
    lines += ["", _("Materials:")]
    for material in matter.materials:
        extra = _(" (may be brought later)") if material.deferrable else ""
        lines.append(f"  · {material.name}（{material_form(material.form)}）{extra}")
    lines += ["", _("Promised time limit: {n} working days").format(n=limits.promised_days)]
    if limits.statutory_days:
        lines.append(_("Statutory time limit: {n} working days").format(n=limits.statutory_days))
    fees = _("Free of charge") if matter.fees.free else "、".join(
        f"{fee.name} {fee.amount} 元" for fee in matter.fees.items
    )
    lines += [_("Fees: {fees}").format(fees=fees), _("Result delivered by: {how}").format(
        how="、".join(matter.delivery.methods))]
    return "\n".join(lines)


def id_feedback(text: str, today: date) -> tuple[bool, str]:
    """(valid, what to show next to an ID number as it is typed)."""
    if not text.strip():
        return False, ""
    try:
        info = check_id_number(text, today=today)
    except ValidationError as error:
        return False, str(error)
    sex = _("male") if info.sex == "M" else _("female")
    return True, _("Born {year}年{month}月{day}日 · {sex} · {age} years").format(
        year=info.birth_date.year, month=info.birth_date.month, day=info.birth_date.day,
        sex=sex, age=info.age(today),
    )


class NewCasePresenter:
    """State of one new case from the matter choice to submission."""

    def __init__(self, session: Session, catalog: Catalog, index: CatalogIndex) -> None:
        """``index`` is built once per catalog (``CatalogIndex(catalog.matters.values())``)."""
        self._session = session
        self.catalog = catalog
        self._index = index
        self.matter: Matter | None = None
        self.case: Case | None = None
        self.materials = MaterialsPresenter(session)

    def today(self) -> date:
        return self._session.ctx.clock.today()

    def search_matters(self, text: str, limit: int = 30) -> list[MatterHit]:
        """Matters by name, pinyin, initials or code; all of them for an empty search."""
        if text.strip():
            matters = [hit.matter for hit in self._index.search(text, limit=limit)]
        else:
            matters = sorted(self.catalog.matters.values(), key=lambda m: (m.category, m.code))
        return [MatterHit(m.code, m.name, m.category) for m in matters]

    def choose_matter(self, code: str) -> str:
        """Select the matter; return its guide."""
        self.matter = self.catalog.matter(code)
        return guide_text(self.matter)

    def find_applicants(self, text: str) -> list[ApplicantHit]:
        """Earlier applicants by name, ID number or phone prefix."""
        if len(text.strip()) < 2:
            return []
        return [
            ApplicantHit(a.uuid, a.name, format_id_number(a.id_number) if a.id_number else "",
                         a.phone or "")
            for a in self._session.applicants.search(text)
        ]

    def start(self, data: ApplicantInput, applicant_uuid: str | None = None) -> Case:
        """Save the applicant and open the draft, with the applicant's answers filled in."""
        if self.matter is None:
            raise RuntimeError("choose a matter first")
        applicant = self._session.applicants.save(data, applicant_uuid)
        known = {field.id for field in self.matter.all_fields()}
        answers = {
            "applicant_name": applicant.name,
            "applicant_id": applicant.id_number,
            "applicant_phone": applicant.phone,
            "applicant_address": applicant.address,
        }
        answers = {k: v for k, v in answers.items() if k in known and v}
        self.case = self._session.cases.create_draft(
            self.matter, self.catalog.version, applicant, answers
        )
        self.materials.open(self.case.uuid, self.matter)
        return self.case

    def resume(self, case_uuid: str) -> Case:
        """Open an existing draft or returned case in this flow."""
        self.case = self._session.cases.open(case_uuid)
        self.matter = self.catalog.matter(self.case.matter_code)
        self.materials.open(self.case.uuid, self.matter)
        return self.case

    def save_answers(self, answers: dict[str, Any], overrides: dict[str, str]) -> None:
        """Autosave from the form (called after every change)."""
        self.case = self._session.cases.update_answers(self._case().uuid, answers, overrides)

    def print_notice(self) -> RenderedPdf:
        """The one-time notice PDF (slow: runs on the worker), recorded as a print."""
        from station.printing import DocumentKind, PrintService

        return PrintService(self._session).make_pdf(DocumentKind.NOTICE, self._case().uuid,
                                                    self._matter())

    def problems(self) -> list[str]:
        """What still keeps the case from being submitted ([] = ready)."""
        return readiness.problems(Case.get_by_id(self._case().id), self._matter())

    def submit(self) -> Case:
        self.case = self._session.cases.submit(self._case().uuid, self._matter())
        return self.case

    def _case(self) -> Case:
        if self.case is None:
            raise RuntimeError("no draft yet")
        return self.case

    def _matter(self) -> Matter:
        if self.matter is None:
            raise RuntimeError("no matter chosen")
        return self.matter
