"""Sync in the background of the window, for the logged-in session.

A :class:`SyncController` owns the session's :class:`~sync.engine.SyncRunner`: it starts
once the station is enrolled and is stopped (joined) before the session closes or another
agent takes over. The runner reports on its own thread; the controller posts each report
to the UI thread (the worker's queue, drained by the app's poll with ``after()``) and only
there changes what the window shows and calls ``on_change``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from station.appupdates import UpdateNews, step_for
from station.syncside import engine_for
from station.syncstate import NotEnrolledError
from station.ui.presenters.home import SyncActivity, SyncStatus, sync_status
from sync.engine import Progress, RoundOutcome, RoundStep, SyncConfig, SyncEngine, SyncRunner

if TYPE_CHECKING:
    from station.session import Session

log = logging.getLogger(__name__)

# Waits on ``event`` for up to ``seconds``; True when the event was set (sync now, stop).
Pause = Callable[[threading.Event, float], bool]
Post = Callable[[Callable[[], None]], None]


def timed_pause(event: threading.Event, seconds: float) -> bool:
    return event.wait(seconds)


@dataclass(frozen=True)
class SyncOptions:
    """How the runner is set up: the engine's limits and timings, how it pauses between
    rounds (tests pause until woken, so nothing waits on the wall clock), and how long
    stopping may wait for the request in flight (a round under way is cancelled)."""

    config: SyncConfig = SyncConfig()
    pause: Pause = timed_pause
    stop_seconds: float = 30.0


class _Run:
    """One runner on its own thread, for one session."""

    def __init__(self, engine: SyncEngine, session: Session, options: SyncOptions,
                 report: Callable[[_Run, RoundOutcome | Progress], None]) -> None:
        self._pause = options.pause
        self.wake = threading.Event()
        self.runner = SyncRunner(engine, config=options.config, wait=self._wait,
                                 on_outcome=lambda outcome: report(self, outcome),
                                 on_progress=lambda progress: report(self, progress))
        self.thread = threading.Thread(target=self._run, args=(session,), name="station-sync",
                                       daemon=True)

    def _wait(self, seconds: float) -> bool:
        woken = self._pause(self.wake, seconds)
        self.wake.clear()
        return woken

    def _run(self, session: Session) -> None:
        try:
            self.runner.run()
        finally:
            session.db.close()  # this thread's own connection: Session.close() cannot reach it

    def sync_now(self) -> None:
        self.runner.sync_now()
        self.wake.set()

    def stop(self, timeout: float) -> bool:
        """Stop (a round under way ends after its request in flight, and the engine is
        closed); whether the thread ended within ``timeout``."""
        self.runner.stop()
        self.wake.set()
        self.thread.join(timeout)
        return not self.thread.is_alive()


class SyncController:
    """The sync state the window shows, and the runner of the logged-in session.

    Every method is called on the UI thread. ``post`` runs a callback on the UI thread
    later; ``on_change`` is called there after each report (with the round's outcome, or
    None for progress and starts).
    """

    def __init__(self, post: Post, on_change: Callable[[RoundOutcome | None], None],
                 options: SyncOptions = SyncOptions()) -> None:
        self._post = post
        self._on_change = on_change
        self._options = options
        self._session: Session | None = None
        self._run: _Run | None = None
        self._facts: SyncStatus | None = None
        self.activity = SyncActivity()
        self.update_news: UpdateNews | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The runner's thread while it runs."""
        return self._run.thread if self._run is not None else None

    def attach(self, session: Session) -> bool:
        """Follow ``session`` (just logged in); start syncing if the station is enrolled.
        Whether it syncs."""
        self.detach()
        self._session = session
        if self.start():
            return True
        self.refresh()
        return False

    def start(self) -> bool:
        """Start the runner if the station is enrolled (at login, after enrolment) and it
        is not running yet; whether it runs."""
        if self._run is not None:
            return True
        if self._session is None:
            return False
        try:
            engine = engine_for(self._session, self._options.config,
                                self._update_steps(self._session))
        except NotEnrolledError:
            return False
        self._run = _Run(engine, self._session, self._options, self._report)
        self.activity = SyncActivity(running=True)
        self.refresh()
        self._run.thread.start()
        self._on_change(None)
        return True

    def _update_steps(self, session: Session) -> list[RoundStep]:
        """The app-update check after each round, when the launcher started the app."""
        step = step_for(session.paths.root,
                        lambda news: self._post(lambda: self._update_reported(news)))
        return [step] if step is not None else []

    def _update_reported(self, news: UpdateNews) -> None:
        self.update_news = news
        self._on_change(None)

    def sync_now(self) -> bool:
        """Start a round at once (the "Sync now" button, F5); False when not syncing."""
        if self._run is None:
            return False
        self._run.sync_now()
        return True

    def detach(self) -> None:
        """Stop the runner (joined) and forget the session; call before it closes."""
        run, self._run = self._run, None
        if run is not None and not run.stop(self._options.stop_seconds):
            log.warning("the sync thread did not stop within %.0f s", self._options.stop_seconds)
        self._session = None
        self._facts = None
        self.activity = SyncActivity()

    def refresh(self) -> SyncStatus:
        """Read the sync facts from the store again (after the agent queued a case...)."""
        if self._session is not None:
            self._facts = sync_status(self._session)
        return self.status()

    def status(self) -> SyncStatus:
        """What the status bar shows; not enrolled when no session is followed."""
        facts = self._facts or SyncStatus(enrolled=False, queued=0, quarantined=0)
        return facts.with_activity(self.activity)

    def _report(self, run: _Run, report: RoundOutcome | Progress) -> None:
        """From the runner's thread: hand ``report`` to the UI thread."""
        self._post(lambda: self._receive(run, report))

    def _receive(self, run: _Run, report: RoundOutcome | Progress) -> None:
        if run is not self._run:
            return  # a report of a runner stopped since: another session's
        if isinstance(report, Progress):
            self.activity = replace(self.activity, progress=report)
            self._on_change(None)
            return
        self.activity = SyncActivity(True, report.status, None, report.message)
        self.refresh()
        self._on_change(report)
