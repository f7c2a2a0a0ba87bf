"""Background work for the UI: jobs run on a thread, results come back through a queue.

No job ever touches a widget. The app calls ``poll`` from the Tk event loop (``after``),
which runs the job's callbacks on the UI thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)


@dataclass
class _Outcome:
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    value: Any = None
    error: BaseException | None = None


class Worker:
    """Runs jobs one at a time off the UI thread and hands their outcomes back."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="station-worker")
        self._results: queue.Queue[_Outcome | Callable[[], None]] = queue.Queue()
        self._busy = threading.Event()

    def submit(
        self,
        job: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``job`` in the background; ``on_done``/``on_error`` later run in ``poll``."""
        outcome = _Outcome(on_done, on_error)

        def run() -> None:
            try:
                outcome.value = job()
            except Exception as exc:  # noqa: BLE001 - handed to on_error on the UI thread
                log.debug("background job failed: %s", type(exc).__name__)
                outcome.error = exc
            self._results.put(outcome)

        self._pool.submit(run)

    def report(self, callback: Callable[[], None]) -> None:
        """From a job: run ``callback`` (e.g. a progress update) on the UI thread."""
        self._results.put(callback)

    def poll(self) -> int:
        """Run the callbacks of everything finished so far; return how many ran."""
        ran = 0
        while True:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return ran
            ran += 1
            if callable(item):
                item()
            elif item.error is not None:
                item.on_error(item.error)
            else:
                item.on_done(item.value)

    def shutdown(self) -> None:
        """Wait for the running job, drop queued ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)
