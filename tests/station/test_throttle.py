"""Login throttling: free failures, growing locks, persistence, damaged files. Never sleeps."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from station.clock import FixedClock
from station.throttle import MAX_DELAY, LockedOutError, LoginThrottle, lock_delay

START = datetime(2026, 11, 23, 2, 0, 0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "login.throttle"


@pytest.fixture
def throttle(path: Path, clock: FixedClock) -> LoginThrottle:
    return LoginThrottle(path, clock=clock.now)


def fail(throttle: LoginThrottle, login: str, times: int) -> None:
    for _ in range(times):
        throttle.record_failure(login)


def retry_after(throttle: LoginThrottle, login: str) -> timedelta | None:
    try:
        throttle.check(login)
    except LockedOutError as error:
        return error.retry_after
    return None


@pytest.mark.parametrize(("failures", "delay"), [
    (0, timedelta(0)), (5, timedelta(0)),
    (6, timedelta(seconds=30)), (7, timedelta(minutes=1)), (8, timedelta(minutes=2)),
    (9, timedelta(minutes=4)), (12, timedelta(minutes=32)),
    (13, MAX_DELAY), (14, MAX_DELAY), (1000, MAX_DELAY),
])
def test_lock_delay(failures: int, delay: timedelta) -> None:
    assert lock_delay(failures) == delay


def test_five_failures_are_free(throttle: LoginThrottle) -> None:
    fail(throttle, "wang", 5)
    assert retry_after(throttle, "wang") is None


@pytest.mark.parametrize(("failures", "locked_for"), [
    (6, timedelta(seconds=30)), (8, timedelta(minutes=2)), (20, MAX_DELAY),
])
def test_further_failures_lock_for_a_growing_delay(throttle: LoginThrottle, clock: FixedClock,
                                                   failures: int, locked_for: timedelta) -> None:
    fail(throttle, "wang", failures)
    clock.advance(timedelta(seconds=10))
    assert retry_after(throttle, "wang") == locked_for - timedelta(seconds=10)
    clock.advance(locked_for - timedelta(seconds=10))
    assert retry_after(throttle, "wang") is None


def test_each_login_counts_alone(throttle: LoginThrottle) -> None:
    fail(throttle, "wang", 6)
    assert retry_after(throttle, "li") is None


def test_unknown_logins_are_throttled_too(throttle: LoginThrottle) -> None:
    fail(throttle, "nobody", 6)
    assert retry_after(throttle, "nobody") == timedelta(seconds=30)


def test_success_resets_the_count(throttle: LoginThrottle, clock: FixedClock) -> None:
    fail(throttle, "wang", 5)
    throttle.record_success("wang")
    fail(throttle, "wang", 5)
    assert retry_after(throttle, "wang") is None
    throttle.record_failure("wang")
    assert retry_after(throttle, "wang") == timedelta(seconds=30)


def test_state_survives_a_restart(path: Path, throttle: LoginThrottle,
                                  clock: FixedClock) -> None:
    fail(throttle, "wang", 7)
    clock.advance(timedelta(seconds=20))
    assert retry_after(LoginThrottle(path, clock=clock.now), "wang") == timedelta(seconds=40)
    restarted = LoginThrottle(path, clock=clock.now)
    clock.advance(timedelta(minutes=1))
    restarted.record_failure("wang")
    assert retry_after(restarted, "wang") == timedelta(minutes=2)


def test_clock_set_back_never_locks_longer_than_the_cap(path: Path, throttle: LoginThrottle,
                                                       clock: FixedClock) -> None:
    fail(throttle, "wang", 20)
    clock.advance(-timedelta(days=365))
    assert retry_after(throttle, "wang") == MAX_DELAY
    assert retry_after(LoginThrottle(path, clock=clock.now), "wang") == MAX_DELAY
    clock.advance(MAX_DELAY)
    assert retry_after(throttle, "wang") is None


def test_aware_clock_is_accepted(path: Path) -> None:
    aware = START.replace(tzinfo=timezone.utc)
    throttle = LoginThrottle(path, clock=lambda: aware.astimezone(timezone(timedelta(hours=8))))
    fail(throttle, "wang", 6)
    assert retry_after(LoginThrottle(path, clock=lambda: START), "wang") == timedelta(seconds=30)


@pytest.mark.parametrize("content", [
    b"",
    b"{not json",
    b"\xff\xfe",
    b"[]",
    json.dumps({"version": 99, "logins": {}}).encode(),
    json.dumps({"version": 1, "logins": []}).encode(),
    json.dumps({"version": 1, "logins": {"wang": {"failures": -3}}}).encode(),
    json.dumps({"version": 1,
                "logins": {"wang": {"failures": 9, "locked_until": "soon"}}}).encode(),
    json.dumps({"version": 1, "logins": {},
                "all_locked_until": "2026-11-23T02:00:00+00:00"}).encode(),
], ids=["empty", "truncated", "not-utf8", "not-an-object", "version", "logins-type",
        "negative-count", "bad-time", "aware-time"])
def test_damaged_file_locks_everyone_for_the_cap_then_heals(
        path: Path, clock: FixedClock, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="station.throttle"):
        throttle = LoginThrottle(path, clock=clock.now)
    assert retry_after(throttle, "wang") == MAX_DELAY
    assert retry_after(throttle, "never-seen") == MAX_DELAY
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "wang" not in caplog.text and str(path) not in caplog.text
    clock.advance(timedelta(minutes=10))
    restarted = LoginThrottle(path, clock=clock.now)
    assert retry_after(restarted, "wang") == MAX_DELAY - timedelta(minutes=10)
    clock.advance(MAX_DELAY)
    assert retry_after(restarted, "wang") is None


def test_missing_file_starts_clean(path: Path, clock: FixedClock) -> None:
    assert retry_after(LoginThrottle(path, clock=clock.now), "wang") is None
    assert not path.exists()


@pytest.mark.parametrize(("wait", "message"), [
    (timedelta(seconds=1), "Too many wrong passwords. Try again in 1 second."),
    (timedelta(seconds=29.2), "Too many wrong passwords. Try again in 30 seconds."),
    (timedelta(seconds=60), "Too many wrong passwords. Try again in 1 minute."),
    (timedelta(seconds=90), "Too many wrong passwords. Try again in 2 minutes."),
    (timedelta(minutes=2), "Too many wrong passwords. Try again in 2 minutes."),
    (MAX_DELAY, "Too many wrong passwords. Try again in 60 minutes."),
])
def test_message_says_how_long_to_wait(monkeypatch: pytest.MonkeyPatch, wait: timedelta,
                                       message: str) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    error = LockedOutError(wait)
    assert str(error) == message
    assert error.retry_after == wait
