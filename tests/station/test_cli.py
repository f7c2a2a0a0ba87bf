"""The ``station`` command, driven through click's runner and once through a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest
import sqlcipher3
from click.testing import CliRunner, Result

from station import session as sessions, settings, store
from station.applicants import ApplicantInput
from station.blobstore import BlobStore
from station.cli import main
from station.keyfile import KeyFile
from tests.station.conftest import CHEAP_KDF, PASSWORD, SETUP

NEW_PASSWORD = "new secret 22"
LI_PASSWORD = "li password 3"
# Every variable the command reads, unset unless a test sets it; LANGUAGE because
# ``i18n.setup`` writes it and the runner restores what it was given.
_CLEAN_ENV = {
    name: None
    for name in (
        "STATION_PASSWORD", "STATION_NEW_PASSWORD", "STATION_RECOVERY_CODE", "STATION_USER",
        "STATION_DATA_DIR", "STATION_LANGUAGE", "LANGUAGE",
    )
}


@pytest.fixture
def station(tmp_path: Path) -> tuple[Path, str]:
    """A station made with cheap Argon2id (the CLI keeps the key file's parameters)."""
    data_dir = tmp_path / "station"
    recovery = sessions.init_station(data_dir, SETUP, kdf=CHEAP_KDF)
    return data_dir, recovery


@pytest.fixture
def data_dir(station) -> Path:
    return station[0]


def run(data_dir: Path, *args: str, password: str | None = PASSWORD, **env: str) -> Result:
    """Invoke ``station --data-dir DATA_DIR --lang en ARGS`` with a clean environment."""
    environment = {**_CLEAN_ENV, "STATION_PASSWORD": password, **env}
    return CliRunner().invoke(
        main, ["--data-dir", str(data_dir), "--lang", "en", *args], env=environment
    )


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == ""
    return result.stdout


def one_line_error(result: Result, code: int = 1) -> str:
    """The single ``Error: …`` line of a failed command (no traceback, nothing else)."""
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def _can_login(data_dir: Path, login: str, password: str) -> bool:
    try:
        sessions.login(data_dir, login, password).close()
    except Exception:  # noqa: BLE001 - any refusal counts as "cannot"
        return False
    return True


# --- init -----------------------------------------------------------------------------------


def test_init_with_real_argon2_prints_the_recovery_code_once(tmp_path) -> None:
    data_dir = tmp_path / "new"
    out = ok(run(
        data_dir, "init", "--code", "CUN01", "--name", "东村便民服务站", "--township", "西镇",
        "--login", "zhang", "--display-name", "张代办", password=None,
        STATION_NEW_PASSWORD=PASSWORD,
    ))
    codes = re.findall(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3,}\b", out)
    assert len(codes) == 1 and out.count(codes[0]) == 1
    assert "CUN01" in out and str(data_dir) in out
    assert KeyFile.load(data_dir / "station.keys").logins() == ["zhang"]
    ok(run(data_dir, "user", "passwd", "zhang", "--recovery", password=None,
           STATION_RECOVERY_CODE=codes[0].lower(), STATION_NEW_PASSWORD=NEW_PASSWORD))
    assert "Logged in as: zhang" in ok(run(data_dir, "info", password=NEW_PASSWORD))


def test_init_refuses_an_existing_station(data_dir) -> None:
    before = (data_dir / "station.keys").read_bytes()
    line = one_line_error(run(
        data_dir, "init", "--code", "CUN01", "--name", "n", "--township", "t", "--login", "zhang",
        "--display-name", "张", STATION_NEW_PASSWORD=PASSWORD,
    ))
    assert "already" in line
    assert (data_dir / "station.keys").read_bytes() == before


def test_init_reads_the_password_from_a_file(tmp_path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("short\n")
    line = one_line_error(run(
        tmp_path / "s", "init", "--code", "CUN01", "--name", "n", "--township", "t",
        "--login", "zhang", "--display-name", "张", "--new-password-file", str(secret),
    ))
    assert "at least 8" in line
    assert not (tmp_path / "s" / "station.keys").exists()


# --- users ----------------------------------------------------------------------------------


def _add_li(data_dir: Path, role: str = "agent") -> None:
    ok(run(data_dir, "user", "add", "li", "--name", "李代办", "--role", role,
           STATION_NEW_PASSWORD=LI_PASSWORD))


def test_user_add_and_list(data_dir) -> None:
    _add_li(data_dir)
    out = ok(run(data_dir, "user", "list", "--user", "wang"))
    assert out.splitlines() == [
        "li\t李代办\tagent\tactive", f"wang\t{SETUP.display_name}\tsupervisor\tactive"
    ]
    assert _can_login(data_dir, "li", LI_PASSWORD)


def test_several_agents_must_say_who_they_are(data_dir) -> None:
    _add_li(data_dir)
    assert "--user" in one_line_error(run(data_dir, "user", "list"))
    assert ok(run(data_dir, "user", "list", password=LI_PASSWORD, STATION_USER="li"))


def test_only_a_supervisor_adds_agents(data_dir) -> None:
    _add_li(data_dir)
    result = run(data_dir, "user", "add", "zhao", "--name", "赵", "--user", "li",
                 password=LI_PASSWORD, STATION_NEW_PASSWORD=LI_PASSWORD)
    assert "supervisor" in one_line_error(result)
    assert KeyFile.load(data_dir / "station.keys").logins() == ["li", "wang"]


def test_user_disable(data_dir) -> None:
    _add_li(data_dir)
    key_before = KeyFile.load(data_dir / "station.keys").unlock("wang", PASSWORD).current
    assert "disabled" in ok(run(data_dir, "user", "disable", "li", "--user", "wang"))
    assert ok(run(data_dir, "user", "list", "--user", "wang")).splitlines()[0].endswith("disabled")
    assert not _can_login(data_dir, "li", LI_PASSWORD)
    assert KeyFile.load(data_dir / "station.keys").unlock("wang", PASSWORD).current != key_before
    one_line_error(run(data_dir, "info", "--user", "li", password=LI_PASSWORD))
    own = run(data_dir, "user", "disable", "wang", "--user", "wang")
    assert "own account" in one_line_error(own)


def test_change_own_password(data_dir) -> None:
    ok(run(data_dir, "user", "passwd", STATION_NEW_PASSWORD=NEW_PASSWORD))
    assert _can_login(data_dir, "wang", NEW_PASSWORD)
    assert not _can_login(data_dir, "wang", PASSWORD)


def test_change_password_needs_the_current_one(data_dir) -> None:
    one_line_error(run(data_dir, "user", "passwd", password="not my password",
                       STATION_NEW_PASSWORD=NEW_PASSWORD))
    assert _can_login(data_dir, "wang", PASSWORD)


def test_supervisor_resets_an_agents_password(data_dir) -> None:
    _add_li(data_dir)
    ok(run(data_dir, "user", "passwd", "li", "--user", "wang", STATION_NEW_PASSWORD=NEW_PASSWORD))
    assert _can_login(data_dir, "li", NEW_PASSWORD)
    assert _can_login(data_dir, "wang", PASSWORD)
    result = run(data_dir, "user", "passwd", "wang", "--user", "li", password=NEW_PASSWORD,
                 STATION_NEW_PASSWORD=LI_PASSWORD)
    assert "supervisor" in one_line_error(result)


def test_password_reset_with_the_recovery_code(station) -> None:
    data_dir, recovery = station
    ok(run(data_dir, "user", "passwd", "wang", "--recovery", password=None,
           STATION_RECOVERY_CODE=recovery, STATION_NEW_PASSWORD=NEW_PASSWORD))
    assert _can_login(data_dir, "wang", NEW_PASSWORD)
    wrong = run(data_dir, "user", "passwd", "wang", "--recovery", password=None,
                STATION_RECOVERY_CODE="AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA",
                STATION_NEW_PASSWORD=PASSWORD)
    one_line_error(wrong)
    assert "LOGIN" in one_line_error(run(data_dir, "user", "passwd", "--recovery",
                                         STATION_RECOVERY_CODE=recovery))


# --- audit ----------------------------------------------------------------------------------


def _tamper(data_dir: Path, statement: str) -> None:
    key = KeyFile.load(data_dir / "station.keys").unlock("wang", PASSWORD).current
    connection = sqlcipher3.connect(str(data_dir / "station.db"))
    try:
        connection.execute(f'PRAGMA key="{store.raw_key(key)}"')
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_audit_verify(data_dir) -> None:
    out = ok(run(data_dir, "audit", "verify"))
    assert re.fullmatch(r"Audit log intact: \d+ entries\.\n", out)


@pytest.mark.parametrize(
    "statement, entry",
    [
        ("UPDATE audit_event SET object_id = 'someone-else' WHERE id = 2", 2),
        ("UPDATE audit_event SET action = 'view' WHERE id = 1", 1),
        ("DELETE FROM audit_event WHERE id = 2", 2),
    ],
)
def test_audit_verify_names_the_tampered_entry(data_dir, statement, entry) -> None:
    ok(run(data_dir, "info"))
    _tamper(data_dir, statement)
    line = one_line_error(run(data_dir, "audit", "verify"), code=3)
    assert f"entry {entry}:" in line


# --- backup, restore, info, maintain, key rotation ------------------------------------------


def test_backup_and_restore(data_dir, tmp_path) -> None:
    target = tmp_path / "backup.zip"
    assert str(target) in ok(run(data_dir, "backup", str(target)))
    restored = tmp_path / "restored"
    out = ok(run(restored, "restore", str(target), "--user", "wang"))
    assert "moved" not in out and (restored / "station.db").exists()
    assert "Station: TEST01" in ok(run(restored, "info"))
    again = ok(run(restored, "restore", str(target), "--user", "wang"))
    aside = Path(re.search(r"moved to (.+)\.$", again, re.M).group(1))
    assert (aside / "station.keys").exists()


@pytest.mark.parametrize(
    "args, password, expected",
    [
        (["--user", "wang"], "wrong password", "password"),
        ([], PASSWORD, "--user"),
        (["--user", "wang", "--password-file", "/no/such/file"], None, "refused"),
    ],
)
def test_restore_refusals_are_one_line(data_dir, tmp_path, args, password, expected) -> None:
    target = tmp_path / "backup.zip"
    ok(run(data_dir, "backup", str(target)))
    before = sorted(p.name for p in tmp_path.iterdir())
    line = one_line_error(run(tmp_path / "restored", "restore", str(target), *args,
                              password=password))
    assert expected in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_restore_of_a_damaged_file_is_one_line(data_dir, tmp_path) -> None:
    target = tmp_path / "backup.zip"
    ok(run(data_dir, "backup", str(target)))
    target.write_bytes(target.read_bytes()[:-100])
    assert "backup" in one_line_error(run(data_dir, "restore", str(target), "--user", "wang"))
    assert ok(run(data_dir, "info"))


def test_info_describes_the_station_without_personal_data(data_dir) -> None:
    with sessions.login(data_dir, "wang", PASSWORD) as session:
        session.applicants.save(ApplicantInput("欧阳明珠", "11010519491231002X", "13800138000"))
    out = ok(run(data_dir, "info"))
    labels = dict(line.split(": ", 1) for line in out.splitlines())
    assert labels["Station"] == f"{SETUP.code} {SETUP.name} ({SETUP.township})"
    assert labels["Logged in as"] == "wang"
    assert labels["Data directory"] == str(data_dir)
    assert labels["Escrow key"] == "not configured"
    assert int(labels["Schema version"]) >= 1 and labels["SQLCipher"][0].isdigit()
    assert int(labels["Audit entries"]) >= 3
    assert not any(s in out for s in ("欧阳", "110105", "1380013"))


def test_maintain_sweeps_old_leftovers_and_keeps_the_retention(data_dir, tmp_path) -> None:
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(b"\xff\xd8\xff" + bytes(1000))
    blobs = BlobStore(data_dir / "materials")
    old, fresh = blobs.put(scan).name, blobs.put(scan).name
    hours_ago = (datetime.now() - timedelta(hours=2)).timestamp()
    os.utime(blobs.path_of(old), (hours_ago, hours_ago))
    out = ok(run(data_dir, "maintain", "--retention-days", "30"))
    assert out == "Purged 0 pages of 0 cases; removed 1 leftover files.\n"
    assert set(blobs.names()) == {fresh}
    with sessions.login(data_dir, "wang", PASSWORD):
        assert settings.get("retention_days") == 30
    assert run(data_dir, "maintain", "--retention-days", "0").exit_code == 2


def test_key_rotate(data_dir) -> None:
    before = KeyFile.load(data_dir / "station.keys").unlock("wang", PASSWORD).current
    assert "rotated" in ok(run(data_dir, "key", "rotate"))
    after = KeyFile.load(data_dir / "station.keys").unlock("wang", PASSWORD).current
    assert after != before
    with pytest.raises(store.StoreKeyError):
        store.connect(data_dir / "station.db", before)
    store.connect(data_dir / "station.db", after).close()
    assert ok(run(data_dir, "audit", "verify"))


# --- errors ---------------------------------------------------------------------------------


def test_wrong_password_is_one_line(data_dir) -> None:
    assert "password" in one_line_error(run(data_dir, "info", password="wrong password"))


@pytest.mark.parametrize(
    "args", [("info",), ("user", "list"), ("user", "passwd", "wang", "--recovery")]
)
def test_missing_data_directory_is_one_line(tmp_path, args) -> None:
    missing = tmp_path / "nowhere"
    line = one_line_error(run(missing, *args, STATION_RECOVERY_CODE="AAAAA-AAAAA"))
    assert "station init" in line
    assert not missing.exists()


def test_locked_out_is_one_line(data_dir) -> None:
    for _ in range(6):
        one_line_error(run(data_dir, "info", password="wrong password"))
    assert "Try again in" in one_line_error(run(data_dir, "info"))


def test_missing_password_file_is_one_line(data_dir, tmp_path) -> None:
    result = run(data_dir, "info", "--password-file", str(tmp_path / "none"), password=None)
    assert "refused" in one_line_error(result)


def test_password_file(data_dir, tmp_path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\nsecond line\n", encoding="utf-8")
    assert ok(run(data_dir, "info", "--password-file", str(secret), password=None))


# --- every command documented ---------------------------------------------------------------


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(_commands(main))


def test_the_tree_holds_every_command() -> None:
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"init", "user add", "user list", "user disable", "user passwd", "audit verify",
            "backup", "restore", "info", "maintain", "key rotate", "demo"} <= paths


@pytest.mark.parametrize(
    "path, command", COMMANDS, ids=[" ".join(p) or "station" for p, _ in COMMANDS]
)
def test_every_command_and_option_has_help(tmp_path, path, command) -> None:
    assert (command.help or "").strip(), f"{path} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{path} {param.opts} has no help text"
    out = ok(run(tmp_path, *path, "--help", password=None))
    assert out.startswith("Usage: ") and command.help.split("\n")[0].strip()[:30] in out


# --- a real process -------------------------------------------------------------------------


def _process(data_dir: Path, *args: str, password: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env.update(STATION_PASSWORD=password)
    return subprocess.run(
        [sys.executable, "-m", "station", "--data-dir", str(data_dir), "--lang", "en", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_real_process(data_dir) -> None:
    done = _process(data_dir, "info", password=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert "Logged in as: wang" in done.stdout and done.stderr == ""
    failed = _process(data_dir, "audit", "verify", password="wrong password")
    assert failed.returncode == 1
    assert len(failed.stderr.splitlines()) == 1 and failed.stderr.startswith("Error: ")
    assert "Traceback" not in failed.stderr and failed.stdout == ""
