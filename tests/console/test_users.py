"""Console accounts: Argon2id hashes that carry their parameters, roles, the throttle, and
``township user add``; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.township.cli import main
from sync.township.models import User
from sync.township.service import Township, open_township
from sync.township.users import (
    LockedOutError,
    LoginRefusedError,
    Role,
    UserError,
    UserService,
    hash_password,
    lock_delay,
    password_matches,
)
from tests.console.seed import CHEAP_KDF
from tests.township.server import MovableClock, PASSPHRASE, create_township

ENV = {"TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en", "LANGUAGE": "en"}


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_a_hash_matches_its_password_only(password: str) -> None:
    encoded = hash_password(password, CHEAP_KDF)
    assert encoded.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert password_matches(password, encoded)
    assert not password_matches(password + "x", encoded)


def test_passwords_are_compared_in_nfc() -> None:
    assert password_matches("caf\u00e9 au lait", hash_password("cafe\u0301 au lait", CHEAP_KDF))


@pytest.mark.parametrize("failures, delay", [
    (1, 0), (5, 0), (6, 30), (7, 60), (8, 120), (12, 1920), (13, 3600), (1000, 3600),
])
def test_the_lock_grows_to_an_hour(failures: int, delay: int) -> None:
    assert lock_delay(failures) == timedelta(seconds=delay)


def test_an_account_signs_in_with_its_password(service: Township) -> None:
    users = UserService(service.context, CHEAP_KDF)
    added = users.add("li.na", "李娜", "admin", "a long password")
    assert added.role is Role.ADMIN and added.may(Role.ADMIN) and added.may(Role.REVIEWER)
    assert users.authenticate("li.na", "a long password") == added
    assert "a long password" not in User.get().password_hash
    with pytest.raises(LoginRefusedError):
        users.authenticate("li.na", "wrong password")
    with pytest.raises(LoginRefusedError):
        users.authenticate("nobody", "a long password")


def test_a_reviewer_may_not_use_admin_pages(service: Township) -> None:
    reviewer = UserService(service.context, CHEAP_KDF).add("wang", "王", "reviewer",
                                                           "a long password")
    assert reviewer.may(Role.REVIEWER) and not reviewer.may(Role.ADMIN)


def test_the_throttle_is_kept_in_the_database(service: Township) -> None:
    clock = service.context.clock
    assert isinstance(clock, MovableClock)
    users = UserService(service.context, CHEAP_KDF)
    users.add("zhao", "赵", "reviewer", "a long password")
    for _ in range(5):
        with pytest.raises(LoginRefusedError):
            users.authenticate("zhao", "wrong")
    with pytest.raises(LockedOutError) as locked:
        users.authenticate("zhao", "wrong")
    assert locked.value.retry_after == timedelta(seconds=30)
    with pytest.raises(LockedOutError):
        users.authenticate("zhao", "a long password")
    clock.advance(timedelta(seconds=30))
    assert users.authenticate("zhao", "a long password").login == "zhao"
    assert User.get().failed_logins == 0


@pytest.mark.parametrize("login, name, role, password, code", [
    ("Zhao", "赵", "reviewer", "a long password", "bad_login"),
    ("z", "赵", "reviewer", "a long password", "bad_login"),
    ("zhao", " ", "reviewer", "a long password", "bad_name"),
    ("zhao", "赵", "superuser", "a long password", "bad_role"),
    ("zhao", "赵", "reviewer", "short", "weak_password"),
])
def test_accounts_are_checked(service: Township, login: str, name: str, role: str,
                              password: str, code: str) -> None:
    with pytest.raises(UserError) as refused:
        UserService(service.context, CHEAP_KDF).add(login, name, role, password)
    assert refused.value.code == code


def test_a_login_is_taken_once(service: Township) -> None:
    users = UserService(service.context, CHEAP_KDF)
    users.add("zhao", "赵", "reviewer", "a long password")
    with pytest.raises(UserError) as refused:
        users.add("zhao", "赵二", "admin", "another long password")
    assert refused.value.code == "login_taken"


def test_township_user_add(tmp_path: Path) -> None:
    data = tmp_path / "township"
    create_township(data).close()
    env = {**ENV, "TOWNSHIP_USER_PASSWORD": "a long password"}
    runner = CliRunner()
    made = runner.invoke(main, ["--data", str(data), "user", "add", "wang", "--name", "王审核",
                                "--role", "admin"], env=env)
    assert made.exit_code == 0, made.output
    again = runner.invoke(main, ["--data", str(data), "user", "add", "wang"], env=env)
    assert again.exit_code == 1 and "exists" in again.output
    weak = runner.invoke(main, ["--data", str(data), "user", "add", "li"],
                         env={**env, "TOWNSHIP_USER_PASSWORD": "short"})
    assert weak.exit_code == 1 and "10 characters" in weak.output
    service = open_township(data, PASSPHRASE)
    try:
        account = UserService(service.context).authenticate("wang", "a long password")
    finally:
        service.close()
    assert (account.display_name, account.role) == ("王审核", Role.ADMIN)
