"""The five-level rating (好差评) the applicant gives after intake and after delivery."""

from __future__ import annotations

from station.cases import EvaluationLevel, EvaluationStage, level_label
from station.i18n import _
from station.session import Session


def levels() -> list[tuple[EvaluationLevel, str]]:
    """The five levels, best first, as the applicant reads them."""
    return [(level, level_label(level)) for level in EvaluationLevel]


class EvaluationPresenter:
    def __init__(self, session: Session, case_uuid: str, stage: EvaluationStage) -> None:
        self._session = session
        self.case_uuid = case_uuid
        self.stage = stage

    def title(self) -> str:
        if self.stage is EvaluationStage.INTAKE:
            return _("How satisfied are you with today's service?")
        return _("How satisfied are you with the result and its delivery?")

    def record(self, level: EvaluationLevel, comment: str) -> None:
        """Keep the rating (once per stage). Raises EvaluationError."""
        self._session.cases.record_evaluation(
            self.case_uuid, self.stage, level, comment.strip() or None
        )
