"""The keys of the township's TUF repository.

Root keys are offline: each is an Ed25519 key in its own PKCS#8 PEM file encrypted with a
passphrase (``township release keygen``), kept by the admin and used only to sign root.
The online keys (targets, snapshot, timestamp) are derived from the township's signing key
(HKDF, one label per role), so they live, wrapped, in ``township.keys`` already.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner

from forms.i18n import _
from sync.township.keys import TownshipKeys

ONLINE_ROLES = ("targets", "snapshot", "timestamp")
_LABEL = "tuf-online-{role}"


class RootKeyError(Exception):
    """A root key file is missing, damaged, not Ed25519 or the passphrase is wrong."""


def generate_root_key(path: Path, passphrase: str) -> str:
    """Write a new root key to ``path`` (mode 0600, never overwriting); its key id.
    Raises RootKeyError when ``path`` exists or the passphrase is empty."""
    if not passphrase:
        raise RootKeyError(_("A root key needs a passphrase."))
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(passphrase.encode()))
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RootKeyError(_("The key file exists already; choose another name.")) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return CryptoSigner(private).public_key.keyid


def load_root_signer(path: Path, passphrase: str) -> CryptoSigner:
    """The signer of the root key in ``path``. Raises RootKeyError."""
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), passphrase.encode())
    except FileNotFoundError:
        raise RootKeyError(_("The root key file does not exist.")) from None
    except (ValueError, TypeError):
        raise RootKeyError(_("The root key file is damaged or the passphrase is "
                             "wrong.")) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise RootKeyError(_("The root key file does not hold an Ed25519 key."))
    return CryptoSigner(private)


def online_signers(keys: TownshipKeys) -> dict[str, CryptoSigner]:
    """The targets, snapshot and timestamp signers of this township."""
    return {role: CryptoSigner(Ed25519PrivateKey.from_private_bytes(
        keys.secret(_LABEL.format(role=role)))) for role in ONLINE_ROLES}
