"""The background runner: rounds with backoff and jitter, a cheap probe while offline."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from sync.engine.outcome import Progress, RoundOutcome, RoundStatus
from sync.engine.round import SyncEngine
from sync.engine.side import SyncConfig

log = logging.getLogger(__name__)


class Backoff:
    """Delays after failed rounds: random in ``first_delay``, doubling to ``max_delay``."""

    def __init__(self, config: SyncConfig, rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._last: float | None = None

    def next(self) -> float:
        if self._last is None:
            self._last = self._rng.uniform(*self._config.first_delay)
        else:
            self._last = min(self._last * 2, self._config.max_delay)
        return self._last

    def reset(self) -> None:
        self._last = None


class SyncRunner:
    """Runs rounds on a background thread: after a success every ``interval``; after a
    failure with backoff, probing with ``hello`` while offline so that a round starts at
    once when the network returns. ``clock`` (monotonic seconds) and ``wait`` (sleep up to
    the given seconds; True when woken early) are injectable so tests never wait;
    ``sync_now`` wakes the default ``wait`` and is honoured after an injected one.
    Stopping cancels the round under way (it ends after the request in flight) and closes
    the engine.
    """

    def __init__(
        self,
        engine: SyncEngine,
        *,
        config: SyncConfig = SyncConfig(),
        on_outcome: Callable[[RoundOutcome], None] = lambda _o: None,
        on_progress: Callable[[Progress], None] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._engine = engine
        self._config = config
        self._on_outcome = on_outcome
        self._on_progress = on_progress
        self._backoff = Backoff(config, rng or random.Random())
        self._clock = clock
        self._wake = threading.Event()
        self._wait = wait or self._wake.wait
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread; the first round runs at once."""
        self._thread = threading.Thread(target=self.run, name="sync", daemon=True)
        self._thread.start()

    def sync_now(self) -> None:
        """Start a round at once (from any thread)."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end after the current request (a round under way stops
        before its next item, blob chunk or event page); wait up to ``timeout``."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """The loop of the thread (callable directly, e.g. by tests or a CLI); closes the
        engine when it ends."""
        try:
            self._loop()
        finally:
            self._engine.close()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            outcome = self._round()
            self._on_outcome(outcome)
            if self._stopping.is_set():
                return
            if outcome.ok:
                self._backoff.reset()
                self._pause(self._config.interval, probe=False)
            else:
                self._pause(self._backoff.next(), probe=outcome.status is RoundStatus.OFFLINE)

    def _round(self) -> RoundOutcome:
        """A round; an unexpected error (a bug, a broken store) is logged by type only and
        counts as a failed round, so the thread lives on."""
        try:
            return self._engine.run_round(self._on_progress, self._stopping)
        except Exception as error:  # noqa: BLE001 - the thread must survive to retry
            log.error("sync round failed: %s", type(error).__name__)
            return RoundOutcome(RoundStatus.FAILED, error="internal_error")

    def _pause(self, seconds: float, *, probe: bool) -> None:
        """Wait ``seconds``, ending early on ``sync_now``, ``stop`` or (when ``probe``) a
        township that answers again."""
        deadline = self._clock() + seconds
        while not self._stopping.is_set():
            left = deadline - self._clock()
            if left <= 0:
                return
            step = min(left, self._config.probe_interval) if probe else left
            if self._woken(step):
                return
            if probe and self._clock() < deadline and self._engine.probe():
                return

    def _woken(self, seconds: float) -> bool:
        """Wait up to ``seconds``; whether ``sync_now`` or ``stop`` came meanwhile."""
        woken = self._wait(seconds) or self._wake.is_set()
        self._wake.clear()
        return woken
