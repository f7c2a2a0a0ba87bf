"""The key file's format and cryptography, without I/O: models that serialise and verify.

:mod:`station.keyfile` orchestrates (reads, writes, says what went wrong to the agent);
this module only turns a :class:`Document` into bytes and back, raising
:class:`FormatError`, and holds the primitives: Argon2id + AES-256-GCM wraps of private
keys, HPKE (RFC 9180) boxes of data keys, the key check value. Reasons:
``docs/adr/0001-key-file.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from station.keynames import AGENT_PREFIX, FORMAT, FORMAT_VERSION, checksum

DATA_KEY_BYTES = 32
KEM_X25519 = "X25519"
KEM_MLKEM768_X25519 = "MLKEM768-X25519"
RECOVERY, ESCROW = "recovery", "escrow"
_KEMS = {KEM_X25519: hpke.KEM.X25519, KEM_MLKEM768_X25519: hpke.KEM.MLKEM768_X25519}
_PUBLIC_KEY_BYTES = {KEM_X25519: 32, KEM_MLKEM768_X25519: 1184 + 32}
_HPKE_KDFS = {"HKDF-SHA256": hpke.KDF.HKDF_SHA256}
_HPKE_AEADS = {"AES-256-GCM": hpke.AEAD.AES_256_GCM}
_SEAL_KDF, _SEAL_AEAD = "HKDF-SHA256", "AES-256-GCM"
_WRAP_KDF, _WRAP_AEAD = "argon2id", "AES-256-GCM"
_SALT_BYTES, _NONCE_BYTES, _WRAPPED_BYTES = 16, 12, 32 + 16
_KEY_CHECK_LABEL = b"station key check"
_MAX_MEMORY_KIB, _MAX_ITERATIONS, _MAX_LANES = 4 * 1024 * 1024, 64, 64


class FormatError(Exception):
    """The bytes are not a valid key file; ``reason`` names what (never a secret or a login)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedVersionError(FormatError):
    """A key file of another format version (probably written by a newer app)."""

    def __init__(self, version: int) -> None:
        super().__init__(f"format version {version}")
        self.version = version


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory in KiB, passes, lanes. Raises ValueError when out of range."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def __post_init__(self) -> None:
        if any(type(value) is not int for value in (self.memory_kib, self.iterations, self.lanes)):
            raise ValueError("KDF parameters must be integers")
        if not (1 <= self.lanes <= _MAX_LANES and 1 <= self.iterations <= _MAX_ITERATIONS):
            raise ValueError("KDF iterations or lanes out of range")
        if not 8 * self.lanes <= self.memory_kib <= _MAX_MEMORY_KIB:
            raise ValueError("KDF memory out of range")

    def to_json(self) -> dict[str, Any]:
        return {"memory_kib": self.memory_kib, "iterations": self.iterations, "lanes": self.lanes}

    @classmethod
    def from_json(cls, obj: Any) -> KdfParams:
        if _get(obj, "name", str) != _WRAP_KDF:
            raise FormatError("kdf")
        try:
            return cls(*(_get(obj, name, int) for name in ("memory_kib", "iterations", "lanes")))
        except ValueError:
            raise FormatError("kdf") from None


