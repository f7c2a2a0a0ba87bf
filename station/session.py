"""Setting up a station, logging in, and what a logged-in session can do to agents and keys.

The data directory holds ``station.db`` (SQLCipher), ``station.keys`` (the wrapped data
key), ``login.throttle`` (failed-login counts) and ``materials/`` (encrypted pages).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from station import store
from station.applicants import ApplicantService
from station.audit import Action
from station.blobstore import BlobStore
from station.cases import CaseService
from station.clock import Clock
from station.context import ServiceContext
from station.errors import StationError
from station.i18n import _
from station.keyfile import KdfParams, KeyFile, WrongPasswordError
from station.materials import MaterialService
from station.paths import StationPaths
from station.roles import AGENT, SUPERVISOR
from station.models import Agent, Station
from station.throttle import LoginThrottle

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
_STATION_CODE = re.compile(r"^[A-Z0-9]{2,20}$")
_LOGIN = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")


class SetupError(StationError):
    """The station cannot be set up as asked."""


class PermissionDeniedError(StationError):
    def __init__(self) -> None:
        super().__init__(_("Only a supervisor can do this."))


class AgentDisabledError(StationError):
    def __init__(self) -> None:
        super().__init__(_("This agent account is disabled. Ask the station supervisor."))


@dataclass(frozen=True)
class StationSetup:
    """What ``init_station`` needs to know."""

    code: str
    name: str
    township: str
    login: str
    display_name: str
    password: str
    escrow_public_key: bytes | None = None


def station_code_ok(code: str) -> bool:
    """Whether ``code`` is usable as a station code."""
    return bool(_STATION_CODE.match(code))


def login_ok(login: str) -> bool:
    """Whether ``login`` is usable as a login name."""
    return bool(_LOGIN.match(login))


def check_password(password: str) -> None:
    """Raises SetupError when a new password is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SetupError(
            _("A password needs at least {n} characters.").format(n=MIN_PASSWORD_LENGTH)
        )


def check_login(login: str) -> None:
    """Raises SetupError for a login name the key file and CLI cannot use."""
    if not login_ok(login):
        raise SetupError(
            _(
                "A login name is 2-32 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter."
            )
        )


