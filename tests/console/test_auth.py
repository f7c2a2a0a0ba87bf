"""Signing in and out: the session cookie, its idle and absolute expiry on the township's
clock, the login form's own CSRF token, and the per-account throttle."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sync.township.users import UserService
from tests.console.seed import CHEAP_KDF, REVIEWER, ConsoleClient, Seeded
from tests.township.server import MovableClock


def _new_user(seeded: Seeded) -> tuple[str, str]:
    login, password = "u" + uuid.uuid4().hex[:10], "a long enough password"
    UserService(seeded.service.context, CHEAP_KDF).add(login, "测试", "reviewer", password)
    return login, password


def test_signing_in_sets_a_strict_httponly_session_cookie(seeded: Seeded) -> None:
    client = ConsoleClient(seeded.township.url)
    answer = client.login(*REVIEWER)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/cases"
    cookie = answer.headers["set-cookie"]
    assert "township_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie, "Secure only when served over https"
    assert client.get("/console/cases").status_code == 200


def test_signing_in_goes_back_to_the_page_asked_for_but_never_elsewhere(
        seeded: Seeded) -> None:
    client = ConsoleClient(seeded.township.url)
    sent_away = client.get("/console/reconciliation?all=1")
    assert sent_away.headers["location"] == \
        "/console/login?next=%2Fconsole%2Freconciliation%3Fall%3D1"
    client.get(sent_away.headers["location"])
    answer = client.post("/console/login", {"login": REVIEWER[0], "password": REVIEWER[1],
                                            "next": "/console/reconciliation?all=1"})
    assert answer.headers["location"] == "/console/reconciliation?all=1"
    other = ConsoleClient(seeded.township.url)
    other.get("/console/login")
    answer = other.post("/console/login", {"login": REVIEWER[0], "password": REVIEWER[1],
                                           "next": "//evil.example/console/"})
    assert answer.headers["location"] == "/console/cases"


@pytest.mark.parametrize("token", ["", "not-the-cookie"])
def test_the_login_form_needs_its_csrf_token(seeded: Seeded, token: str) -> None:
    client = ConsoleClient(seeded.township.url)
    client.get("/console/login")
    answer = client.post("/console/login", {"login": REVIEWER[0], "password": REVIEWER[1]},
                         csrf=token)
    assert answer.status_code == 403
    assert "township_session" not in client.session.cookies


def test_signing_out_ends_the_session_on_the_server(seeded: Seeded) -> None:
    client = ConsoleClient(seeded.township.url)
    client.login(*REVIEWER)
    stolen = client.session.cookies["township_session"]
    assert client.post("/console/logout").headers["location"] == "/console/login"
    replay = ConsoleClient(seeded.township.url)
    replay.session.cookies.set("township_session", stolen, path="/console")
    assert replay.get("/console/cases").status_code == 303


@pytest.mark.parametrize("idle, total, alive", [
    (timedelta(minutes=29), timedelta(minutes=29), True),
    (timedelta(minutes=31), timedelta(minutes=31), False),
    (timedelta(minutes=25), timedelta(hours=11, minutes=55), True),
    (timedelta(minutes=25), timedelta(hours=12, minutes=5), False),
])
def test_sessions_expire_when_idle_and_after_twelve_hours(
        seeded: Seeded, clock: MovableClock, idle: timedelta, total: timedelta,
        alive: bool) -> None:
    """Requests every ``idle`` until ``total`` has passed since signing in."""
    client = ConsoleClient(seeded.township.url)
    client.login(*REVIEWER)
    passed = timedelta(0)
    statuses = []
    while passed < total:
        step = min(idle, total - passed)
        clock.advance(step)
        passed += step
        statuses.append(client.get("/console/cases").status_code)
    assert statuses[-1] == (200 if alive else 303)


def test_a_wrong_password_is_refused_like_an_unknown_login(seeded: Seeded) -> None:
    login, _password = _new_user(seeded)
    client = ConsoleClient(seeded.township.url)
    wrong = client.login(login, "not the password")
    unknown = client.login("nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert 'id="login-error"' in wrong.text


def test_repeated_wrong_passwords_lock_the_account_for_a_growing_time(
        seeded: Seeded, clock: MovableClock) -> None:
    login, password = _new_user(seeded)
    client = ConsoleClient(seeded.township.url)
    assert [client.login(login, "wrong").status_code for _ in range(6)] == [401] * 5 + [429]
    assert client.login(login, password).status_code == 429, "locked: not even checked"
    clock.advance(timedelta(seconds=31))
    assert client.login(login, "wrong").status_code == 429
    assert client.login(login, password).status_code == 429, "locked for a minute now"
    clock.advance(timedelta(seconds=61))
    assert client.login(login, password).status_code == 303


def test_other_accounts_are_not_locked_by_someone_elses_failures(seeded: Seeded) -> None:
    login, _password = _new_user(seeded)
    client = ConsoleClient(seeded.township.url)
    for _ in range(7):
        client.login(login, "wrong")
    assert ConsoleClient(seeded.township.url).login(*REVIEWER).status_code == 303
