"""After submission: the case number, the promised date, and its printed documents."""

from __future__ import annotations

from forms.model import Matter
from station.i18n import _
from station.models import Case, DeferredMaterial, MaterialRequirement
from station.preferences import Preferences
from station.printing import DocumentKind, Paper, PrintService, RenderedPdf
from station.session import Session


class SubmittedPresenter:
    def __init__(self, session: Session, case_uuid: str, matter: Matter,
                 preferences: Preferences) -> None:
        self._session = session
        self.case = Case.get(Case.uuid == case_uuid)
        self._matter = matter
        self._preferences = preferences

    def summary(self) -> str:
        case = self.case
        promised = case.promised_date
        text = _("Case {number} is queued for upload.").format(number=case.local_number)
        if promised:
            text += " " + _("Promised completion: {year}年{month}月{day}日").format(
                year=promised.year, month=promised.month, day=promised.day)
            if case.promised_provisional:
                text += _(" (provisional: next year's holidays are not published yet)")
        return text

    def documents(self) -> list[tuple[DocumentKind, str]]:
        """What can be printed for this case: the commitment letter only with deferrals."""
        found = [(DocumentKind.RECEIPT, _("Intake receipt"))]
        deferred = (DeferredMaterial.select().join(MaterialRequirement)
                    .where(MaterialRequirement.case == self.case).count())
        if deferred:
            found.append((DocumentKind.COMMITMENT, _("Commitment letter for missing materials")))
        return found

    def make_pdf(self, kind: DocumentKind) -> RenderedPdf:
        """Write the document's PDF (slow: runs on the worker) and record the print."""
        paper = Paper(self._preferences.paper_size)
        return PrintService(self._session).make_pdf(kind, self.case.uuid, self._matter,
                                                    paper=paper)
