"""The login and lock screen: who may log in, and logging in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from station import keynames
from station.clock import Clock
from station.paths import StationPaths

if TYPE_CHECKING:
    from station.session import Session


@dataclass(frozen=True)
class LoginState:
    logins: list[str]
    selected: str | None


class LoginPresenter:
    """State of the login screen; ``login`` is slow (Argon2id) and runs on the worker."""

    def __init__(self, data_dir: Path, clock: Clock, locked_login: str | None = None,
                 before_switch: Callable[[], None] | None = None) -> None:
        """``before_switch`` runs (on the worker) once another agent's password is right
        and before their session opens: the locked agent's background work stops there."""
        self._paths = StationPaths(Path(data_dir))
        self._clock = clock
        self.locked_login = locked_login
        self._before_switch = before_switch

    def state(self) -> LoginState:
        """The agents who can log in; the locked agent (or the only one) preselected."""
        logins = keynames.logins(self._paths.keys)
        if logins is None:
            from station.keyfile import KeyFile

            logins = KeyFile.load(self._paths.keys).logins()  # raises saying what is wrong
        selected = self.locked_login or (logins[0] if len(logins) == 1 else None)
        return LoginState(logins, selected)

    def login(self, login_name: str, password: str) -> Session | None:
        """Open a session (on the worker: the store's modules load here, not at start-up);
        None when the locked agent unlocks their own session, which stayed open.

        Raises the key file's WrongPasswordError, LockedOutError, ...
        """
        from station import session as sessions

        if login_name == self.locked_login:
            sessions.confirm_password(self._paths.root, login_name, password, clock=self._clock)
            return None
        if self._before_switch is not None:
            sessions.confirm_password(self._paths.root, login_name, password, clock=self._clock)
            self._before_switch()
        return sessions.login(self._paths.root, login_name, password, clock=self._clock)