def _get(obj: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FormatError(name)
    return value


def _get_bytes(obj: Any, name: str, size: int | None = None) -> bytes:
    try:
        value = base64.b64decode(_get(obj, name, str), validate=True)
    except binascii.Error:
        raise FormatError(name) from None
    if size is not None and len(value) != size:
        raise FormatError(name)
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Wrap:
    """A private key encrypted under a key derived from a password or recovery code."""

    kdf: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        kdf = {"name": _WRAP_KDF, "salt": _b64(self.salt), **self.kdf.to_json()}
        return {"kdf": kdf, "aead": _WRAP_AEAD, "nonce": _b64(self.nonce),
                "ciphertext": _b64(self.ciphertext)}

    @classmethod
    def from_json(cls, obj: Any) -> Wrap:
        if _get(obj, "aead", str) != _WRAP_AEAD:
            raise FormatError("aead")
        kdf = _get(obj, "kdf", dict)
        return cls(KdfParams.from_json(kdf), _get_bytes(kdf, "salt", _SALT_BYTES),
                   _get_bytes(obj, "nonce", _NONCE_BYTES),
                   _get_bytes(obj, "ciphertext", _WRAPPED_BYTES))


@dataclass(frozen=True)
class Principal:
    """A public key the data key is sealed to, with its wrapped private key if kept here."""

    kem: str
    public_key: bytes
    wrap: Wrap | None

    def to_json(self) -> dict[str, Any]:
        wrap = None if self.wrap is None else self.wrap.to_json()
        return {"kem": self.kem, "public_key": _b64(self.public_key), "private_key": wrap}

    @classmethod
    def from_json(cls, obj: Any) -> Principal:
        kem = _get(obj, "kem", str)
        if kem not in _KEMS:
            raise FormatError("kem")
        public_key = _get_bytes(obj, "public_key", _PUBLIC_KEY_BYTES[kem])
        try:
            public_key_object(kem, public_key)
        except ValueError:
            raise FormatError("public_key") from None
        wrap = _get(obj, "private_key", (dict, type(None)))
        return cls(kem, public_key, None if wrap is None else Wrap.from_json(wrap))


@dataclass(frozen=True)
class Box:
    """A data key sealed to one principal with the named HPKE suite."""

    kem: str
    kdf: str
    aead: str
    sealed: bytes

    def to_json(self) -> dict[str, Any]:
        suite = {"kem": self.kem, "kdf": self.kdf, "aead": self.aead}
        return {"suite": suite, "sealed": _b64(self.sealed)}

    @classmethod
    def from_json(cls, obj: Any) -> Box:
        suite = _get(obj, "suite", dict)
        names = [_get(suite, name, str) for name in ("kem", "kdf", "aead")]
        if names[0] not in _KEMS or names[1] not in _HPKE_KDFS or names[2] not in _HPKE_AEADS:
            raise FormatError("suite")
        return cls(*names, _get_bytes(obj, "sealed"))


@dataclass(frozen=True)
class Slot:
    """One data key: its check value and its box for every principal."""

    check: bytes
    boxes: Mapping[str, Box]

    def to_json(self) -> dict[str, Any]:
        sealed = {pid: box.to_json() for pid, box in self.boxes.items()}
        return {"check": _b64(self.check), "sealed": sealed}

    @classmethod
    def from_json(cls, obj: Any, principals: Mapping[str, Principal]) -> Slot:
        boxes = {pid: Box.from_json(box) for pid, box in _get(obj, "sealed", dict).items()}
        if boxes.keys() != principals.keys():
            raise FormatError("sealed")
        if any(box.kem != principals[pid].kem for pid, box in boxes.items()):
            raise FormatError("suite")
        return cls(_get_bytes(obj, "check", 32), boxes)

    def with_box(self, pid: str, box: Box) -> Slot:
        return replace(self, boxes={**self.boxes, pid: box})

    def without(self, pid: str) -> Slot:
        return replace(self, boxes={k: v for k, v in self.boxes.items() if k != pid})


@dataclass(frozen=True)
class Document:
    """The whole key file; ``kdf`` is the cost of new wraps, ``pending`` a staged rotation."""

    station_id: str
    kdf: KdfParams
    principals: Mapping[str, Principal]
    current: Slot
    pending: Slot | None

    def to_json(self) -> dict[str, Any]:
        pending = None if self.pending is None else self.pending.to_json()
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "station_id": self.station_id,
            "kdf": {"name": _WRAP_KDF, **self.kdf.to_json()},
            "principals": {pid: p.to_json() for pid, p in self.principals.items()},
            "data_keys": {"current": self.current.to_json(), "pending": pending},
        }

    @classmethod
    def from_json(cls, obj: Any) -> Document:
        principals = {pid: Principal.from_json(p)
                      for pid, p in _get(obj, "principals", dict).items()}
        _check_principals(principals)
        keys = _get(obj, "data_keys", dict)
        pending = _get(keys, "pending", (dict, type(None)))
        return cls(_get(obj, "station_id", str), KdfParams.from_json(_get(obj, "kdf", dict)),
                   principals, Slot.from_json(_get(keys, "current", dict), principals),
                   None if pending is None else Slot.from_json(pending, principals))


def _check_principals(principals: Mapping[str, Principal]) -> None:
    """Raise FormatError unless agents and the recovery key are wrapped X25519 keys."""
    for pid, principal in principals.items():
        is_agent = pid.startswith(AGENT_PREFIX) and len(pid) > len(AGENT_PREFIX)
        if not (is_agent or pid in (RECOVERY, ESCROW)):
            raise FormatError("principals")
        if (principal.wrap is None) != (pid == ESCROW):
            raise FormatError("principals")
        if pid != ESCROW and principal.kem != KEM_X25519:
            raise FormatError("principals")
    if RECOVERY not in principals or not any(p.startswith(AGENT_PREFIX) for p in principals):
        raise FormatError("principals")


def encode(document: Document) -> bytes:
    """The key file's bytes: indented JSON with a SHA-256 checksum of its canonical form."""
    body = document.to_json()
    body["checksum"] = checksum(body)
    return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")


