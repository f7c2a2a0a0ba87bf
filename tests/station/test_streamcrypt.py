"""The streaming material-file format: round trips, tamper detection, bounded memory."""

from __future__ import annotations

import hashlib
import io
import itertools
import struct
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from station.errors import StationError
from station.streamcrypt import (
    DEFAULT_CHUNK_SIZE,
    HEADER_SIZE,
    MAX_CHUNK_SIZE,
    TAG_SIZE,
    EncryptResult,
    Fault,
    MaterialIntegrityError,
    decrypt_stream,
    encrypt_stream,
    iter_plaintext,
    new_key,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SMALL = 16
MiB = 1024 * 1024
quick = settings(deadline=None, max_examples=60)


def encrypt(data: bytes, key: bytes = KEY, chunk_size: int = SMALL) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, key, chunk_size=chunk_size)
    return out.getvalue()


def decrypt(sealed: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed), out, key)
    return out.getvalue()


def split(sealed: bytes, chunk_size: int = SMALL) -> tuple[bytes, list[bytes]]:
    """Cut a file into its header and its sealed chunks, as the format documents them."""
    step = chunk_size + TAG_SIZE
    body = sealed[HEADER_SIZE:]
    return sealed[:HEADER_SIZE], [body[i : i + step] for i in range(0, len(body), step)]


def assert_rejected(sealed: bytes, key: bytes = KEY) -> MaterialIntegrityError:
    with pytest.raises(MaterialIntegrityError) as caught:
        decrypt(sealed, key)
    return caught.value


def sample(size: int) -> bytes:
    return bytes((i * 7 + 3) % 251 for i in range(size))


@pytest.mark.parametrize("chunk_size", [SMALL, DEFAULT_CHUNK_SIZE])
@pytest.mark.parametrize(
    "size_in_chunks", [(0, 0), (0, 1), (1, -1), (1, 0), (1, 1), (4, 0), (4, 7)]
)
def test_round_trip_at_chunk_edges(chunk_size: int, size_in_chunks: tuple[int, int]) -> None:
    chunks, extra = size_in_chunks
    data = sample(chunks * chunk_size + extra)
    out = io.BytesIO()
    written = encrypt_stream(io.BytesIO(data), out, KEY, chunk_size=chunk_size)
    read = decrypt_stream(io.BytesIO(out.getvalue()), io.BytesIO(), KEY)
    expected = EncryptResult(len(data), hashlib.sha256(data).hexdigest())
    assert written == read == expected
    assert decrypt(out.getvalue()) == data
    assert b"".join(iter_plaintext(io.BytesIO(out.getvalue()), KEY)) == data


@quick
@given(data=st.binary(max_size=400), chunk_size=st.integers(1, 64))
def test_round_trip_any_size_and_chunk_size(data: bytes, chunk_size: int) -> None:
    sealed = encrypt(data, chunk_size=chunk_size)
    assert decrypt(sealed) == data
    chunks = len(data) // chunk_size + 1
    assert len(sealed) == HEADER_SIZE + len(data) + chunks * TAG_SIZE


@pytest.mark.parametrize("size", [0, 5, SMALL, 3 * SMALL + 2])
def test_file_follows_the_documented_layout(size: int) -> None:
    """An independent reader written from the module docstring decrypts the file."""
    data = sample(size)
    sealed = encrypt(data)
    header, chunks = split(sealed)
    magic, version, chunk_size, salt = struct.unpack(">4sBI16s", header)
    assert (magic, version, chunk_size) == (b"VSMF", 1, SMALL)
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=salt, info=b"VSMF v1 chunk key")
    aead = AESGCM(hkdf.derive(KEY))
    plain = []
    for index, chunk in enumerate(chunks):
        nonce = index.to_bytes(11, "big") + bytes([index == len(chunks) - 1])
        plain.append(aead.decrypt(nonce, chunk, header + nonce))
    assert b"".join(plain) == data
    assert len(plain[-1]) < SMALL and all(len(p) == SMALL for p in plain[:-1])


def test_every_file_gets_a_fresh_salt() -> None:
    assert encrypt(b"same page") != encrypt(b"same page")


