"""Server-side console sessions: a random 256-bit token in an HttpOnly cookie, kept in the
database only as its SHA-256, with a synchronizer CSRF token for its forms. A session ends
at logout, after ``idle_timeout`` without a request, and ``absolute_timeout`` after it
began, whichever comes first."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sync.township.console.config import ConsoleConfig
from sync.township.context import Context
from sync.township.models import ConsoleSession, User
from sync.township.users import Account, Role

_TOKEN_BYTES = 32


@dataclass(frozen=True)
class NewSession:
    """What the browser gets: the cookie token (never stored as such)."""

    token: str
    csrf: str


@dataclass(frozen=True)
class Visitor:
    """The signed-in account of a request and its session's CSRF token."""

    account: Account
    csrf: str
    token_hash: str

    def csrf_ok(self, sent: object) -> bool:
        """Whether ``sent`` is this session's CSRF token (constant-time)."""
        return isinstance(sent, str) and hmac.compare_digest(sent.encode(), self.csrf.encode())


class SessionStore:
    def __init__(self, context: Context, config: ConsoleConfig) -> None:
        self._context = context
        self._config = config

    def start(self, account: Account) -> NewSession:
        """A new session for ``account``; expired sessions are dropped on the way."""
        token, csrf = new_token(), new_token()
        now = self._context.clock()
        with self._context.database.atomic():
            self.purge()
            ConsoleSession.create(token_hash=_hash(token), user=account.id, csrf_token=csrf,
                                  created_at=now, seen_at=now)
        return NewSession(token, csrf)

    def resolve(self, token: str | None) -> Visitor | None:
        """The visitor of a live session, its idle clock restarted; None for a missing,
        unknown or expired token, or a disabled account (an expired session is dropped)."""
        if not token:
            return None
        now = self._context.clock()
        with self._context.database.atomic():
            row = (ConsoleSession.select(ConsoleSession, User).join(User)
                   .where(ConsoleSession.token_hash == _hash(token)).first())
            if row is None:
                return None
            if (now - row.seen_at > self._config.idle_timeout
                    or now - row.created_at > self._config.absolute_timeout
                    or row.user.disabled_at is not None):
                row.delete_instance()
                return None
            ConsoleSession.update(seen_at=now).where(
                ConsoleSession.token_hash == row.token_hash).execute()
        user = row.user
        return Visitor(Account(user.id, user.login, user.display_name, Role(user.role)),
                       row.csrf_token, row.token_hash)

    def end(self, visitor: Visitor) -> None:
        with self._context.database.atomic():
            ConsoleSession.delete().where(
                ConsoleSession.token_hash == visitor.token_hash).execute()

    def purge(self) -> int:
        """Drop every expired session; how many."""
        now = self._context.clock()
        return ConsoleSession.delete().where(
            (ConsoleSession.seen_at < now - self._config.idle_timeout)
            | (ConsoleSession.created_at < now - self._config.absolute_timeout)).execute()


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
