"""The township's VSMF reader against files the station's own writer makes: every intact
file reads back, and every damage is refused."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station import streamcrypt
from sync import vsmf


def _encrypted(plaintext: bytes, chunk_size: int = 64) -> tuple[bytes, bytes]:
    key = streamcrypt.new_key()
    target = io.BytesIO()
    streamcrypt.encrypt_stream(io.BytesIO(plaintext), target, key, chunk_size=chunk_size)
    return key, target.getvalue()


def _read(data: bytes, key: bytes) -> bytes:
    return b"".join(vsmf.iter_plaintext(io.BytesIO(data), key))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=1, max_value=130))
def test_what_the_station_writes_reads_back(plaintext: bytes, chunk_size: int) -> None:
    key, data = _encrypted(plaintext, chunk_size)
    assert _read(data, key) == plaintext
    vsmf.check(io.BytesIO(data), key, hashlib.sha256(plaintext).hexdigest(), len(plaintext))


def _flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


PLAINTEXT = bytes(range(256)) * 2  # 8 chunks of 64 and an empty final chunk
KEY, DATA = _encrypted(PLAINTEXT)
SEALED = 64 + 16  # a full chunk as stored
DAMAGES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "magic": (lambda d: _flip(d, 0), "header"),
    "version": (lambda d: _flip(d, 4), "version"),
    "chunk size zero": (lambda d: d[:5] + b"\0\0\0\0" + d[9:], "header"),
    "salt": (lambda d: _flip(d, 12), "tag"),
    "first chunk": (lambda d: _flip(d, 30), "tag"),
    "final tag": (lambda d: _flip(d, len(d) - 1), "tag"),
    "header cut": (lambda d: d[:10], "header"),
    "cut after a chunk": (lambda d: d[:25 + SEALED], "truncated"),
    "cut inside a chunk": (lambda d: d[:25 + 100], "tag"),
    "final chunk missing": (lambda d: d[:25 + SEALED * 8], "truncated"),
    "byte appended": (lambda d: d + b"\0", "tag"),
    "chunks swapped": (lambda d: d[:25] + d[25 + SEALED:25 + 2 * SEALED] + d[25:25 + SEALED]
                       + d[25 + 2 * SEALED:], "tag"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_damage_is_refused(damage: str) -> None:
    change, fault = DAMAGES[damage]
    with pytest.raises(vsmf.VsmfError) as refused:
        _read(change(DATA), KEY)
    assert refused.value.fault == fault


def test_a_wrong_key_is_refused() -> None:
    with pytest.raises(vsmf.VsmfError):
        _read(DATA, streamcrypt.new_key())
    with pytest.raises(ValueError):
        _read(DATA, b"short")


@pytest.mark.parametrize("digest, size", [
    (hashlib.sha256(b"other").hexdigest(), len(PLAINTEXT)),
    (hashlib.sha256(PLAINTEXT).hexdigest(), len(PLAINTEXT) + 1),
])
def test_check_compares_the_plaintext_with_the_content(digest: str, size: int) -> None:
    with pytest.raises(vsmf.VsmfError) as refused:
        vsmf.check(io.BytesIO(DATA), KEY, digest, size)
    assert refused.value.fault == "digest"
