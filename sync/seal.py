"""Sealing case content to the township's public key with HPKE (RFC 9180).

The suite is named in every envelope (``docs/protocol.md`` section 3) so that it can
change: X25519 today, the hybrid ML-KEM768-X25519 (X-Wing) for post-quantum protection of
ID scans. Raw keys: X25519 is 32 bytes; the hybrid public key is the ML-KEM-768 public key
‖ the X25519 public key, its private key the 64-byte ML-KEM seed ‖ the X25519 private key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from sync.errors import SealError

X25519_SUITE = "X25519/HKDF-SHA256/AES-256-GCM"
HYBRID_SUITE = "MLKEM768-X25519/HKDF-SHA256/AES-256-GCM"
SUITES = {
    X25519_SUITE: hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM),
    HYBRID_SUITE: hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256,
                             hpke.AEAD.AES_256_GCM),
}
_X = 32
_MLKEM_PUBLIC = 1184
_MLKEM_SEED = 64
_RAW_PRIVATE = (Encoding.Raw, PrivateFormat.Raw, NoEncryption())


@dataclass(frozen=True)
class SealingKey:
    """A private sealing key (the township holds it) as its suite and raw bytes."""

    suite: str
    raw: bytes

    def __post_init__(self) -> None:
        """Raise SealError for an unknown suite or a malformed key."""
        self._parts()

    @classmethod
    def generate(cls, suite: str = X25519_SUITE) -> SealingKey:
        x_raw = x25519.X25519PrivateKey.generate().private_bytes(*_RAW_PRIVATE)
        if _known(suite) == X25519_SUITE:
            return cls(suite, x_raw)
        return cls(suite, mlkem.MLKEM768PrivateKey.generate().private_bytes_raw() + x_raw)

    def public_bytes(self) -> bytes:
        seed, x_key = self._parts()
        x_public = x_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if seed is None:
            return x_public
        return mlkem.MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw() \
            + x_public

    def open(self, sealed: bytes, info: bytes) -> bytes:
        """Raise SealError when the content was not sealed to this key with this info."""
        try:
            return SUITES[self.suite].decrypt(sealed, self._private_key(), info=info)
        except (InvalidTag, ValueError):
            raise SealError("does not open") from None

    def _private_key(self) -> Any:
        seed, x_key = self._parts()
        if seed is None:
            return x_key
        return hpke.MLKEM768X25519PrivateKey(mlkem.MLKEM768PrivateKey.from_seed_bytes(seed),
                                             x_key)

    def _parts(self) -> tuple[bytes | None, x25519.X25519PrivateKey]:
        expected = _X if _known(self.suite) == X25519_SUITE else _MLKEM_SEED + _X
        if not isinstance(self.raw, bytes) or len(self.raw) != expected:
            raise SealError("bad private sealing key")
        x_key = x25519.X25519PrivateKey.from_private_bytes(self.raw[-_X:])
        return (self.raw[:_MLKEM_SEED] if expected > _X else None), x_key


def seal(plaintext: bytes, suite: str, public_key: bytes, info: bytes) -> bytes:
    """``enc ‖ ct`` of ``plaintext`` for the holder of ``public_key`` (raw bytes)."""
    return SUITES[_known(suite)].encrypt(plaintext, public_key_object(suite, public_key),
                                         info=info)


def public_key_object(suite: str, raw: bytes) -> Any:
    """Raise SealError for an unknown suite or a malformed key."""
    try:
        if _known(suite) == X25519_SUITE and len(raw) == _X:
            return x25519.X25519PublicKey.from_public_bytes(raw)
        if suite == HYBRID_SUITE and len(raw) == _MLKEM_PUBLIC + _X:
            return hpke.MLKEM768X25519PublicKey(
                mlkem.MLKEM768PublicKey.from_public_bytes(raw[:-_X]),
                x25519.X25519PublicKey.from_public_bytes(raw[-_X:]))
    except ValueError:
        pass
    raise SealError("bad public sealing key")


def _known(suite: str) -> str:
    if suite not in SUITES:
        raise SealError("unknown suite")
    return suite
