"""Streaming authenticated encryption of material files (format "VSMF", version 1).

A file is encrypted in fixed-size chunks with AES-256-GCM, in the style of the STREAM
construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as used by age and Tink's streaming
AEAD, so that neither side ever holds a whole file in memory. See
``docs/adr/0002-material-file-format.md`` for why.

Layout, byte by byte (all integers big-endian)::

    offset  size  field
    0       4     magic, ASCII "VSMF" (0x56 0x53 0x4D 0x46)
    4       1     format version, 0x01
    5       4     chunk size C: plaintext bytes per chunk, 1 <= C <= 1 MiB
    9       16    salt: random, fresh for every file
    25      ...   sealed chunks 0, 1, ..., n-1, nothing after the last one

- The 25 bytes at offsets 0-24 are the *header*.
- Chunk key: ``HKDF-SHA256(ikm=file key (32 bytes), salt=salt, info=b"VSMF v1 chunk key")``,
  32 bytes. The salt makes the chunk key unique per file even if a caller reused a file key.
- Chunk ``i`` (counting from 0) is sealed with AES-256-GCM under the chunk key:
  ``nonce = i as 11 bytes || last`` where ``last`` is 0x01 for the final chunk and 0x00
  otherwise (12 bytes); ``associated data = header || nonce`` (37 bytes); the sealed chunk is
  ``ciphertext || 16-byte tag``.
- Every chunk but the last holds exactly C plaintext bytes (C + 16 sealed bytes). The final
  chunk holds 0 to C-1 bytes: a plaintext whose length is a multiple of C (including the empty
  plaintext) ends with an empty final chunk. A reader therefore knows that a chunk is the last
  one from its length alone, and the flag in the nonce and associated data authenticates it.
  The final chunk ends at the end of the file: bytes appended to a file change the length of
  its last chunk (or add a full-length one), and that chunk's tag no longer verifies.

What this detects, as :class:`MaterialIntegrityError`: any changed byte (header included), a
wrong key, truncation anywhere (a missing final chunk too), dropped, reordered, duplicated or
foreign chunks (another file, even under the same key: its salt differs), and bytes appended
after the final chunk.

Completeness: chunks are authenticated one by one, so a consumer of :func:`iter_plaintext`
(or of what :func:`decrypt_stream` has written so far) may already hold the first chunks of a
file that turns out to be truncated or extended. Only an iteration that *ends without error*
(or a :func:`decrypt_stream` call that returns) proves that the whole file was read intact.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from station.errors import StationError
from station.i18n import _

MAGIC = b"VSMF"
VERSION = 1
KEY_SIZE = 32
SALT_SIZE = 16
TAG_SIZE = 16
DEFAULT_CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 1024 * 1024
_HEADER = struct.Struct(f">4sBI{SALT_SIZE}s")
HEADER_SIZE = _HEADER.size
_HKDF_INFO = b"VSMF v1 chunk key"
_COUNTER_SIZE = 11


class Fault(enum.StrEnum):
    """What an integrity check found; for diagnostics, never shown to the agent."""

    HEADER = "header"
    VERSION = "version"
    TAG = "tag"
    TRUNCATED = "truncated"
    DIGEST = "digest"


class MaterialIntegrityError(StationError):
    """A stored material file is damaged, altered, incomplete or read with the wrong key."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(_("A stored scan is damaged or was altered; rescan the page."))
        self.fault = fault


class Source(Protocol):
    """A readable binary stream (a file opened "rb", BytesIO, ...)."""

    def read(self, size: int, /) -> bytes:
        """Return up to ``size`` bytes; ``b""`` only at the end of the stream."""
        ...


class Sink(Protocol):
    """A writable binary stream (a file opened "wb", BytesIO, ...)."""

    def write(self, data: bytes, /) -> int:
        """Write from the start of ``data``; return how many bytes were taken."""
        ...


@dataclass(frozen=True, slots=True)
class EncryptResult:
    """Size in bytes and SHA-256 (hex) of the *plaintext* that went through a stream."""

    size: int
    sha256_hex: str


def new_key() -> bytes:
    """Return a fresh random 256-bit file key."""
    return AESGCM.generate_key(bit_length=256)


