"""The background runner's schedule: backoff with jitter, reset on success, a probe that
starts a round when the network returns, sync now, stop. The clock and the wait are
injected, so nothing here sleeps.

The runner is driven by a scripted engine (a list of outcomes and probe answers): the
schedule is what is under test; the real engine runs against a real township in
test_engine.py.
"""

from __future__ import annotations

import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.engine import Backoff, RoundOutcome, RoundStatus, SyncConfig, SyncRunner

CONFIG = SyncConfig(interval=300.0, probe_interval=30.0)
OK = RoundOutcome(RoundStatus.OK)
OFFLINE = RoundOutcome(RoundStatus.OFFLINE, error="connection")
FAILED = RoundOutcome(RoundStatus.FAILED, error="server_error")


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=20))
def test_backoff_starts_between_30_and_60_and_doubles_to_an_hour(seed: int, n: int) -> None:
    backoff = Backoff(SyncConfig(), random.Random(seed))
    delays = [backoff.next() for _ in range(n)]
    assert 30 <= delays[0] <= 60
    for before, after in zip(delays, delays[1:]):
        assert after == min(before * 2, 3600)
    backoff.reset()
    assert 30 <= backoff.next() <= 60


def test_backoff_is_random_between_stations() -> None:
    firsts = {Backoff(SyncConfig(), random.Random(seed)).next() for seed in range(20)}
    assert len(firsts) == 20


class _Script:
    """An engine that answers rounds and probes from lists, and a clock that the runner's
    waits move forward."""

    def __init__(self, outcomes: list, probes: list[bool] = ()) -> None:
        self.outcomes = list(outcomes)
        self.probes = list(probes)
        self.now = 0.0
        self.log: list[tuple[str, float]] = []
        self.runner: SyncRunner | None = None

    def run_round(self, progress=None, cancel=None) -> RoundOutcome:  # noqa: ANN001
        self.log.append(("round", self.now))
        outcome = self.outcomes.pop(0)
        if not self.outcomes:
            self.runner.stop()
            self.log.append(("cancel set", cancel.is_set()))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def probe(self) -> bool:
        self.log.append(("probe", self.now))
        return self.probes.pop(0)

    def close(self) -> None:
        self.log.append(("close", self.now))

    def wait(self, seconds: float) -> bool:
        self.log.append(("wait", seconds))
        self.now += seconds
        return False


def _run(script: _Script, seed: int = 7) -> list[RoundOutcome]:
    seen: list[RoundOutcome] = []
    script.runner = SyncRunner(script, config=CONFIG, rng=random.Random(seed),
                               clock=lambda: script.now, wait=script.wait,
                               on_outcome=seen.append)
    script.runner.run()
    return seen


def _schedule(script: _Script) -> list[tuple[str, float]]:
    """The rounds, waits and probes (without what stopping adds at the end)."""
    return [entry for entry in script.log if entry[0] in ("round", "wait", "probe")]


def test_stopping_cancels_the_round_under_way_and_closes_the_engine() -> None:
    script = _Script([OK, OK])
    _run(script)
    assert [what for what, _ in script.log] == ["round", "wait", "round", "cancel set", "close"]
    assert script.log[-2] == ("cancel set", True)


def test_failures_back_off_doubling_and_success_resets() -> None:
    script = _Script([FAILED, FAILED, FAILED, OK, FAILED, OK])
    _run(script)
    rng = random.Random(7)
    first, again = rng.uniform(30, 60), rng.uniform(30, 60)
    waits = [value for what, value in _schedule(script) if what == "wait"]
    assert waits == pytest.approx([first, first * 2, first * 4, 300.0, again])
    assert [what for what, _ in _schedule(script)].count("probe") == 0


def test_while_offline_a_probe_starts_a_round_as_soon_as_the_township_answers() -> None:
    script = _Script([OFFLINE, OFFLINE, OK], probes=[False, False, True])
    _run(script)
    first = random.Random(7).uniform(30, 60)
    assert [what for what, _ in _schedule(script)] == [
        "round", "wait", "probe", "wait", "round", "wait", "probe", "wait", "probe", "round"]
    assert [v for what, v in _schedule(script) if what == "wait"] == pytest.approx(
        [30.0, first - 30.0, 30.0, 30.0])
    # The second backoff would have ended at first + 2 * first (> first + 60).
    assert _schedule(script)[-1] == ("round", pytest.approx(first + 60.0))


def test_the_probe_never_outlasts_the_backoff() -> None:
    script = _Script([OFFLINE, OK], probes=[False] * 10)
    _run(script, seed=1)
    first = random.Random(1).uniform(30, 60)
    waits = [v for what, v in _schedule(script) if what == "wait"]
    assert sum(waits) == pytest.approx(first) and max(waits) <= 30.0
    assert _schedule(script)[-1] == ("round", pytest.approx(first))


def test_sync_now_starts_a_round_at_once() -> None:
    script = _Script([OK, OK])

    def wait(seconds: float) -> bool:
        script.log.append(("wait", seconds))
        script.runner.sync_now()
        return False

    script.wait = wait
    _run(script)
    assert [what for what, _ in _schedule(script)] == ["round", "wait", "round"]
    assert _schedule(script)[-1] == ("round", 0.0)


def test_an_unexpected_error_is_a_failed_round_and_the_runner_goes_on() -> None:
    script = _Script([RuntimeError("bug"), OK])
    seen = _run(script)
    assert [(o.status, o.error) for o in seen] == [
        (RoundStatus.FAILED, "internal_error"), (RoundStatus.OK, None)]


def test_the_thread_runs_rounds_until_stopped() -> None:
    done = threading.Semaphore(0)
    rounds: list[RoundOutcome] = []

    class Engine:
        def run_round(self, progress=None, cancel=None) -> RoundOutcome:  # noqa: ANN001
            return OK

        def probe(self) -> bool:
            return True

        def close(self) -> None:
            return

    def outcome(result: RoundOutcome) -> None:
        rounds.append(result)
        done.release()

    runner = SyncRunner(Engine(), config=CONFIG, on_outcome=outcome)
    runner.start()
    done.acquire()
    runner.sync_now()
    done.acquire()
    runner.stop()
    assert len(rounds) == 2 and all(r.ok for r in rounds)
