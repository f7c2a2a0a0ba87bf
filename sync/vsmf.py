"""Reading VSMF material files (``docs/adr/0002-material-file-format.md``), the station's
streaming encryption of page files, for the township, which never imports ``station``.

Only the read side: a page file is decrypted chunk by chunk, each chunk authenticated
before it is yielded. Only an iteration that ends without error proves that the whole file
was read intact; :func:`check` reads a file to its end against the plaintext digest and
size the case content names, so that a caller can verify first and then stream.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.errors import SyncError

MAGIC = b"VSMF"
VERSION = 1
KEY_SIZE = 32
SALT_SIZE = 16
TAG_SIZE = 16
MAX_CHUNK_SIZE = 1024 * 1024
_HEADER = struct.Struct(f">4sBI{SALT_SIZE}s")
HEADER_SIZE = _HEADER.size
_HKDF_INFO = b"VSMF v1 chunk key"
_COUNTER_SIZE = 11


class VsmfError(SyncError):
    """A page file is damaged, altered, incomplete, of another version or read with the
    wrong key; ``fault`` names which (``header``, ``version``, ``tag``, ``truncated``,
    ``digest``)."""

    def __init__(self, fault: str) -> None:
        super().__init__(f"material file: {fault}")
        self.fault = fault


def iter_plaintext(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """The plaintext of ``source`` chunk by chunk, each authenticated before it is yielded.

    Raises, during iteration, VsmfError for anything but an intact file under ``key``,
    ValueError for a key that is not 32 bytes, OSError of ``source`` unchanged.
    """
    if len(key) != KEY_SIZE:
        raise ValueError(f"a file key is {KEY_SIZE} bytes")
    header = _read_exact(source, HEADER_SIZE)
    chunk_size = _chunk_size(header)
    cipher = _chunk_cipher(key, header)
    for index in itertools.count():
        sealed = _read_exact(source, chunk_size + TAG_SIZE)
        last = len(sealed) < chunk_size + TAG_SIZE
        if len(sealed) < TAG_SIZE:
            raise VsmfError("truncated")
        nonce = index.to_bytes(_COUNTER_SIZE, "big") + (b"\x01" if last else b"\x00")
        try:
            plaintext = cipher.decrypt(nonce, sealed, header + nonce)
        except InvalidTag:
            raise VsmfError("tag") from None
        if plaintext:
            yield plaintext
        if last:
            return


def check(source: BinaryIO, key: bytes, sha256_hex: str, size: int) -> None:
    """Read ``source`` to its end; raise VsmfError unless it is intact under ``key`` and its
    plaintext has this SHA-256 (hex) and size. ValueError for a bad key, OSError unchanged."""
    digest, total = hashlib.sha256(), 0
    for chunk in iter_plaintext(source, key):
        digest.update(chunk)
        total += len(chunk)
    if total != size or not hmac.compare_digest(digest.hexdigest(), sha256_hex.lower()):
        raise VsmfError("digest")


def _chunk_size(header: bytes) -> int:
    if len(header) < HEADER_SIZE:
        raise VsmfError("header")
    magic, version, chunk_size, _salt = _HEADER.unpack(header)
    if magic != MAGIC:
        raise VsmfError("header")
    if version != VERSION:
        raise VsmfError("version")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise VsmfError("header")
    return int(chunk_size)


def _chunk_cipher(key: bytes, header: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=SHA256(), length=KEY_SIZE, salt=header[HEADER_SIZE - SALT_SIZE:],
                info=_HKDF_INFO)
    return AESGCM(hkdf.derive(key))


def _read_exact(source: BinaryIO, size: int) -> bytes:
    """``size`` bytes, fewer only at the end of the stream."""
    parts, missing = [], size
    while missing:
        data = source.read(missing)
        if not data:
            break
        parts.append(data)
        missing -= len(data)
    return b"".join(parts)
