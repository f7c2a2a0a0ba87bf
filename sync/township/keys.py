"""The township's keys in ``township.keys``: an Ed25519 signing key and an HPKE sealing key,
wrapped together under a passphrase (Argon2id + AES-256-GCM, from ``cryptography``).

The file is JSON: the township's id and name and both public keys in the clear, and the
private keys as one AES-256-GCM ciphertext whose associated data is everything else in the
file, so that no public part can be swapped without the passphrase noticing.
"""

from __future__ import annotations

import json
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.errors import MalformedError, SealError
from sync.seal import X25519_SUITE, SealingKey
from sync.signed import b64decode, b64encode, canonical_json, raw_public_key
from sync.township.errors import KeyFileError, WrongPassphraseError

FORMAT = "village-township-keys"
FORMAT_VERSION = 1
_SALT, _NONCE = 16, 12
_MAX_MEMORY_KIB, _MAX_ITERATIONS, _MAX_LANES = 4 * 1024 * 1024, 64, 64


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory in KiB, passes, lanes (the station's defaults)."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def check(self) -> KdfParams:
        """Raise KeyFileError when a parameter is out of range (a tampered file)."""
        values = (self.memory_kib, self.iterations, self.lanes)
        if any(type(value) is not int for value in values) or not (
                1 <= self.lanes <= _MAX_LANES and 1 <= self.iterations <= _MAX_ITERATIONS
                and 8 * self.lanes <= self.memory_kib <= _MAX_MEMORY_KIB):
            raise KeyFileError("key file KDF parameters out of range")
        return self

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        """The 256-bit wrapping key of the NFC-normalised passphrase."""
        argon = Argon2id(salt=salt, length=32, iterations=self.iterations, lanes=self.lanes,
                         memory_cost=self.memory_kib)
        return argon.derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


@dataclass(frozen=True)
class TownshipKeys:
    """Who the township is and its private keys."""

    township_id: str
    name: str
    signing: Ed25519PrivateKey
    sealing: SealingKey

    @classmethod
    def generate(cls, name: str, suite: str = X25519_SUITE) -> TownshipKeys:
        """New keys and a new random township id. Raises SealError for an unknown suite."""
        return cls("t" + secrets.token_hex(6), name, Ed25519PrivateKey.generate(),
                   SealingKey.generate(suite))

    @property
    def signing_public(self) -> bytes:
        return raw_public_key(self.signing)

    def secret(self, label: str) -> bytes:
        """A 256-bit secret for ``label`` derived from the signing key (HKDF-SHA256)."""
        private = self.signing.private_bytes_raw()
        return HKDF(hashes.SHA256(), 32, None, label.encode("utf-8")).derive(private)


def save_keys(keys: TownshipKeys, path: Path, passphrase: str,
              kdf: KdfParams = KdfParams()) -> None:
    """Write ``keys`` wrapped under ``passphrase`` (mode 0600, replaced atomically)."""
    salt, nonce = os.urandom(_SALT), os.urandom(_NONCE)
    document = _public_part(keys, kdf, salt)
    private = canonical_json({"signing": b64encode(keys.signing.private_bytes_raw()),
                              "sealing": b64encode(keys.sealing.raw)})
    ciphertext = AESGCM(kdf.derive(passphrase, salt)).encrypt(
        nonce, private, canonical_json(document))
    document["wrap"].update(nonce=b64encode(nonce), ciphertext=b64encode(ciphertext))
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        os.chmod(temporary, 0o600)
        handle.write((json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_keys(path: Path, passphrase: str) -> TownshipKeys:
    """The keys in ``path``. Raises WrongPassphraseError, KeyFileError."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise KeyFileError("no township key file; run `township init` first") from None
    except (UnicodeDecodeError, ValueError):
        raise KeyFileError("the township key file is not JSON") from None
    try:
        return _unwrap(document, passphrase)
    except (KeyError, TypeError, AttributeError, MalformedError, SealError, ValueError):
        raise KeyFileError("the township key file is damaged") from None


def _public_part(keys: TownshipKeys, kdf: KdfParams, salt: bytes) -> dict[str, Any]:
    return {
        "format": FORMAT, "version": FORMAT_VERSION,
        "township": {"id": keys.township_id, "name": keys.name},
        "signing_key": b64encode(keys.signing_public),
        "sealing_key": {"suite": keys.sealing.suite,
                        "public": b64encode(keys.sealing.public_bytes())},
        "wrap": {"kdf": {"name": "argon2id", "salt": b64encode(salt),
                         "memory_kib": kdf.memory_kib, "iterations": kdf.iterations,
                         "lanes": kdf.lanes},
                 "aead": "AES-256-GCM"},
    }


def _unwrap(document: dict[str, Any], passphrase: str) -> TownshipKeys:
    if document.get("format") != FORMAT or document.get("version") != FORMAT_VERSION:
        raise KeyFileError("not a township key file of a known version")
    wrap = document["wrap"]
    params = wrap["kdf"]
    kdf = KdfParams(params["memory_kib"], params["iterations"], params["lanes"]).check()
    salt, nonce = b64decode(params["salt"], _SALT), b64decode(wrap["nonce"], _NONCE)
    associated = dict(document, wrap={k: v for k, v in wrap.items()
                                      if k not in ("nonce", "ciphertext")})
    try:
        plain = AESGCM(kdf.derive(passphrase, salt)).decrypt(
            nonce, b64decode(wrap["ciphertext"]), canonical_json(associated))
    except InvalidTag:
        raise WrongPassphraseError() from None
    private = json.loads(plain)
    keys = TownshipKeys(
        document["township"]["id"], document["township"]["name"],
        Ed25519PrivateKey.from_private_bytes(b64decode(private["signing"], 32)),
        SealingKey(document["sealing_key"]["suite"], b64decode(private["sealing"])))
    if _public_part(keys, kdf, salt) != associated:
        raise KeyFileError("the township key file's public keys do not match")
    return keys
