"""The console's HTTP plumbing: the services its pages use (:class:`Console`), who is
asking (session cookie, role), CSRF on every form, rendering, and the headers every
console answer carries.

A page handler is a plain function run in a worker thread on a database connection of its
own (as the API's service calls are); it gets a :class:`View` and returns a Response.
Anonymous visitors are sent to the login page (303), a reviewer asking for an admin page
gets 403, a form without this session's CSRF token gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from forms.i18n import _, catalog
from sync.errors import SyncError
from sync.township.apiauth import call
from sync.township.audit import AuditLog
from sync.township.catalogs import CatalogReleases
from sync.township.console import labels
from sync.township.console.casefacts import CaseIndex
from sync.township.console.catalogs import CatalogLibrary
from sync.township.console.config import ConsoleConfig
from sync.township.console.deadlines import local_date, local_time
from sync.township.console.sessions import SessionStore, Visitor
from sync.township.errors import NotFoundError
from sync.township.keys import KdfParams
from sync.township.service import Township
from sync.township.users import Role, UserService

PREFIX = "/console"
SESSION_COOKIE = "township_session"
LOGIN_COOKIE = "township_login"
CSRF_FIELD = "csrf_token"
TEMPLATES = Path(__file__).resolve().parent / "templates"
_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")

Handler = Callable[..., Response]


class Console:
    """Everything the console's pages use, over one township."""

    def __init__(self, township: Township, config: ConsoleConfig = ConsoleConfig(),
                 kdf: KdfParams = KdfParams()) -> None:
        self.township = township
        self.config = config
        self.users = UserService(township.context, kdf)
        self.sessions = SessionStore(township.context, config)
        self.audit = AuditLog(township.context)
        self.templates = environment()

    @functools.cached_property
    def catalogs(self) -> CatalogLibrary:
        """The bundled catalog and every published release; it sees a newly published
        release on its next use."""
        context = self.township.context
        return CatalogLibrary.published(CatalogReleases(context, self.township.events),
                                        context.keys.signing.public_key())

    @functools.cached_property
    def index(self) -> CaseIndex:
        return CaseIndex(self.township.context, self.catalogs, self.config.due_soon_days)

    def today(self) -> date:
        return local_date(self.township.context.clock())


@dataclass(frozen=True)
class View:
    """One request of a signed-in visitor, as a page handler sees it."""

    console: Console
    visitor: Visitor
    request: Request

    @property
    def township(self) -> Township:
        return self.console.township

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        notice = labels.notice(self.query("notice"))
        problem = labels.problem(self.query("problem"))
        return render(self.console, template, status, visitor=self.visitor,
                      csrf=self.visitor.csrf, notice=notice, problem=problem, **values)

    def audit(self, action: str, object_type: str, object_id: str | None = None,
              **detail: Any) -> None:
        self.console.audit.record(self.visitor.account.login, action, object_type, object_id,
                                  detail)


def environment() -> jinja2.Environment:
    """Templates with autoescaping, ``_`` for gettext and the console's filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(("html",)),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals.update(_=_, labels=labels, prefix=PREFIX, language=_language)
    env.filters.update(local=_local, day=_day, size=_size, short=lambda text: text[:12])
    return env


def render(console: Console, template: str, status: int = 200, **values: Any) -> Response:
    values.setdefault("visitor", None)
    values.setdefault("notice", None)
    values.setdefault("problem", None)
    html = console.templates.get_template(template).render(**values)
    return HTMLResponse(html, status)


def redirect(path: str, **params: Any) -> Response:
    """303 to ``path`` under the console (with query ``params`` that are not empty)."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(PREFIX + path + ("?" + query if query else ""), 303)


def secured(response: Response, https: bool) -> Response:
    """The headers every console answer carries: nothing cached, no framing, no sniffing,
    no referrer; a content policy for pages (no script at all)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.media_type == "text/html":
        response.headers["Content-Security-Policy"] = _CSP
    if https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def console_of(request: Request) -> Console:
    return request.app.state.console


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


async def page(request: Request, role: Role, handler: Handler, *args: Any) -> Response:
    """Answer a GET with ``handler(view, *args)`` for a visitor allowed ``role``."""
    console = console_of(request)

    def run() -> Response:
        visitor = console.sessions.resolve(request.cookies.get(SESSION_COOKIE))
        refused = _refusal(console, request, visitor, role)
        return refused or _handled(handler, View(console, visitor, request), *args)

    return secured(await call(console.township, run), is_https(request))


async def action(request: Request, role: Role, handler: Handler, *args: Any,
                 limit: int | None = None) -> Response:
    """Answer a POST with ``handler(view, form, *args)`` once the visitor is allowed
    ``role`` and the form carries the session's CSRF token (the form is read only then,
    within ``limit`` bytes)."""
    console = console_of(request)
    visitor = await call(console.township, console.sessions.resolve,
                         request.cookies.get(SESSION_COOKIE))
    refused = _refusal(console, request, visitor, role)
    if refused is None:
        assert visitor is not None
        form = await read_form(request, limit or console.config.max_form)
        if form is None:
            refused = error_page(console, 413, _("The upload is too large."), visitor)
        elif not visitor.csrf_ok(form.get(CSRF_FIELD)):
            refused = csrf_refused(console, visitor)
        else:
            view = View(console, visitor, request)
            refused = await call(console.township, _handled, handler, view, form, *args)
    return secured(refused, is_https(request))


async def read_form(request: Request, limit: int) -> FormData | None:
    """The form of a POST, None when its declared length is missing or above ``limit``."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > limit:
        return None
    return await request.form(max_files=1, max_fields=500)


def csrf_refused(console: Console, visitor: Visitor | None) -> Response:
    return error_page(console, 403, _("This form has expired or did not come from this "
                                      "console. Go back, reload the page and try again."),
                      visitor)


def error_page(console: Console, status: int, message: str,
               visitor: Visitor | None = None) -> Response:
    return render(console, "error.html", status, visitor=visitor,
                  csrf=visitor.csrf if visitor else "", message=message)


def login_path(request: Request) -> str:
    """The login page, coming back to the page asked for (a GET only)."""
    back = request.url.path + ("?" + request.url.query if request.url.query else "")
    if request.method != "GET":
        return PREFIX + "/login"
    return PREFIX + "/login?next=" + quote(back, safe="")


def _refusal(console: Console, request: Request, visitor: Visitor | None,
             role: Role) -> Response | None:
    if visitor is None:
        return RedirectResponse(login_path(request), 303)
    if not visitor.account.may(role):
        return error_page(console, 403, _("This page is for administrators."), visitor)
    return None


def _handled(handler: Handler, view: View, *args: Any) -> Response:
    try:
        return handler(view, *args)
    except NotFoundError:
        return error_page(view.console, 404, _("There is no such item."), view.visitor)
    except SyncError:
        return error_page(view.console, 500, _("This case's content no longer opens with "
                                               "the township's keys."), view.visitor)


def _language() -> str:
    return "zh-CN" if catalog().gettext("Cases") != "Cases" else "en"


def _local(moment: Any) -> str:
    return local_time(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else "–"


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else (value or "–")


def _size(value: Any) -> str:
    if not isinstance(value, int):
        return "–"
    if value < 1024:
        return f"{value} B"
    size = value / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def form_text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
