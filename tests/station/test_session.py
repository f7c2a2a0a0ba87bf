"""Setting up a station, logging in, agents and data-key rotation, end to end on disk."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from station import session as sessions, store
from station.keyfile import KeyFile, WrongPasswordError, WrongRecoveryCodeError
from station.models import Agent, Setting
from station.throttle import LockedOutError
from tests.station.conftest import CHEAP_KDF, PASSWORD, SETUP


def _login(station_dir: Path, clock, login: str = SETUP.login, password: str = PASSWORD):
    return sessions.login(station_dir, login, password, clock=clock)


def test_init_refuses_an_existing_station(station_dir: Path) -> None:
    with pytest.raises(sessions.SetupError, match="already holds"):
        sessions.init_station(station_dir, SETUP, kdf=CHEAP_KDF)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"code": "bad code"}, "station code"),
        ({"password": "short"}, "at least 8"),
        ({"login": "Wang Wu"}, "login name"),
        ({"township": " "}, "township"),
    ],
)
def test_init_validates_input(tmp_path: Path, change: dict, message: str) -> None:
    setup = sessions.StationSetup(**{**SETUP.__dict__, **change})
    with pytest.raises(sessions.SetupError, match=message):
        sessions.init_station(tmp_path / "s", setup, kdf=CHEAP_KDF)
    assert not (tmp_path / "s" / "station.keys").exists()


def test_init_creates_station_and_supervisor(session) -> None:
    assert session.ctx.station.code == SETUP.code
    assert session.agent.role == sessions.SUPERVISOR


def test_wrong_password_then_growing_lockout_persisted(station_dir: Path, clock) -> None:
    for _ in range(5):
        with pytest.raises(WrongPasswordError):
            _login(station_dir, clock, password="wrong password")
    with pytest.raises(WrongPasswordError):
        _login(station_dir, clock, password="wrong again!")
    with pytest.raises(LockedOutError) as locked:
        _login(station_dir, clock)
    first_delay = locked.value.retry_after
    clock.advance(first_delay + timedelta(seconds=1))
    with pytest.raises(WrongPasswordError):
        _login(station_dir, clock, password="still wrong")
    with pytest.raises(LockedOutError) as locked:
        _login(station_dir, clock)
    assert locked.value.retry_after > first_delay
    clock.advance(locked.value.retry_after + timedelta(seconds=1))
    _login(station_dir, clock).close()


def test_unlocking_a_kept_session_counts_towards_the_same_lockout(
    station_dir: Path, clock
) -> None:
    sessions.confirm_password(station_dir, SETUP.login, PASSWORD, clock=clock)
    for _ in range(6):
        with pytest.raises(WrongPasswordError):
            sessions.confirm_password(station_dir, SETUP.login, "wrong password", clock=clock)
    with pytest.raises(LockedOutError):
        _login(station_dir, clock)
    with pytest.raises(LockedOutError):
        sessions.confirm_password(station_dir, SETUP.login, PASSWORD, clock=clock)


def test_add_agent_and_permissions(session, station_dir: Path, clock) -> None:
    session.add_agent("li", "李代办", "another pass 2")
    with _login(station_dir, clock, "li", "another pass 2") as li:
        assert li.agent.role == sessions.AGENT
        with pytest.raises(sessions.PermissionDeniedError):
            li.add_agent("zhao", "赵", "password 333")
    with pytest.raises(sessions.SetupError, match="already exists"):
        session.add_agent("li", "李", "another pass 2")


def test_disable_agent_rotates_the_data_key(session, station_dir: Path, clock) -> None:
    session.add_agent("li", "李代办", "another pass 2")
    old_key = session.data_key
    with session.db.atomic():
        Setting.replace(key="probe", value="kept").execute()
    session.disable_agent("li")
    assert session.data_key != old_key
    assert Agent.get(Agent.login == "li").disabled_at is not None
    session.close()
    with pytest.raises(store.StoreKeyError):
        store.open_store(station_dir / "station.db", old_key)
    with pytest.raises(WrongPasswordError):
        _login(station_dir, clock, "li", "another pass 2")
    with _login(station_dir, clock):
        assert Setting.get(Setting.key == "probe").value == "kept"


def test_change_password(session, station_dir: Path, clock) -> None:
    with pytest.raises(WrongPasswordError):
        session.change_password("not the password", "brand new pass")
    session.change_password(PASSWORD, "brand new pass")
    session.close()
    with pytest.raises(WrongPasswordError):
        _login(station_dir, clock)
    _login(station_dir, clock, password="brand new pass").close()


def test_supervisor_resets_a_forgotten_password(session, station_dir: Path, clock) -> None:
    session.add_agent("li", "李代办", "another pass 2")
    session.reset_password("li", "reset pass 99")
    _login(station_dir, clock, "li", "reset pass 99").close()


def test_recovery_code_resets_the_password(tmp_path: Path, clock) -> None:
    code = sessions.init_station(tmp_path / "s", SETUP, kdf=CHEAP_KDF, clock=clock)
    with pytest.raises(WrongRecoveryCodeError):
        sessions.recover_password(tmp_path / "s", "A" * 30, SETUP.login, "recovered pass")
    sessions.recover_password(tmp_path / "s", code.lower(), SETUP.login, "recovered pass")
    _login(tmp_path / "s", clock, password="recovered pass").close()


def test_rotation_interrupted_after_rekey_is_finished(session, station_dir: Path, clock) -> None:
    new_key = bytes(range(32))
    session.keyfile.stage_rotation(session.data_key, new_key)
    session.db.rekey_raw(new_key)
    session.close()  # the process "dies" before commit_rotation
    with _login(station_dir, clock) as reopened:
        assert reopened.data_key == new_key
        assert not KeyFile.load(station_dir / "station.keys").rotation_pending


def test_rotation_interrupted_before_rekey_is_abandoned(session, station_dir: Path, clock) -> None:
    old_key = session.data_key
    session.keyfile.stage_rotation(old_key, bytes(range(32)))
    session.close()  # the process "dies" before the rekey
    with _login(station_dir, clock) as reopened:
        assert reopened.data_key == old_key
        assert not KeyFile.load(station_dir / "station.keys").rotation_pending