def decode(raw: bytes) -> Document:
    """Parse and verify the key file's bytes. Raises FormatError, UnsupportedVersionError."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormatError("JSON") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise FormatError("format")
    version = _get(obj, "version", int)
    if version != FORMAT_VERSION:
        raise UnsupportedVersionError(version)
    body = {key: value for key, value in obj.items() if key != "checksum"}
    if obj.get("checksum") != checksum(body):
        raise FormatError("checksum")
    return Document.from_json(body)


def context(purpose: str, station_id: str, pid: str) -> bytes:
    """AEAD associated data / HPKE info: binds format, version, station and principal."""
    return json.dumps([FORMAT, FORMAT_VERSION, purpose, station_id, pid]).encode("utf-8")


def derive(secret: str, kdf: KdfParams, salt: bytes) -> bytes:
    """Argon2id of the NFC-normalised secret: a 256-bit wrapping key."""
    argon = Argon2id(salt=salt, length=32, iterations=kdf.iterations, lanes=kdf.lanes,
                     memory_cost=kdf.memory_kib)
    return argon.derive(unicodedata.normalize("NFC", secret).encode("utf-8"))


def wrap(private_key: x25519.X25519PrivateKey, secret: str, kdf: KdfParams,
         associated: bytes) -> Wrap:
    """Encrypt ``private_key`` under a fresh salt and nonce."""
    salt, nonce = os.urandom(_SALT_BYTES), os.urandom(_NONCE_BYTES)
    aead = AESGCM(derive(secret, kdf, salt))
    return Wrap(kdf, salt, nonce, aead.encrypt(nonce, private_key.private_bytes_raw(), associated))


def unwrap(wrapped: Wrap, secret: str, associated: bytes) -> x25519.X25519PrivateKey:
    """Raise cryptography's InvalidTag when the secret (or the wrap) is wrong."""
    aead = AESGCM(derive(secret, wrapped.kdf, wrapped.salt))
    plain = aead.decrypt(wrapped.nonce, wrapped.ciphertext, associated)
    return x25519.X25519PrivateKey.from_private_bytes(plain)


def dummy_derive(secret: str, kdf: KdfParams) -> None:
    """Spend the cost of one unwrap, so an unknown login takes as long as a known one."""
    derive(secret, kdf, os.urandom(_SALT_BYTES))


def public_key_object(kem: str, raw: bytes) -> Any:
    """Raise ValueError for a malformed key. Hybrid keys are ML-KEM-768 ‖ X25519 (X-Wing)."""
    if kem == KEM_X25519:
        return x25519.X25519PublicKey.from_public_bytes(raw)
    return hpke.MLKEM768X25519PublicKey(mlkem.MLKEM768PublicKey.from_public_bytes(raw[:-32]),
                                        x25519.X25519PublicKey.from_public_bytes(raw[-32:]))


def kem_for_public_key(raw: bytes) -> str:
    """Choose the KEM from a raw public key's size; raise ValueError for anything else."""
    for kem, size in _PUBLIC_KEY_BYTES.items():
        if len(raw) == size:
            public_key_object(kem, raw)
            return kem
    raise ValueError("an escrow key is a raw X25519 or ML-KEM768-X25519 public key")


def kem_for_private_key(private_key: Any) -> str:
    """Raise TypeError for a key type no principal uses."""
    if isinstance(private_key, x25519.X25519PrivateKey):
        return KEM_X25519
    if isinstance(private_key, hpke.MLKEM768X25519PrivateKey):
        return KEM_MLKEM768_X25519
    raise TypeError("an escrow key is an X25519 or ML-KEM768-X25519 private key")


def _suite(box: Box) -> hpke.Suite:
    return hpke.Suite(_KEMS[box.kem], _HPKE_KDFS[box.kdf], _HPKE_AEADS[box.aead])


def seal(data_key: bytes, principal: Principal, info: bytes) -> Box:
    """Seal ``data_key`` to the principal's public key with today's suite."""
    empty = Box(principal.kem, _SEAL_KDF, _SEAL_AEAD, b"")
    public_key = public_key_object(principal.kem, principal.public_key)
    return replace(empty, sealed=_suite(empty).encrypt(data_key, public_key, info=info))


def unseal(box: Box, private_key: Any, info: bytes) -> bytes:
    """Raise InvalidTag (or ValueError) when the key or the box is wrong."""
    return _suite(box).decrypt(box.sealed, private_key, info=info)


def key_check(data_key: bytes) -> bytes:
    """HMAC-SHA256(data_key, "station key check"): verifies an unsealed key."""
    return hmac.new(data_key, _KEY_CHECK_LABEL, hashlib.sha256).digest()


def matches(data_key: bytes, check: bytes) -> bool:
    return hmac.compare_digest(key_check(data_key), check)
