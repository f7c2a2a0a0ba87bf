"""Signing in and out. The login form is protected by a CSRF token of its own (a cookie
and a form field that must match) since there is no session yet; a successful login
starts a new session and drops any token the browser held."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from forms.i18n import _
from sync.township.apiauth import call
from sync.township.console.sessions import new_token
from sync.township.console.web import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    Console,
    View,
    action,
    console_of,
    csrf_refused,
    form_text,
    is_https,
    read_form,
    render,
    secured,
)
from sync.township.users import Account, LockedOutError, LoginRefusedError, Role

router = APIRouter()


@router.get("/login")
async def login_page(request: Request) -> Response:
    console = console_of(request)
    visitor = await call(console.township, console.sessions.resolve,
                         request.cookies.get(SESSION_COOKIE))
    if visitor is not None:
        return secured(RedirectResponse(_next(request.query_params.get("next")), 303),
                       is_https(request))
    return _login_form(console, request, 200, None, request.query_params.get("next"))


@router.post("/login")
async def login(request: Request) -> Response:
    console = console_of(request)
    form = await read_form(request, console.config.max_form)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = form.get(CSRF_FIELD) if form is not None else None
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(
            sent.encode(), cookie.encode()):
        return secured(csrf_refused(console, None), is_https(request))
    assert form is not None
    login_name, password = form_text(form, "login"), form.get("password")
    target = _next(form_text(form, "next"))
    outcome = await call(console.township, _sign_in, console, login_name,
                         password if isinstance(password, str) else "")
    if not isinstance(outcome, str):
        status, message = outcome
        return _login_form(console, request, status, message, target)
    response = RedirectResponse(target, 303)
    response.set_cookie(SESSION_COOKIE, outcome, httponly=True, samesite="strict",
                        secure=is_https(request), path=PREFIX)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return secured(response, is_https(request))


@router.post("/logout")
async def logout(request: Request) -> Response:
    return await action(request, Role.REVIEWER, _sign_out)


def _sign_in(console: Console, login_name: str, password: str) -> str | tuple[int, str]:
    """The new session's token, or the status and message of a refusal."""
    try:
        account: Account = console.users.authenticate(login_name, password)
    except LockedOutError as error:
        _audit_refusal(console, login_name, "locked")
        minutes = max(1, -(-int(error.retry_after.total_seconds()) // 60))
        return 429, _("Too many wrong passwords. Try again in {n} minutes.").format(n=minutes)
    except LoginRefusedError:
        _audit_refusal(console, login_name, "refused")
        return 401, _("Wrong login or password.")
    session = console.sessions.start(account)
    console.audit.record(account.login, "login", "user", str(account.id))
    return session.token


def _audit_refusal(console: Console, login_name: str, why: str) -> None:
    known = console.users.find(login_name)
    console.audit.record(known.login if known else None, "login_failed", "user",
                         str(known.id) if known else None, {"why": why})


def _sign_out(view: View, form: object) -> Response:
    view.console.sessions.end(view.visitor)
    view.audit("logout", "user", str(view.visitor.account.id))
    response = RedirectResponse(PREFIX + "/login", 303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _login_form(console: Console, request: Request, status: int, message: str | None,
                target: str | None) -> Response:
    token = new_token()
    response = render(console, "login.html", status, csrf=token, message=message,
                      next=_next(target))
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=is_https(request), path=PREFIX)
    return secured(response, is_https(request))


def _next(target: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    if (isinstance(target, str) and target.startswith(PREFIX + "/")
            and not target.startswith("//") and "\\" not in target
            and not target.startswith(PREFIX + "/login")):
        return target
    return PREFIX + "/cases"
