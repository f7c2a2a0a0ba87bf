"""Console accounts of township staff: Argon2id password hashes, roles, login throttling.

A hash is the PHC string of ``cryptography``'s Argon2id (``$argon2id$v=19$m=..,t=..,p=..$
salt$hash``), so its parameters travel with it and a hash made with other costs still
verifies; the comparison is constant-time. Passwords are NFC-normalised first.

Throttling per account: the first five consecutive wrong passwords cost nothing; each
further one locks the account for 30 s, 1 min, 2 min, ... up to one hour. While locked, no
password is checked. A login that does not exist (or is disabled) costs one hash too and
gets the same refusal as a wrong password.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from peewee import IntegrityError

from sync.township.context import Context
from sync.township.db import locked
from sync.township.errors import TownshipError
from sync.township.keys import KdfParams
from sync.township.models import User

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MIN_PASSWORD = 10
LOGIN = re.compile(r"[a-z][a-z0-9._-]{1,63}")
_SALT_BYTES = 16


class Role(StrEnum):
    """A reviewer works on cases, reconciliation and bundles; an admin may do all of that
    and manage stations and read the audit log."""

    REVIEWER = "reviewer"
    ADMIN = "admin"


class UserError(TownshipError):
    """An account cannot be created as asked; ``code`` says why (``login_taken``,
    ``bad_login``, ``weak_password``, ``bad_role``, ``bad_name``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class LoginRefusedError(TownshipError):
    """A wrong login or password, or a disabled account: one answer for all."""

    code = "login_refused"

    def __init__(self) -> None:
        super().__init__("wrong login or password")


class LockedOutError(TownshipError):
    """Too many wrong passwords; ``retry_after`` says for how much longer."""

    code = "locked_out"

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many wrong passwords")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """A console account as the console sees it (never its hash)."""

    id: int
    login: str
    display_name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may(self, role: Role) -> bool:
        """Whether this account may use pages meant for ``role`` (an admin may use all)."""
        return self.is_admin or role is Role.REVIEWER


def lock_delay(failures: int) -> timedelta:
    """How long the ``failures``-th consecutive wrong password locks an account."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_FAILURES - 1, 16), MAX_DELAY)


def hash_password(password: str, kdf: KdfParams) -> str:
    """The PHC string of ``password`` under a fresh salt."""
    argon = Argon2id(salt=os.urandom(_SALT_BYTES), length=32, iterations=kdf.iterations,
                     lanes=kdf.lanes, memory_cost=kdf.memory_kib)
    return argon.derive_phc_encoded(_encode(password))


def password_matches(password: str, encoded: str) -> bool:
    """Whether ``password`` is the one ``encoded`` was made from (constant-time)."""
    try:
        Argon2id.verify_phc_encoded(_encode(password), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


class UserService:
    def __init__(self, context: Context, kdf: KdfParams = KdfParams()) -> None:
        self._context = context
        self._kdf = kdf

    def add(self, login: str, display_name: str, role: str, password: str) -> Account:
        """Create an account. Raises UserError."""
        _check_new(login, display_name, role, password)
        encoded = hash_password(password, self._kdf)
        try:
            with self._context.database.atomic():
                row = User.create(login=login, display_name=display_name.strip(), role=role,
                                  password_hash=encoded, created_at=self._context.clock())
        except IntegrityError:
            raise UserError("login_taken", "an account with this login exists") from None
        return _account(row)

    def authenticate(self, login: str, password: str) -> Account:
        """The account when ``password`` is its password. Raises LoginRefusedError,
        LockedOutError (nothing is checked then)."""
        now = self._context.clock()
        with self._context.database.atomic():
            row = locked(User.select().where(User.login == login)).first()
            outcome = self._attempt(row, password, now)
        if isinstance(outcome, TownshipError):
            raise outcome
        return outcome

    def get(self, user_id: int) -> Account | None:
        """The enabled account ``user_id``, None for an unknown or disabled one."""
        row = User.get_or_none(User.id == user_id, User.disabled_at.is_null())
        return None if row is None else _account(row)

    def find(self, login: str) -> Account | None:
        row = User.get_or_none(User.login == login)
        return None if row is None else _account(row)

    @functools.cached_property
    def _decoy(self) -> str:
        """A hash of a random password, checked for unknown logins (the same cost)."""
        return hash_password(os.urandom(16).hex(), self._kdf)

    def _attempt(self, row: User | None, password: str,
                 now: datetime) -> Account | TownshipError:
        """Check one attempt and record its outcome on the row (the caller commits)."""
        if row is None or row.disabled_at is not None:
            password_matches(password, self._decoy)
            return LoginRefusedError()
        if row.locked_until is not None and row.locked_until > now:
            return LockedOutError(row.locked_until - now)
        if password_matches(password, row.password_hash):
            row.failed_logins, row.locked_until = 0, None
            row.save()
            return _account(row)
        row.failed_logins += 1
        delay = lock_delay(row.failed_logins)
        row.locked_until = now + delay if delay else None
        row.save()
        return LockedOutError(delay) if delay else LoginRefusedError()


def _check_new(login: str, display_name: str, role: str, password: str) -> None:
    if not LOGIN.fullmatch(login):
        raise UserError("bad_login", "a login is 2-64 lower-case letters, digits, . _ -, "
                                     "starting with a letter")
    if not display_name.strip() or len(display_name) > 255:
        raise UserError("bad_name", "a display name is 1 to 255 characters")
    if role not in tuple(Role):
        raise UserError("bad_role", "the role is reviewer or admin")
    if len(password) < MIN_PASSWORD:
        raise UserError("weak_password", f"a password has at least {MIN_PASSWORD} characters")


def _encode(password: str) -> bytes:
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _account(row: User) -> Account:
    return Account(row.id, row.login, row.display_name, Role(row.role))
