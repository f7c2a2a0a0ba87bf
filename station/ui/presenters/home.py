"""The home screen: what needs the agent's attention today, and the sync state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from datetime import date, datetime

from station import syncstate
from station.caselist import CaseFilter, count_cases
from station.cases import Deadlines
from station.clock import to_local
from station.i18n import _
from station.lifecycle import CaseState
from station.outbox import ItemState
from station.printing import display
from station.session import Session
from station.sync_models import SyncEvent
from sync.engine import Progress, RoundStatus

if TYPE_CHECKING:
    from station.appupdates import UpdateNews

# Cases the station is still waiting on: their promised date matters.
OPEN_STATES = (CaseState.QUEUED, CaseState.UPLOADED, CaseState.ACCEPTED, CaseState.RETURNED)
DUE_SOON_WORKING_DAYS = 3
_MB = 1024 * 1024


@dataclass(frozen=True)
class Tile:
    """One count on the home screen and the case list it opens."""

    key: str
    label: str
    count: int
    criteria: CaseFilter
    urgent: bool = False


@dataclass(frozen=True)
class SyncLink:
    """A count of sync items on the home screen (``set_aside`` or ``messages``)."""

    key: str
    label: str
    count: int
    urgent: bool = False


@dataclass(frozen=True)
class SyncActivity:
    """What the background sync last reported: ``status`` of its last round (None before
    the first), ``progress`` while a round runs, ``problem``: the last error in words."""

    running: bool = False
    status: RoundStatus | None = None
    progress: Progress | None = None
    problem: str | None = None


@dataclass(frozen=True)
class SyncStatus:
    """The sync facts from the store, and what the running sync reports."""

    enrolled: bool
    queued: int
    quarantined: int
    last_sync: datetime | None = None
    activity: SyncActivity = SyncActivity()

    def with_activity(self, activity: SyncActivity) -> SyncStatus:
        return replace(self, activity=activity)

    @property
    def problem(self) -> str | None:
        return self.activity.problem if self.enrolled else None

    def text(self) -> str:
        """One line for the status bar; the problem, if any, on a second line."""
        line = _("{state} · {queued} waiting to upload · {quarantined} set aside").format(
            state=self._state(), queued=self.queued, quarantined=self.quarantined)
        return f"{line}\n{self.problem}" if self.problem else line

    def _state(self) -> str:
        if not self.enrolled:
            return _("Not connected to the township yet (works offline)")
        return f"{self._activity_text()} · {self._last_sync_text()}"

    def _activity_text(self) -> str:
        activity = self.activity
        if activity.progress is not None:
            return progress_text(activity.progress)
        if not activity.running:
            return _("Sync is not running")
        if activity.status is None:
            return _("Connecting to the township…")
        if activity.status is RoundStatus.OFFLINE:
            return _("Offline: the station keeps working and sends when the network returns")
        if activity.status is RoundStatus.OK:
            return _("Connected")
        return _("Sync problem")

    def _last_sync_text(self) -> str:
        if self.last_sync is None:
            return _("not synced yet")
        return _("last sync {moment}").format(moment=display.moment(to_local(self.last_sync)))


def progress_text(progress: Progress) -> str:
    """What a running round is doing: ``Uploading 3/10 items · 12.5/40.0 MB``."""
    if progress.items_total == 0:
        return _("Syncing with the township…")
    return _("Uploading {done}/{total} items · {sent}/{size} MB").format(
        done=progress.items_done, total=progress.items_total,
        sent=f"{progress.bytes_sent / _MB:.1f}", size=f"{progress.bytes_total / _MB:.1f}")


def update_line(news: UpdateNews | None) -> str:
    """What the sync bar adds about app updates: a download under way or its problem."""
    if news is None:
        return ""
    if news.downloading is not None:
        percent = 100 * news.done // news.total if news.total else 0
        return _("Downloading app update {version}: {percent} %").format(
            version=news.downloading, percent=percent)
    return news.problem or ""


def sync_status(session: Session) -> SyncStatus:
    """The sync facts of the store: enrolment, queue, items and events set aside, the
    last sync (the last round that succeeded)."""
    counts = session.ctx.outbox.counts()
    aside_events = SyncEvent.select().where(SyncEvent.applied == False).count()  # noqa: E712
    enrolled = syncstate.enrolment() is not None
    waiting = counts.get(ItemState.PENDING, 0) + counts.get(ItemState.SENDING, 0)
    return SyncStatus(enrolled, waiting, counts.get(ItemState.QUARANTINED, 0) + aside_events,
                      syncstate.last_synced())


def _message_count() -> int:
    """How many township messages were received (and applied)."""
    return (SyncEvent.select()
            .where((SyncEvent.kind == "message") & (SyncEvent.applied == True))  # noqa: E712
            .count())


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

    def sync_links(self, status: SyncStatus | None = None) -> list[SyncLink]:
        """Items set aside (uploads and township events) and the township's messages."""
        status = status or self.sync_status()
        return [
            SyncLink("set_aside", _("Set aside by sync"), status.quarantined,
                     status.quarantined > 0),
            SyncLink("messages", _("Township messages"), _message_count()),
        ]

    def sync_status(self) -> SyncStatus:
        return sync_status(self._session)

    def greeting(self) -> str:
        station = self._session.ctx.station
        return _("{station} · {agent}").format(
            station=station.name, agent=self._session.agent.display_name
        )