def init_station(
    data_dir: Path, setup: StationSetup, *, kdf: KdfParams = KdfParams(), clock: Clock = Clock()
) -> str:
    """Create the station's store and key file; return the recovery code to show once.

    Raises SetupError when the directory already holds a station or the input is invalid.
    """
    paths = StationPaths(Path(data_dir))
    _check_setup(paths, setup)
    paths.root.mkdir(parents=True, exist_ok=True)
    data_key = os.urandom(store.KEY_BYTES)
    _, recovery_code = KeyFile.create(
        paths.keys,
        station_id=setup.code,
        data_key=data_key,
        login=setup.login,
        password=setup.password,
        escrow_public_key=setup.escrow_public_key,
        kdf=kdf,
    )
    try:
        _create_store(paths, data_key, setup, clock)
    except BaseException:
        for leftover in (paths.keys, paths.db, Path(f"{paths.db}-wal"), Path(f"{paths.db}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    log.info("station initialised")
    return recovery_code


def _check_setup(paths: StationPaths, setup: StationSetup) -> None:
    if paths.exists():
        raise SetupError(_("This data directory already holds a station."))
    if not station_code_ok(setup.code):
        raise SetupError(_("A station code is 2-20 capital letters or digits."))
    if not setup.name.strip() or not setup.township.strip():
        raise SetupError(_("The station needs a name and a township."))
    check_login(setup.login)
    check_password(setup.password)


def _create_store(paths: StationPaths, data_key: bytes, setup: StationSetup, clock: Clock) -> None:
    db = store.open_store(paths.db, data_key)
    try:
        with db.atomic():
            now = clock.now()
            station = Station.create(
                code=setup.code, name=setup.name, township=setup.township, created_at=now
            )
            agent = Agent.create(
                login=setup.login, display_name=setup.display_name, role=SUPERVISOR, created_at=now
            )
            ctx = ServiceContext(db, clock, station, agent)
            ctx.record(Action.ADMIN, "station", station.code, {"what": "init"})
    finally:
        db.close()


def login(data_dir: Path, login_name: str, password: str, *, clock: Clock = Clock()) -> "Session":
    """Unlock the station as an agent.

    Raises LockedOutError (wait), WrongPasswordError (counted towards the lock-out),
    AgentDisabledError, the key file's and the store's errors.
    """
    paths = StationPaths(Path(data_dir))
    keyfile = KeyFile.load(paths.keys)
    keys = _unlock(paths, keyfile, login_name, password, clock)
    db, data_key = _open_finishing_rotation(paths, keyfile, keys.current, keys.pending)
    return Session.start(paths, db, keyfile, data_key, login_name, clock)


def confirm_password(
    data_dir: Path, login_name: str, password: str, *, clock: Clock = Clock()
) -> None:
    """Check an agent's password the way ``login`` does (same lock-out), opening nothing:
    for unlocking a window whose session stayed open.

    Raises LockedOutError, WrongPasswordError and the key file's errors.
    """
    paths = StationPaths(Path(data_dir))
    _unlock(paths, KeyFile.load(paths.keys), login_name, password, clock)


def _unlock(paths: StationPaths, keyfile: KeyFile, login_name: str, password: str,
            clock: Clock):  # noqa: ANN202 - the key file's unlocked keys
    throttle = LoginThrottle(paths.throttle, clock=clock.now)
    throttle.check(login_name)
    try:
        keys = keyfile.unlock(login_name, password)
    except WrongPasswordError:
        throttle.record_failure(login_name)
        raise
    throttle.record_success(login_name)
    return keys


def _open_finishing_rotation(
    paths: StationPaths, keyfile: KeyFile, current: bytes, pending: bytes | None
) -> tuple[store.StoreDatabase, bytes]:
    """Open the store; settle a key rotation that a crash interrupted."""
    try:
        db = store.open_store(paths.db, current)
    except store.StoreKeyError:
        if pending is None:
            raise
        db = store.open_store(paths.db, pending)
        keyfile.commit_rotation()
        log.warning("finished an interrupted key rotation")
        return db, pending
    if pending is not None:
        keyfile.abort_rotation()
        log.warning("abandoned a key rotation that had not started")
    return db, current


def recover_password(
    data_dir: Path,
    recovery_code: str,
    login_name: str,
    new_password: str,
    *,
    clock: Clock = Clock(),
) -> None:
    """Set a new password for ``login_name`` with the station's recovery code.

    Raises WrongRecoveryCodeError, UnknownAgentError, SetupError.
    """
    check_password(new_password)
    paths = StationPaths(Path(data_dir))
    keyfile = KeyFile.load(paths.keys)
    keys = keyfile.unlock_with_recovery(recovery_code)
    db, data_key = _open_finishing_rotation(paths, keyfile, keys.current, keys.pending)
    try:
        keyfile.reset_password(data_key, login_name, new_password)
        with db.atomic():
            ctx = ServiceContext(db, clock, Station.get(), Agent.get(Agent.login == login_name))
            ctx.record(Action.ADMIN, "agent", login_name, {"what": "recovery-reset"})
    finally:
        db.close()
    LoginThrottle(paths.throttle, clock=clock.now).record_success(login_name)


class Session:
    """A logged-in agent's view of the station: services, agents, keys."""

    def __init__(
        self,
        paths: StationPaths,
        db: store.StoreDatabase,
        keyfile: KeyFile,
        data_key: bytes,
        ctx: ServiceContext,
    ) -> None:
        self.paths = paths
        self.db = db
        self.keyfile = keyfile
        self._data_key = data_key
        self.ctx = ctx
        self.blobs = BlobStore(paths.materials)
        from station.catalogs import LatestCalendar  # it needs the demo's bundled catalog

        self.cases = CaseService(ctx, LatestCalendar())
        self.materials = MaterialService(ctx, self.blobs)
        self.applicants = ApplicantService(ctx)

    @classmethod
    def start(
        cls,
        paths: StationPaths,
        db: store.StoreDatabase,
        keyfile: KeyFile,
        data_key: bytes,
        login_name: str,
        clock: Clock,
    ) -> "Session":
        agent = Agent.get_or_none(Agent.login == login_name)
        if agent is None or agent.disabled_at is not None:
            db.close()
            raise AgentDisabledError()
        ctx = ServiceContext(db, clock, Station.get(), agent)
        with db.atomic():
            ctx.record(Action.LOGIN, "agent", agent.login)
        return cls(paths, db, keyfile, data_key, ctx)

    @property
    def data_key(self) -> bytes:
        return self._data_key

    @property
    def agent(self) -> Agent:
        return self.ctx.agent

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_supervisor(self) -> None:
        if self.agent.role != SUPERVISOR:
            raise PermissionDeniedError()

    def agents(self) -> list[Agent]:
        """Every agent, active and disabled."""
        return list(Agent.select().order_by(Agent.login))

    def add_agent(
        self, login_name: str, display_name: str, password: str, role: str = AGENT
    ) -> Agent:
        """Enrol another agent (supervisors only)."""
        self._require_supervisor()
        check_login(login_name)
        check_password(password)
        if role not in (AGENT, SUPERVISOR):
            raise ValueError(role)
        if Agent.get_or_none(Agent.login == login_name):
            raise SetupError(_("An agent with this login name already exists."))
        self.keyfile.add_agent(self._data_key, login_name, password)
        with self.db.atomic():
            agent = Agent.create(
                login=login_name,
                display_name=display_name,
                role=role,
                created_at=self.ctx.clock.now(),
            )
            self.ctx.record(Action.ADMIN, "agent", login_name, {"what": "add"})
        return agent

    def disable_agent(self, login_name: str) -> None:
        """Disable an agent and rotate the data key, so a copied key opens nothing new."""
        self._require_supervisor()
        if login_name == self.agent.login:
            raise SetupError(_("You cannot disable your own account."))
        agent = Agent.get_or_none(Agent.login == login_name)
        if agent is None or agent.disabled_at is not None:
            raise SetupError(_("There is no active agent with this login name."))
        with self.db.atomic():
            agent.disabled_at = self.ctx.clock.now()
            agent.save()
            self.ctx.record(Action.ADMIN, "agent", login_name, {"what": "disable"})
        self.keyfile.remove_agent(login_name)
        self.rotate_data_key()

    def change_password(self, old_password: str, new_password: str) -> None:
        """Change the logged-in agent's own password."""
        check_password(new_password)
        self.keyfile.change_password(self.agent.login, old_password, new_password)
        with self.db.atomic():
            self.ctx.record(Action.ADMIN, "agent", self.agent.login, {"what": "password"})

    def reset_password(self, login_name: str, new_password: str) -> None:
        """Set a new password for another agent who forgot theirs (supervisors only)."""
        self._require_supervisor()
        check_password(new_password)
        self.keyfile.reset_password(self._data_key, login_name, new_password)
        with self.db.atomic():
            self.ctx.record(Action.ADMIN, "agent", login_name, {"what": "reset"})

    def rotate_data_key(self) -> None:
        """Re-encrypt the store under a new data key; crash-safe with the key file."""
        new_key = os.urandom(store.KEY_BYTES)
        self.keyfile.stage_rotation(self._data_key, new_key)
        self.db.rekey_raw(new_key)
        self.keyfile.commit_rotation()
        self._data_key = new_key
        with self.db.atomic():
            self.ctx.record(Action.ADMIN, "station", None, {"what": "rotate-key"})
        log.info("data key rotated")