def encrypt_stream(
    src: Source, dst: Sink, key: bytes, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> EncryptResult:
    """Encrypt ``src`` (read to its end) into ``dst``; return size and SHA-256 of the plaintext.

    Raises ValueError for a key that is not 32 bytes or a chunk size outside 1..1 MiB; errors
    of ``src`` and ``dst`` (OSError) propagate unchanged.
    """
    _check_key(key)
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK_SIZE}")
    header = _HEADER.pack(MAGIC, VERSION, chunk_size, os.urandom(SALT_SIZE))
    aead = _chunk_cipher(key, header)
    _write_all(dst, header)
    digest, size = hashlib.sha256(), 0
    index, last = 0, False
    while not last:
        chunk = _read_exact(src, chunk_size)
        last = len(chunk) < chunk_size
        digest.update(chunk)
        size += len(chunk)
        nonce = _nonce(index, last)
        _write_all(dst, aead.encrypt(nonce, chunk, header + nonce))
        index += 1
    return EncryptResult(size, digest.hexdigest())


def iter_plaintext(src: Source, key: bytes) -> Iterator[bytes]:
    """Yield the plaintext of ``src`` chunk by chunk, each authenticated before it is yielded.

    The file is proven complete only when the iteration ends without error: truncation or
    appended bytes are found in the last chunk, after the chunks before it were yielded.
    Raises, during iteration: MaterialIntegrityError for anything but an intact file under ``key``;
    ValueError for a key that is not 32 bytes; OSError of ``src`` unchanged.
    """
    _check_key(key)
    header = _read_exact(src, HEADER_SIZE)
    chunk_size = _parse_header(header)
    aead = _chunk_cipher(key, header)
    sealed_size = chunk_size + TAG_SIZE
    for index in itertools.count():
        sealed = _read_exact(src, sealed_size)
        last = len(sealed) < sealed_size
        if len(sealed) < TAG_SIZE:
            raise MaterialIntegrityError(Fault.TRUNCATED)
        plaintext = _open_chunk(aead, header, index, last, sealed)
        if plaintext:
            yield plaintext
        if last:
            return


def decrypt_stream(src: Source, dst: Sink, key: bytes) -> EncryptResult:
    """Decrypt ``src`` into ``dst``; return size and SHA-256 of the plaintext.

    ``dst`` receives authenticated chunks as they come, so when this raises, what it holds is
    a prefix of the file at best: treat it as garbage. Raises MaterialIntegrityError for
    anything but an intact file under ``key``; OSError of ``src``/``dst`` propagates.
    """
    digest, size = hashlib.sha256(), 0
    for chunk in iter_plaintext(src, key):
        digest.update(chunk)
        size += len(chunk)
        _write_all(dst, chunk)
    return EncryptResult(size, digest.hexdigest())


def _check_key(key: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"a file key is {KEY_SIZE} bytes")


def _parse_header(header: bytes) -> int:
    """Return the chunk size of a header; raise MaterialIntegrityError if it is not ours."""
    if len(header) < HEADER_SIZE:
        raise MaterialIntegrityError(Fault.HEADER)
    magic, version, chunk_size, _salt = _HEADER.unpack(header)
    if magic != MAGIC:
        raise MaterialIntegrityError(Fault.HEADER)
    if version != VERSION:
        raise MaterialIntegrityError(Fault.VERSION)
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise MaterialIntegrityError(Fault.HEADER)
    return int(chunk_size)


def _chunk_cipher(key: bytes, header: bytes) -> AESGCM:
    salt = header[HEADER_SIZE - SALT_SIZE : HEADER_SIZE]
    hkdf = HKDF(algorithm=SHA256(), length=KEY_SIZE, salt=salt, info=_HKDF_INFO)
    return AESGCM(hkdf.derive(key))


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(_COUNTER_SIZE, "big") + (b"\x01" if last else b"\x00")


def _open_chunk(aead: AESGCM, header: bytes, index: int, last: bool, sealed: bytes) -> bytes:
    nonce = _nonce(index, last)
    try:
        return aead.decrypt(nonce, sealed, header + nonce)
    except InvalidTag:
        raise MaterialIntegrityError(Fault.TAG) from None


def _read_exact(src: Source, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at end of stream (``read`` may return short)."""
    data = src.read(size)
    if not data or len(data) == size:
        return data or b""
    parts = [data]
    missing = size - len(data)
    while missing:
        more = src.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def _write_all(dst: Sink, data: bytes) -> None:
    """Write all of ``data`` (a raw stream's ``write`` may take less)."""
    while data:
        data = data[dst.write(data) :]
