"""Keeps the update repository fresh while ``township serve`` runs.

A daemon thread re-signs the repository once at start and then every ``interval`` (a day),
so stations never find the timestamp expired because an admin forgot a cron job. It is a
thread beside the server rather than the ASGI lifespan: signing and writing files blocks,
which has no place on the event loop, and the API's app stays free of the scheduling that
tests serving it do not want. The schedule follows the wall clock, looked at least every
``poll``: a township PC that sleeps at night refreshes within a poll of waking (waits
count monotonic time, which stands still during suspend). A failure is logged, without
personal data, and retried at the next tick; nothing the refresh raises ends the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sync.township.config import Clock, utc_now
from sync.township.updates.repository import ReleaseRepository

DAY = timedelta(days=1)
POLL = timedelta(hours=1)

log = logging.getLogger(__name__)

Wait = Callable[[float], bool]
"""Waits up to that many seconds; True when the refresher is to stop."""


def refresh_if_present(repository: ReleaseRepository) -> bool:
    """Re-sign ``repository`` (:meth:`ReleaseRepository.refresh`) when it has been created;
    whether it was. Raises ReleaseError when its metadata is damaged or another process
    holds its lock too long, OSError when the disk refuses."""
    if not (repository.metadata_dir / "timestamp.json").exists():
        return False
    repository.refresh()
    return True


class RepositoryRefresher:
    """Re-signs ``repository`` at :meth:`start` and every ``interval`` of ``clock`` until
    :meth:`stop`; ``wait`` (default: until stop is asked) paces the thread."""

    def __init__(self, repository: ReleaseRepository, *, interval: timedelta = DAY,
                 clock: Clock = utc_now, poll: timedelta = POLL,
                 wait: Wait | None = None) -> None:
        self._repository = repository
        self._interval = interval
        self._clock = clock
        self._poll = poll
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._due = clock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the refreshing thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Refresh now (before the server answers anyone), then start the thread."""
        self.run_once()
        self._thread = threading.Thread(target=self._run, name="tuf-refresher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end and wait until it has (at most one refresh long)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def run_once(self) -> bool:
        """One refresh, due again an interval from now; whether the repository was
        re-signed (False without a repository or after a logged failure). Never raises."""
        self._due = self._clock() + self._interval
        try:
            return refresh_if_present(self._repository)
        except Exception as error:  # noqa: BLE001 - any failure waits for the next tick
            log.error("update repository refresh failed (%s); retrying at the next tick",
                      type(error.__cause__ or error).__name__)
            return False

    def _run(self) -> None:
        while not self._wait(self._seconds_to_wait()):
            if self._clock() >= self._due:
                self.run_once()

    def _seconds_to_wait(self) -> float:
        remaining = self._due - self._clock()
        return max(0.0, min(remaining, self._poll).total_seconds())
