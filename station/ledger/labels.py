"""The words and formats of the ledger sheets, through gettext (English source)."""

from __future__ import annotations

from datetime import date, datetime

from station.cases import EvaluationLevel, EvaluationStage, level_label
from station.clock import to_local
from station.i18n import _
from station.lifecycle import CaseState, state_label


def format_date(day: date) -> str:
    """A date as people write it (2026年11月1日)."""
    return _("{month}/{day}/{year}").format(year=day.year, month=day.month, day=day.day)


def format_moment(moment: datetime) -> str:
    """A naive-UTC store time as a China date and time of day."""
    local = to_local(moment)
    return f"{format_date(local.date())} {local:%H:%M}"


def date_number_format() -> str:
    """The Excel number format that shows a date cell like ``format_date``."""
    return _("m/d/yyyy")


def stage_label(stage: EvaluationStage) -> str:
    """When the applicant rated: after intake or after delivery."""
    labels = {
        EvaluationStage.INTAKE: _("After intake"),
        EvaluationStage.DELIVERY: _("After delivery"),
    }
    return labels[EvaluationStage(stage)]


def move_label(state: CaseState) -> str:
    """What entering ``state`` means in a day's summary."""
    labels = {
        CaseState.QUEUED: _("Submitted for upload"),
        CaseState.ACCEPTED: _("Accepted by the township"),
        CaseState.RETURNED: _("Returned for supplement"),
        CaseState.REFUSED: _("Refused by the township"),
        CaseState.COMPLETED: _("Completed (result issued)"),
        CaseState.DELIVERED: _("Delivered to the applicant"),
        CaseState.WITHDRAWN: _("Withdrawn at the applicant's request"),
    }
    return labels[CaseState(state)]


class RowTexts:
    """The words of a ledger row, translated once per export instead of once per cell."""

    def __init__(self) -> None:
        self._date = _("{month}/{day}/{year}")
        self._states = {state: state_label(state) for state in CaseState}
        self._levels = {level: level_label(level) for level in EvaluationLevel}
        self._stages = {stage: stage_label(stage) for stage in EvaluationStage}
        self._rating = _("{stage}: {level}")
        self._received = _("{material} (received {date})")
        self._due = _("{material} (due {date})")
        self._approved = {True: _("Result: approved"), False: _("Result: not approved")}
        self._reason = _("Reason: {reason}")
        self._provisional = _(
            "Promised date provisional: that year's holidays are not yet published"
        )

    def date(self, day: date) -> str:
        return self._date.format(year=day.year, month=day.month, day=day.day)

    def state(self, state: CaseState) -> str:
        return self._states[state]

    def deferral(self, material: str, promised: date, fulfilled_on: date | None) -> str:
        if fulfilled_on is not None:
            return self._received.format(material=material, date=self.date(fulfilled_on))
        return self._due.format(material=material, date=self.date(promised))

    def rating(self, stage: EvaluationStage, level: EvaluationLevel) -> str:
        return self._rating.format(stage=self._stages[stage], level=self._levels[level])

    def remarks(self, approved: bool | None, reason: str | None, provisional: bool) -> list[str]:
        lines = [self._approved[approved]] if approved is not None else []
        if reason:
            lines.append(self._reason.format(reason=reason))
        if provisional:
            lines.append(self._provisional)
        return lines
