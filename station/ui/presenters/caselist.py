"""The case list screen: the list it was opened with (its base filter), narrowed by the
agent's filters and search text, in pages that stay fast at 100k cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from station.audit import Action
from station.caselist import (
    CaseFilter,
    CasePage,
    Cursor,
    count_cases,
    list_cases,
    present_matters,
)
from station.clock import to_local
from station.errors import StationError
from station.i18n import _
from station.lifecycle import CaseState, state_label
from station.printing.display import day
from station.session import Session

PAGE_SIZE = 50
# The list counts its cases up to this many; past it the status line says "more than".
COUNT_LIMIT = 1000


class CaseFilterError(StationError):
    """A filter the agent typed cannot be applied; ``field`` names the entry at fault
    (``created_from`` or ``created_to``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Row:
    """One line of the list as the agent reads it."""

    uuid: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """One entry of a filter's drop-down list; ``value`` None means "any"."""

    value: str | None
    label: str


def columns() -> tuple[str, ...]:
    return (_("Case number"), _("Matter"), _("Applicant"), _("State"), _("Received"),
            _("Promised by"))


def _date(value) -> str:  # noqa: ANN001 - a date or None
    return day(value) if value else ""


class CaseListPresenter:
    """Keeps the base filter, the agent's filters and search text, and the cursors of the
    pages already seen (for going back). ``chosen`` is the agent's filter as the bar shows it,
    ``criteria`` what the list shows: both combined, None when no case can match both."""

    def __init__(self, session: Session, title: str, criteria: CaseFilter) -> None:
        self._session = session
        self.title = title
        self._base = criteria
        self.chosen = CaseFilter()
        self._text: str | None = None
        self.criteria: CaseFilter | None = criteria
        self._cursors: list[Cursor | None] = [None]
        self.page: CasePage = CasePage([], None)
        self.total = 0
        self.more = False  # more than ``total`` (= COUNT_LIMIT) cases match

    @property
    def search_text(self) -> str:
        return self._text or ""

    def state_choices(self) -> list[Choice]:
        """"All states", then the states of the base filter (every state if it has none)."""
        states = self._base.states or tuple(CaseState)
        return [Choice(None, _("All states"))] + [Choice(str(s), state_label(s)) for s in states]

    @staticmethod
    def matter_choices() -> list[Choice]:
        """"All matters", then the matters this station has cases of."""
        matters = [Choice(code, name) for code, name in present_matters()]
        return [Choice(None, _("All matters"))] + matters

    def agent_choices(self) -> list[Choice]:
        """"All agents", then every agent of the station, disabled ones included."""
        agents = [Choice(agent.login, _("{name} ({login})").format(
            name=agent.display_name, login=agent.login)) for agent in self._session.agents()]
        return [Choice(None, _("All agents"))] + agents

    def load(self) -> list[Row]:
        """The current page."""
        if self.criteria is None:
            self.page, counted = CasePage([], None), 0
        else:
            self.page = list_cases(self.criteria, self._cursors[-1], PAGE_SIZE)
            counted = count_cases(self.criteria, limit=COUNT_LIMIT + 1)
        self.total, self.more = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
        return [self._row(row) for row in self.page.rows]

    def apply(
        self,
        states: Iterable[CaseState | str] = (),
        matter_code: str | None = None,
        agent_login: str | None = None,
        created_from: date | str | None = None,
        created_to: date | str | None = None,
    ) -> list[Row]:
        """Narrow the base list to the agent's choice (the search text stays); page 1.

        Dates may be typed as YYYY-MM-DD (blank: no bound), China dates, both included.
        Raises CaseFilterError for a date that cannot be read or a start after the end;
        the filter is then left as it was.
        """
        start = self._day(created_from, "created_from")
        end = self._day(created_to, "created_to")
        if start and end and start > end:
            message = _("The start date ({start}) is after the end date ({end}).")
            raise CaseFilterError(message.format(start=day(start), end=day(end)), "created_from")
        self.chosen = CaseFilter(
            states=tuple(CaseState(s) for s in states), matter_code=matter_code or None,
            agent_login=agent_login or None, created_from=start, created_to=end)
        return self._reload()

    def clear(self) -> list[Row]:
        """Back to the list as it was opened: no filter of the agent's, no search text."""
        self.chosen = CaseFilter()
        self._text = None
        return self._reload()

    def search(self, text: str) -> list[Row]:
        """Narrow the filtered list by name, ID number, phone or case number (audited, no
        text); page 1."""
        self._text = text.strip() or None
        if self._text:
            with self._session.db.atomic():
                self._session.ctx.record(Action.SEARCH, "case", None, {"list": self.title})
        return self._reload()

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
        """The page and how many cases the list holds."""
        if self.more:
            return _("Page {page} · more than {total} cases").format(
                page=self.page_number, total=self.total)
        pages = max(1, -(-self.total // PAGE_SIZE))
        return _("Page {page} of {pages} · {total} cases").format(
            page=self.page_number, pages=pages, total=self.total)

    def _reload(self) -> list[Row]:
        self.criteria = _narrow(self._base, replace(self.chosen, text=self._text))
        self._cursors = [None]
        return self.load()

    def _day(self, value: date | str | None, field: str) -> date | None:
        """A typed date (blank: None). Raises CaseFilterError."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            example = self._session.ctx.clock.today().isoformat()
            message = (_("Type the start date as YYYY-MM-DD, for example {example}.")
                       if field == "created_from" else
                       _("Type the end date as YYYY-MM-DD, for example {example}."))
            raise CaseFilterError(message.format(example=example), field) from None

    @staticmethod
    def _row(row) -> Row:  # noqa: ANN001 - a caselist.CaseRow
        return Row(row.uuid, (
            row.local_number, row.matter_name, row.applicant_name, state_label(row.state),
            _date(to_local(row.created_at).date()), _date(row.promised_date),
        ))


def _narrow(base: CaseFilter, chosen: CaseFilter) -> CaseFilter | None:
    """The cases both filters let through (None: no case can), the search text ``chosen``'s."""
    states = base.states or chosen.states
    if base.states and chosen.states:
        states = tuple(state for state in base.states if state in chosen.states)
        if not states:
            return None
    pairs = ((base.matter_code, chosen.matter_code), (base.agent_login, chosen.agent_login))
    if any(mine and theirs and mine != theirs for mine, theirs in pairs):
        return None
    return replace(
        base, states=states, text=chosen.text,
        matter_code=base.matter_code or chosen.matter_code,
        agent_login=base.agent_login or chosen.agent_login,
        created_from=max(filter(None, (base.created_from, chosen.created_from)), default=None),
        created_to=min(filter(None, (base.created_to, chosen.created_to)), default=None),
    )
