"""The case list screen: a filter, a search box, and pages that stay fast at 100k cases."""

from __future__ import annotations

from dataclasses import dataclass, replace

from station.audit import Action
from station.caselist import CaseFilter, CasePage, Cursor, count_cases, list_cases
from station.clock import to_local
from station.i18n import _
from station.lifecycle import state_label
from station.printing.display import day
from station.session import Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class Row:
    """One line of the list as the agent reads it."""

    uuid: str
    cells: tuple[str, ...]


def columns() -> tuple[str, ...]:
    return (_("Case number"), _("Matter"), _("Applicant"), _("State"), _("Received"),
            _("Promised by"))


def _date(value) -> str:  # noqa: ANN001 - a date or None
    return day(value) if value else ""


class CaseListPresenter:
    """Keeps the filter and the cursors of the pages already seen (for going back)."""

    def __init__(self, session: Session, title: str, criteria: CaseFilter) -> None:
        self._session = session
        self.title = title
        self._base = criteria
        self.criteria = criteria
        self._cursors: list[Cursor | None] = [None]
        self.page: CasePage = CasePage([], None)
        self.total = 0

    def load(self) -> list[Row]:
        """The current page."""
        self.page = list_cases(self.criteria, self._cursors[-1], PAGE_SIZE)
        self.total = count_cases(self.criteria)
        return [self._row(row) for row in self.page.rows]

    def search(self, text: str) -> list[Row]:
        """Narrow the list by name, ID number, phone or case number (audited, no text)."""
        self.criteria = replace(self._base, text=text.strip() or None)
        self._cursors = [None]
        if self.criteria.text:
            with self._session.db.atomic():
                self._session.ctx.record(Action.SEARCH, "case", None, {"list": self.title})
        return self.load()

    def next_page(self) -> list[Row]:
        if self.page.next is not None:
            self._cursors.append(self.page.next)
        return self.load()

    def previous_page(self) -> list[Row]:
        if len(self._cursors) > 1:
            self._cursors.pop()
        return self.load()

    @property
    def page_number(self) -> int:
        return len(self._cursors)

    def status(self) -> str:
        return _("Page {page} · {total} cases").format(page=self.page_number, total=self.total)

    @staticmethod
    def _row(row) -> Row:  # noqa: ANN001 - a caselist.CaseRow
        return Row(row.uuid, (
            row.local_number, row.matter_name, row.applicant_name, state_label(row.state),
            _date(to_local(row.created_at).date()), _date(row.promised_date),
        ))