def test_every_single_byte_change_is_detected() -> None:
    sealed = encrypt(sample(2 * SMALL + 5))
    for position, mask in itertools.product(range(len(sealed)), (0x01, 0x80, 0xFF)):
        damaged = bytearray(sealed)
        damaged[position] ^= mask
        assert_rejected(bytes(damaged))


@quick
@given(data=st.binary(max_size=200), chunk_size=st.integers(1, 32), choice=st.data())
def test_flipping_any_byte_is_detected(data: bytes, chunk_size: int, choice: st.DataObject) -> None:
    sealed = bytearray(encrypt(data, chunk_size=chunk_size))
    position = choice.draw(st.integers(0, len(sealed) - 1), label="position")
    sealed[position] ^= choice.draw(st.integers(1, 255), label="mask")
    assert_rejected(bytes(sealed))


def test_truncation_at_every_byte_is_detected() -> None:
    sealed = encrypt(sample(3 * SMALL))
    for length in range(len(sealed)):
        assert_rejected(sealed[:length])


@pytest.mark.parametrize("size", [SMALL, 3 * SMALL, 3 * SMALL + 4])
def test_truncation_at_each_chunk_boundary_is_a_missing_final_chunk(size: int) -> None:
    sealed = encrypt(sample(size))
    _header, chunks = split(sealed)
    for kept in range(len(chunks)):
        length = HEADER_SIZE + kept * (SMALL + TAG_SIZE)
        assert assert_rejected(sealed[:length]).fault is Fault.TRUNCATED


@quick
@given(data=st.binary(min_size=1, max_size=200), chunk_size=st.integers(1, 32), choice=st.data())
def test_truncation_at_random_points_is_detected(
    data: bytes, chunk_size: int, choice: st.DataObject
) -> None:
    sealed = encrypt(data, chunk_size=chunk_size)
    assert_rejected(sealed[: choice.draw(st.integers(0, len(sealed) - 1), label="length")])


def rebuilt(header: bytes, chunks: list[bytes]) -> bytes:
    return header + b"".join(chunks)


def test_dropping_any_chunk_is_detected() -> None:
    header, chunks = split(encrypt(sample(4 * SMALL + 3)))
    for index in range(len(chunks)):
        assert_rejected(rebuilt(header, chunks[:index] + chunks[index + 1 :]))


def test_swapping_any_two_chunks_is_detected() -> None:
    header, chunks = split(encrypt(sample(4 * SMALL + 3)))
    for i, j in itertools.combinations(range(len(chunks)), 2):
        swapped = list(chunks)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert_rejected(rebuilt(header, swapped))


def test_duplicating_any_chunk_is_detected() -> None:
    header, chunks = split(encrypt(sample(4 * SMALL + 3)))
    for index in range(len(chunks)):
        assert_rejected(rebuilt(header, chunks[: index + 1] + chunks[index:]))


@quick
@given(data=st.binary(max_size=100), extra=st.binary(min_size=1, max_size=64))
def test_appended_bytes_are_detected(data: bytes, extra: bytes) -> None:
    assert assert_rejected(encrypt(data) + extra).fault is Fault.TAG


@pytest.mark.parametrize("size", [0, SMALL, SMALL + 3])
def test_appending_a_copy_of_the_final_chunk_is_detected(size: int) -> None:
    sealed = encrypt(sample(size))
    _header, chunks = split(sealed)
    assert assert_rejected(sealed + chunks[-1]).fault is Fault.TAG


@pytest.mark.parametrize("size", [0, 1, 3 * SMALL])
def test_wrong_key_is_detected(size: int) -> None:
    assert assert_rejected(encrypt(sample(size)), OTHER_KEY).fault is Fault.TAG


def test_chunks_spliced_from_another_file_under_the_same_key_are_detected() -> None:
    data = sample(3 * SMALL + 3)
    header, chunks = split(encrypt(data))
    other_header, other_chunks = split(encrypt(data))
    assert decrypt(rebuilt(header, chunks)) == data
    for index in range(len(chunks)):
        spliced = [*chunks[:index], other_chunks[index], *chunks[index + 1 :]]
        assert_rejected(rebuilt(header, spliced))
    assert_rejected(rebuilt(other_header, chunks))


def header_with(magic: bytes = b"VSMF", version: int = 1, chunk_size: int = SMALL) -> bytes:
    return struct.pack(">4sBI16s", magic, version, chunk_size, bytes(16))


