"""The station key file: the database's data key, kept only wrapped.

``station.keys`` lies beside the database. Every principal (each agent, the recovery code,
optionally the township escrow key) has a key pair; the data key is sealed to every public
key with HPKE, and the private keys of agents and of the recovery code are wrapped under
a key derived from the password or code with Argon2id. Sealing to public keys means that
adding an agent or rotating the data key needs the data key only, never another password.
The format lives in :mod:`station.keyformat`; the reasons in ``docs/adr/0001-key-file.md``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import x25519

from station import keyformat as fmt
from station.atomic import write_atomically  # noqa: F401 - part of this module's API
from station.errors import StationError
from station.i18n import _
from station.keyformat import KdfParams

__all__ = [
    "AgentExistsError", "DataKeys", "KdfParams", "KeyFile", "KeyFileCorruptError",
    "KeyFileError", "KeyFileExistsError", "KeyFileMissingError", "LastAgentError",
    "NoRotationPendingError", "RotationPendingError", "UnknownAgentError", "WrongDataKeyError",
    "WrongEscrowKeyError", "WrongPasswordError", "WrongRecoveryCodeError", "write_atomically",
]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_RECOVERY_CODE_LENGTH, _RECOVERY_GROUP = 30, 5


class KeyFileError(StationError):
    """Base of the key file's errors."""


class KeyFileMissingError(KeyFileError):
    """The key file does not exist."""


class KeyFileCorruptError(KeyFileError):
    """The key file, or one principal's entry in it, cannot be read."""


class KeyFileExistsError(KeyFileError):
    """``create`` found a key file already there; it is never overwritten."""


class WrongPasswordError(KeyFileError):
    """Unknown login or wrong password: deliberately one error with one message."""

    def __init__(self) -> None:
        super().__init__(_("Wrong login name or password."))


class WrongRecoveryCodeError(KeyFileError):
    """The recovery code is malformed or does not open this key file."""


class WrongEscrowKeyError(KeyFileError):
    """No escrow key is set, or the private key given is not its pair."""


class WrongDataKeyError(KeyFileError):
    """The data key given to a mutation is not the one this key file protects."""


class AgentExistsError(KeyFileError):
    """An agent with this login already exists."""


class UnknownAgentError(KeyFileError):
    """No agent has this login (raised only to callers holding the data key)."""

    def __init__(self) -> None:
        super().__init__(_("No agent has this login name."))


class LastAgentError(KeyFileError):
    """Removing the last agent is refused."""


class RotationPendingError(KeyFileError):
    """A data-key rotation is staged; it must be committed or aborted first."""


class NoRotationPendingError(KeyFileError):
    """``commit_rotation`` or ``abort_rotation`` without a staged rotation."""

    def __init__(self) -> None:
        super().__init__(_("No change of the data key is in progress."))


def _corrupt_file(name: str, error: fmt.FormatError) -> KeyFileCorruptError:
    if isinstance(error, fmt.UnsupportedVersionError):
        return KeyFileCorruptError(_(
            "The key file {name} has format version {version}, which this version of the app "
            "cannot read. Update the app, or restore the key file from a backup."
        ).format(name=name, version=error.version))
    return KeyFileCorruptError(_(
        "The key file {name} is damaged (bad {field}). Restore it from the latest backup of "
        "the station data: passwords and the recovery code only work with an intact key file."
    ).format(name=name, field=error.reason))


def _corrupt_entry() -> KeyFileCorruptError:
    return KeyFileCorruptError(_(
        "This sign-in's entry in the key file is damaged. Sign in as another agent or with "
        "the recovery code and reset this password, or restore the key file from a backup."
    ))


@dataclass(frozen=True)
class DataKeys:
    """The unsealed data key, and the staged new one while a rotation is pending."""

    current: bytes = field(repr=False)
    pending: bytes | None = field(default=None, repr=False)


class _UnsealError(Exception):
    """A box did not open, or its key failed the check (internal)."""


