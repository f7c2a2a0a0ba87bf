"""Login throttling: repeated wrong passwords lock a login for a growing delay.

The first five consecutive failures of a login cost nothing; each further failure locks it
for 30 s, 1 min, 2 min, ... doubling up to one hour. Unknown logins are throttled the
same way, so the lock-out tells nothing about which logins exist. The counts live in a
small JSON file beside the database, so restarting the app does not reset them. Times are
naive UTC, like :class:`station.clock.Clock`; aware times are converted.

A damaged throttle file is neither a way around the lock nor a lock for ever: every login
is locked for the longest delay from the moment it is found, and the file is rewritten.
(Deleting the file does reset the counts; whoever can do that can also copy the key file,
whose Argon2id cost is the protection against guessing offline.)
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from station.clock import Clock
from station.errors import StationError
from station.i18n import ngettext
from station.keyfile import write_atomically

log = logging.getLogger(__name__)

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
_VERSION = 1


class LockedOutError(StationError):
    """The login is locked; ``retry_after`` says for how much longer."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(_wait_message(retry_after))
        self.retry_after = retry_after


def _wait_message(retry_after: timedelta) -> str:
    seconds = math.ceil(retry_after.total_seconds())
    if seconds < 60:
        return ngettext("Too many wrong passwords. Try again in {n} second.",
                        "Too many wrong passwords. Try again in {n} seconds.",
                        seconds).format(n=seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("Too many wrong passwords. Try again in {n} minute.",
                    "Too many wrong passwords. Try again in {n} minutes.",
                    minutes).format(n=minutes)


def lock_delay(failures: int) -> timedelta:
    """How long the ``failures``-th consecutive failure locks a login (zero for the first 5)."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES - 1, 8)
    return min(FIRST_DELAY * 2**doublings, MAX_DELAY)


@dataclass(frozen=True)
class _Entry:
    failures: int
    locked_until: datetime | None


@dataclass(frozen=True)
class _State:
    """Per-login failures, and a lock on every login after a damaged file was found."""

    logins: Mapping[str, _Entry]
    all_locked_until: datetime | None = None

    def locked_until(self, login: str) -> datetime | None:
        entry = self.logins.get(login)
        moments = (self.all_locked_until, None if entry is None else entry.locked_until)
        return max((moment for moment in moments if moment is not None), default=None)

    def capped(self, limit: datetime) -> _State:
        """Every lock ending after ``limit`` (the clock was set back) now ends at ``limit``."""
        logins = {login: replace(entry, locked_until=_earlier(entry.locked_until, limit))
                  for login, entry in self.logins.items()}
        return _State(logins, _earlier(self.all_locked_until, limit))

    def to_json(self) -> dict[str, Any]:
        logins = {login: {"failures": e.failures, "locked_until": _time_json(e.locked_until)}
                  for login, e in self.logins.items()}
        return {"version": _VERSION, "all_locked_until": _time_json(self.all_locked_until),
                "logins": logins}

    @classmethod
    def from_json(cls, obj: Any) -> _State:
        """Raise ValueError for anything but a well-formed throttle state."""
        if not isinstance(obj, dict) or obj.get("version") != _VERSION:
            raise ValueError("throttle file version")
        logins = obj.get("logins")
        if not isinstance(logins, dict):
            raise ValueError("throttle file logins")
        return cls({login: _entry_from_json(entry) for login, entry in logins.items()},
                   _time_from_json(obj.get("all_locked_until")))


def _entry_from_json(obj: Any) -> _Entry:
    failures = obj.get("failures") if isinstance(obj, dict) else None
    if type(failures) is not int or failures < 1:
        raise ValueError("throttle file failures")
    return _Entry(failures, _time_from_json(obj.get("locked_until")))


def _time_json(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time_from_json(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is not None:
        raise ValueError("throttle file time")
    return moment


def _earlier(moment: datetime | None, limit: datetime) -> datetime | None:
    return None if moment is None else min(moment, limit)


class LoginThrottle:
    """Counts consecutive wrong passwords per login in the JSON file at ``path``."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = Clock().now) -> None:
        """Load the counts. A damaged file locks every login for MAX_DELAY. Raises OSError."""
        self._path = Path(path)
        self._clock = clock
        self._state = self._load()

    def check(self, login: str) -> None:
        """Raise LockedOutError while ``login`` is locked."""
        now = self._now()
        until = self._state.locked_until(login)
        if until is None or until <= now:
            return
        if until - now > MAX_DELAY:
            self._save(self._state.capped(now + MAX_DELAY))
            until = now + MAX_DELAY
        raise LockedOutError(until - now)

    def record_failure(self, login: str) -> None:
        """Count a wrong password; from the sixth in a row on, lock the login."""
        now = self._now()
        entry = self._state.logins.get(login)
        failures = 1 if entry is None else entry.failures + 1
        delay = lock_delay(failures)
        new = _Entry(failures, now + delay if delay else None)
        self._save(replace(self._state, logins={**self._state.logins, login: new}))

    def record_success(self, login: str) -> None:
        """Forget the login's failures."""
        if login in self._state.logins:
            logins = {k: v for k, v in self._state.logins.items() if k != login}
            self._save(replace(self._state, logins=logins))

    def _now(self) -> datetime:
        moment = self._clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment

    def _load(self) -> _State:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return _State({})
        try:
            return _State.from_json(json.loads(raw))
        except ValueError:
            minutes = int(MAX_DELAY.total_seconds() // 60)
            log.warning("login throttle file unreadable; every login locked for %d minutes",
                        minutes)
            state = _State({}, self._now() + MAX_DELAY)
            write_atomically(self._path, _encode(state))
            return state

    def _save(self, state: _State) -> None:
        write_atomically(self._path, _encode(state))
        self._state = state


def _encode(state: _State) -> bytes:
    return (json.dumps(state.to_json(), indent=2, sort_keys=True) + "\n").encode("utf-8")
