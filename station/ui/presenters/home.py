"""The home screen: what needs the agent's attention today, and the sync state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from station.caselist import CaseFilter, count_cases
from station.cases import Deadlines
from station.i18n import _
from station.lifecycle import CaseState
from station.outbox import ItemState
from station.session import Session

# Cases the station is still waiting on: their promised date matters.
OPEN_STATES = (CaseState.QUEUED, CaseState.UPLOADED, CaseState.ACCEPTED, CaseState.RETURNED)
DUE_SOON_WORKING_DAYS = 3


@dataclass(frozen=True)
class Tile:
    """One count on the home screen and the case list it opens."""

    key: str
    label: str
    count: int
    criteria: CaseFilter
    urgent: bool = False


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    queued: int
    quarantined: int

    def text(self) -> str:
        if not self.enrolled:
            state = _("Not connected to the township yet (works offline)")
        else:
            state = _("Connected")
        return _("{state} · {queued} waiting to upload · {quarantined} set aside").format(
            state=state, queued=self.queued, quarantined=self.quarantined
        )


class HomePresenter:
    def __init__(self, session: Session, deadlines: Deadlines) -> None:
        self._session = session
        self._deadlines = deadlines

    def tiles(self, today: date | None = None) -> list[Tile]:
        """The counts, in the order the screen shows them."""
        today = today or self._session.ctx.clock.today()
        soon = self._deadlines.add_working_days(today, DUE_SOON_WORKING_DAYS).date
        specs = [
            ("drafts", _("Drafts"), CaseFilter(states=(CaseState.DRAFT,)), False),
            ("queued", _("Queued for upload"), CaseFilter(states=(CaseState.QUEUED,)), False),
            ("returned", _("Returned for supplement"),
             CaseFilter(states=(CaseState.RETURNED,)), True),
            ("due_soon", _("Due within 3 working days"),
             CaseFilter(states=OPEN_STATES, promised_from=today, promised_to=soon), True),
            ("overdue", _("Overdue"),
             CaseFilter(states=OPEN_STATES, promised_to=date.fromordinal(today.toordinal() - 1)),
             True),
            ("to_deliver", _("Results waiting for delivery"),
             CaseFilter(states=(CaseState.COMPLETED,)), True),
        ]
        return [Tile(key, label, count_cases(c), c, urgent) for key, label, c, urgent in specs]

    def sync_status(self) -> SyncStatus:
        counts = self._session.ctx.outbox.counts()
        waiting = counts.get(ItemState.PENDING, 0) + counts.get(ItemState.SENDING, 0)
        return SyncStatus(False, waiting, counts.get(ItemState.QUARANTINED, 0))

    def greeting(self) -> str:
        station = self._session.ctx.station
        return _("{station} · {agent}").format(
            station=station.name, agent=self._session.agent.display_name
        )