class KeyFile:
    """The station's key file. Every mutation rewrites it atomically before returning."""

    def __init__(self, path: Path, document: fmt.Document) -> None:
        """Use :meth:`create` or :meth:`load`."""
        self._path = path
        self._doc = document

    @classmethod
    def create(cls, path: Path | str, *, station_id: str, data_key: bytes, login: str,
               password: str, escrow_public_key: bytes | None = None,
               kdf: KdfParams = KdfParams()) -> tuple[KeyFile, str]:
        """Write a new key file with one agent; return it and the recovery code to show once.

        ``escrow_public_key`` is raw: 32 bytes X25519, or 1216 bytes ML-KEM-768 ‖ X25519.
        Raises KeyFileExistsError, ValueError (bad key, login or password), OSError.
        """
        path = Path(path)
        _require_key_size(data_key)
        if path.exists():
            raise KeyFileExistsError(_(
                "A key file {name} already exists: this station is already set up."
            ).format(name=path.name))
        code, agent = _new_recovery_code(), _new_agent_id(login)
        recovery_secret = _normalize_recovery_code(code)
        principals = {
            agent: _new_principal(station_id, kdf, agent, password),
            fmt.RECOVERY: _new_principal(station_id, kdf, fmt.RECOVERY, recovery_secret),
        }
        if escrow_public_key is not None:
            principals[fmt.ESCROW] = _escrow_principal(escrow_public_key)
        document = fmt.Document(station_id, kdf, principals,
                                _seal_all(station_id, data_key, principals), None)
        keyfile = cls(path, document)
        keyfile._save(document)
        return keyfile, code

    @classmethod
    def load(cls, path: Path | str) -> KeyFile:
        """Read and verify the key file. Raises KeyFileMissingError, KeyFileCorruptError."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise KeyFileMissingError(_(
                "The key file {name} is missing. Restore it from the latest backup of the "
                "station data; the database cannot be opened without it."
            ).format(name=path.name)) from None
        try:
            return cls(path, fmt.decode(raw))
        except fmt.FormatError as error:
            raise _corrupt_file(path.name, error) from None

    @property
    def station_id(self) -> str:
        return self._doc.station_id

    @property
    def rotation_pending(self) -> bool:
        return self._doc.pending is not None

    @property
    def has_escrow(self) -> bool:
        """Whether the data key is also sealed to a township escrow key."""
        return fmt.ESCROW in self._doc.principals

    def logins(self) -> list[str]:
        """The agents' login names, sorted."""
        prefix = fmt.AGENT_PREFIX
        return sorted(pid[len(prefix):] for pid in self._doc.principals if pid.startswith(prefix))

    def unlock(self, login: str, password: str) -> DataKeys:
        """Raise WrongPasswordError (unknown login alike) or KeyFileCorruptError."""
        private_key = self._unwrap(_agent_id(login), password, WrongPasswordError())
        return self._open_all(_agent_id(login), private_key)

    def unlock_with_recovery(self, code: str) -> DataKeys:
        """Accept any case, with or without dashes. Raise WrongRecoveryCodeError."""
        wrong = WrongRecoveryCodeError(_("This recovery code does not open this station."))
        private_key = self._unwrap(fmt.RECOVERY, _normalize_recovery_code(code), wrong)
        return self._open_all(fmt.RECOVERY, private_key)

    def unlock_with_escrow(self, private_key: Any) -> DataKeys:
        """Open with the township's escrow private key. Raise WrongEscrowKeyError, TypeError."""
        escrow = self._doc.principals.get(fmt.ESCROW)
        if escrow is None:
            raise WrongEscrowKeyError(_("This station's data key is not sealed to an escrow key."))
        wrong = WrongEscrowKeyError(_("This escrow key does not open this station's key file."))
        if fmt.kem_for_private_key(private_key) != escrow.kem:
            raise wrong
        try:
            return self._unseal_all(fmt.ESCROW, private_key)
        except _UnsealError:
            raise wrong from None

    def add_agent(self, data_key: bytes, login: str, password: str) -> None:
        """Raise AgentExistsError, WrongDataKeyError, RotationPendingError, ValueError."""
        self._require_current(data_key)
        pid = _new_agent_id(login)
        if pid in self._doc.principals:
            raise AgentExistsError(_("An agent with this login name already exists."))
        self._put(data_key, pid, self._new_principal(pid, password))

    def change_password(self, login: str, old_password: str, new_password: str) -> None:
        """Rewrap the agent's private key. Raise WrongPasswordError, ValueError."""
        pid = _agent_id(login)
        private_key = self._unwrap(pid, old_password, WrongPasswordError())
        wrapped = fmt.wrap(private_key, _require_secret(new_password), self._doc.kdf,
                           self._context("wrap", pid))
        principal = replace(self._doc.principals[pid], wrap=wrapped)
        self._save(replace(self._doc, principals={**self._doc.principals, pid: principal}))

    def reset_password(self, data_key: bytes, login: str, new_password: str) -> None:
        """Give a forgotten password's agent a new key pair and password.

        Raise UnknownAgentError, WrongDataKeyError, RotationPendingError, ValueError.
        """
        self._require_current(data_key)
        pid = _agent_id(login)
        if pid not in self._doc.principals:
            raise UnknownAgentError()
        self._put(data_key, pid, self._new_principal(pid, new_password))

    def remove_agent(self, login: str) -> None:
        """Raise UnknownAgentError or LastAgentError."""
        pid = _agent_id(login)
        if pid not in self._doc.principals:
            raise UnknownAgentError()
        if self.logins() == [login]:
            raise LastAgentError(_("The last agent cannot be removed. Add another agent first."))
        doc = self._doc
        self._save(replace(
            doc, principals={k: v for k, v in doc.principals.items() if k != pid},
            current=doc.current.without(pid),
            pending=None if doc.pending is None else doc.pending.without(pid)))

    def set_escrow(self, data_key: bytes, public_key: bytes) -> None:
        """Seal to this escrow key (raw, as in :meth:`create`), replacing any earlier one.

        Raise WrongDataKeyError, RotationPendingError, ValueError.
        """
        self._require_current(data_key)
        self._put(data_key, fmt.ESCROW, _escrow_principal(public_key))

    def new_recovery_code(self, data_key: bytes) -> str:
        """Replace the recovery code; return the new one to show once.

        Raise WrongDataKeyError, RotationPendingError.
        """
        self._require_current(data_key)
        code = _new_recovery_code()
        secret = _normalize_recovery_code(code)
        self._put(data_key, fmt.RECOVERY, self._new_principal(fmt.RECOVERY, secret))
        return code

    def stage_rotation(self, current_key: bytes, new_key: bytes) -> None:
        """Seal ``new_key`` to every principal as pending; the caller rekeys the store next.

        Raise WrongDataKeyError, RotationPendingError, ValueError.
        """
        self._require_current(current_key)
        _require_key_size(new_key)
        pending = _seal_all(self._doc.station_id, new_key, self._doc.principals)
        self._save(replace(self._doc, pending=pending))

    def commit_rotation(self) -> None:
        """Make the pending key current. Raise NoRotationPendingError."""
        if self._doc.pending is None:
            raise NoRotationPendingError()
        self._save(replace(self._doc, current=self._doc.pending, pending=None))

    def abort_rotation(self) -> None:
        """Drop the pending key. Raise NoRotationPendingError."""
        if self._doc.pending is None:
            raise NoRotationPendingError()
        self._save(replace(self._doc, pending=None))

    def _context(self, purpose: str, pid: str) -> bytes:
        return fmt.context(purpose, self._doc.station_id, pid)

    def _new_principal(self, pid: str, secret: str) -> fmt.Principal:
        return _new_principal(self._doc.station_id, self._doc.kdf, pid, secret)

    def _put(self, data_key: bytes, pid: str, principal: fmt.Principal) -> None:
        """Add or replace a principal, sealing the (verified) current key to it."""
        box = fmt.seal(data_key, principal, self._context("seal", pid))
        self._save(replace(self._doc, principals={**self._doc.principals, pid: principal},
                           current=self._doc.current.with_box(pid, box)))

    def _require_current(self, data_key: bytes) -> None:
        _require_key_size(data_key)
        if self._doc.pending is not None:
            raise RotationPendingError(_(
                "A change of the data key is still in progress. Finish or cancel it first."))
        if not fmt.matches(data_key, self._doc.current.check):
            raise WrongDataKeyError(_("The data key given does not belong to this key file."))

    def _unwrap(self, pid: str, secret: str, wrong: KeyFileError) -> x25519.X25519PrivateKey:
        """Raise ``wrong`` for an unknown principal (after the same work) or a wrong secret."""
        principal = self._doc.principals.get(pid)
        if principal is None or principal.wrap is None:
            fmt.dummy_derive(secret, self._doc.kdf)
            raise wrong
        try:
            return fmt.unwrap(principal.wrap, secret, self._context("wrap", pid))
        except InvalidTag:
            raise wrong from None

    def _open_all(self, pid: str, private_key: x25519.X25519PrivateKey) -> DataKeys:
        try:
            return self._unseal_all(pid, private_key)
        except _UnsealError:
            raise _corrupt_entry() from None

    def _unseal_all(self, pid: str, private_key: Any) -> DataKeys:
        pending = self._doc.pending
        return DataKeys(self._unseal(self._doc.current, pid, private_key),
                        None if pending is None else self._unseal(pending, pid, private_key))

    def _unseal(self, slot: fmt.Slot, pid: str, private_key: Any) -> bytes:
        try:
            data_key = fmt.unseal(slot.boxes[pid], private_key, self._context("seal", pid))
        except (InvalidTag, ValueError):
            raise _UnsealError() from None
        if not fmt.matches(data_key, slot.check):
            raise _UnsealError()
        return data_key

    def _save(self, document: fmt.Document) -> None:
        write_atomically(self._path, fmt.encode(document))
        self._doc = document