@pytest.mark.parametrize(
    ("sealed", "fault"),
    [
        (b"", Fault.HEADER),
        (b"VSMF\x01", Fault.HEADER),
        (header_with(magic=b"%PDF") + bytes(TAG_SIZE), Fault.HEADER),
        (header_with(version=2) + bytes(TAG_SIZE), Fault.VERSION),
        (header_with(version=0) + bytes(TAG_SIZE), Fault.VERSION),
        (header_with(chunk_size=0) + bytes(TAG_SIZE), Fault.HEADER),
        (header_with(chunk_size=MAX_CHUNK_SIZE + 1) + bytes(TAG_SIZE), Fault.HEADER),
        (header_with(), Fault.TRUNCATED),
        (header_with() + bytes(TAG_SIZE), Fault.TAG),
    ],
)
def test_bad_headers_are_rejected(sealed: bytes, fault: Fault) -> None:
    assert assert_rejected(sealed).fault is fault


def test_iteration_yields_authenticated_chunks_before_it_finds_truncation() -> None:
    data = sample(3 * SMALL + 1)
    sealed = encrypt(data)
    chunks = iter_plaintext(io.BytesIO(sealed[: HEADER_SIZE + 2 * (SMALL + TAG_SIZE)]), KEY)
    assert next(chunks) == data[:SMALL]
    assert next(chunks) == data[SMALL : 2 * SMALL]
    with pytest.raises(MaterialIntegrityError):
        next(chunks)


def test_integrity_error_is_a_station_error_with_a_message_for_people() -> None:
    error = assert_rejected(encrypt(b"secret page") + b"x")
    assert isinstance(error, StationError)
    assert str(error) == "A stored scan is damaged or was altered; rescan the page."
    assert "secret" not in repr(error) and KEY.hex() not in repr(error)


@pytest.mark.parametrize(
    ("key", "chunk_size"),
    [(bytes(16), SMALL), (bytes(33), SMALL), (KEY, 0), (KEY, MAX_CHUNK_SIZE + 1)],
)
def test_bad_arguments_are_programming_errors(key: bytes, chunk_size: int) -> None:
    with pytest.raises(ValueError):
        encrypt_stream(io.BytesIO(b"page"), io.BytesIO(), key, chunk_size=chunk_size)


def test_a_fresh_key_is_random_and_256_bits() -> None:
    assert len(new_key()) == 32 and new_key() != new_key()


class Trickle:
    """A raw stream that reads and writes at most 3 bytes per call, as pipes may."""

    def __init__(self, data: bytes = b"") -> None:
        self._source = io.BytesIO(data)
        self.written = bytearray()

    def read(self, size: int) -> bytes:
        return self._source.read(min(size, 3))

    def write(self, data: bytes) -> int:
        self.written += data[:3]
        return min(len(data), 3)


def test_short_reads_and_short_writes_are_completed() -> None:
    data = sample(5 * SMALL + 2)
    sink = Trickle()
    encrypt_stream(Trickle(data), sink, KEY, chunk_size=SMALL)
    assert decrypt(bytes(sink.written)) == data
    plain = Trickle()
    decrypt_stream(Trickle(bytes(sink.written)), plain, KEY)
    assert bytes(plain.written) == data


class Zeros:
    """``size`` zero bytes, generated on demand: a large source that occupies no memory."""

    def __init__(self, size: int) -> None:
        self._left = size

    def read(self, size: int) -> bytes:
        count = min(size, self._left)
        self._left -= count
        return bytes(count)


class Discard:
    """A sink that only counts what it is given."""

    size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def peak_memory(call: Callable[..., object], *args: object) -> int:
    """Peak of Python allocations (bytes) during ``call(*args)``."""
    tracemalloc.start()
    try:
        call(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_streams_are_processed_in_bounded_memory(tmp_path: Path) -> None:
    size = 64 * MiB
    sealed_path = tmp_path / "large.vsmf"
    with sealed_path.open("wb") as sealed:
        assert peak_memory(encrypt_stream, Zeros(size), sealed, KEY) < 2 * MiB
    plain = Discard()
    with sealed_path.open("rb") as sealed:
        assert peak_memory(decrypt_stream, sealed, plain, KEY) < 2 * MiB
    assert plain.size == size