def _agent_id(login: str) -> str:
    return fmt.AGENT_PREFIX + login


def _new_agent_id(login: str) -> str:
    if not login or login != login.strip():
        raise ValueError("a login name is non-empty and has no surrounding spaces")
    return _agent_id(login)


def _require_secret(secret: str) -> str:
    if not secret:
        raise ValueError("a password must not be empty")
    return secret


def _require_key_size(data_key: bytes) -> None:
    if not isinstance(data_key, bytes) or len(data_key) != fmt.DATA_KEY_BYTES:
        raise ValueError("a data key is 32 random bytes")


def _new_principal(station_id: str, kdf: KdfParams, pid: str, secret: str) -> fmt.Principal:
    """A fresh X25519 key pair whose private key is wrapped under ``secret``."""
    private_key = x25519.X25519PrivateKey.generate()
    wrapped = fmt.wrap(private_key, _require_secret(secret), kdf,
                       fmt.context("wrap", station_id, pid))
    return fmt.Principal(fmt.KEM_X25519, private_key.public_key().public_bytes_raw(), wrapped)


def _seal_all(station_id: str, data_key: bytes,
              principals: Mapping[str, fmt.Principal]) -> fmt.Slot:
    boxes = {pid: fmt.seal(data_key, p, fmt.context("seal", station_id, pid))
             for pid, p in principals.items()}
    return fmt.Slot(fmt.key_check(data_key), boxes)


def _escrow_principal(public_key: bytes) -> fmt.Principal:
    return fmt.Principal(fmt.kem_for_public_key(public_key), bytes(public_key), None)


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(_RECOVERY_CODE_LENGTH))
    groups = range(0, _RECOVERY_CODE_LENGTH, _RECOVERY_GROUP)
    return "-".join(chars[start:start + _RECOVERY_GROUP] for start in groups)


def _normalize_recovery_code(code: str) -> str:
    """Upper-case, drop dashes and spaces, read I/L as 1 and O as 0 (Crockford).

    Raise WrongRecoveryCodeError for anything that cannot be a recovery code.
    """
    compact = "".join(code.split()).replace("-", "").upper().translate(_CROCKFORD_ALIASES)
    if len(compact) != _RECOVERY_CODE_LENGTH or any(c not in _CROCKFORD for c in compact):
        raise WrongRecoveryCodeError(_(
            "A recovery code has 30 letters and digits in groups of 5 (XXXXX-XXXXX-…)."))
    return compact
