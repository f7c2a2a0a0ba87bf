"""The encrypted blob store: round trips, integrity, durability, disk full, orphan sweep."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station import blobstore
from station.blobstore import (
    BlobStore,
    DiskFullError,
    MaterialIntegrityError,
    MaterialMissingError,
    MaterialWriteError,
    StoredBlob,
    SweepReport,
)
from station.errors import StationError
from station.streamcrypt import Fault

SMALL = 1024
T0 = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
UNKNOWN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def page(size: int) -> bytes:
    return bytes((i * 31 + 7) % 256 for i in range(size))


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def temp_files(store: BlobStore) -> list[Path]:
    return all_files(store.root / "tmp")


def plaintext(store: BlobStore, blob: StoredBlob) -> bytes:
    return b"".join(store.open(blob.name, blob.key))


@pytest.mark.parametrize("size", [0, 1, SMALL, 5 * SMALL + 3, 300_000])
@pytest.mark.parametrize("from_path", [True, False])
def test_put_then_read_back(store: BlobStore, tmp_path: Path, size: int, from_path: bool) -> None:
    data = page(size)
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(data)
    blob = store.put(scan if from_path else io.BytesIO(data), chunk_size=SMALL)
    assert (blob.size, blob.digest) == (size, hashlib.sha256(data).hexdigest())
    assert plaintext(store, blob) == data
    out = io.BytesIO()
    assert store.read_into(blob.name, blob.key, out).sha256_hex == blob.digest
    assert out.getvalue() == data
    store.verify(blob.name, blob.key, blob.digest)
    assert list(store.names()) == [blob.name] and temp_files(store) == []


@pytest.mark.skipif(os.name == "nt", reason="directories cannot be fsynced on Windows")
def test_put_syncs_the_file_before_the_rename_and_the_directory_after(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash cannot be simulated with a power cut here: check the order of the steps."""
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(source: Path, target: Path) -> None:
        steps.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store.put(io.BytesIO(b"page"))
    assert steps.count("fsync file") == 1 and steps.count("replace") == 1
    assert steps.index("fsync file") < steps.index("replace") < len(steps) - 1
    assert steps[-1] == "fsync dir"


def test_stored_files_are_random_names_holding_ciphertext(store: BlobStore) -> None:
    data = page(3 * SMALL)
    first, second = store.put(io.BytesIO(data)), store.put(io.BytesIO(data))
    assert first.name != second.name and first.key != second.key
    for blob in (first, second):
        path = store.path_of(blob.name)
        assert path == store.root / blob.name[:2] / blob.name
        assert re.fullmatch("[0-9a-f]{32}", blob.name)
        assert data[:64] not in path.read_bytes()
    assert set(store.names()) == {first.name, second.name}


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_stored_files_are_private_to_their_owner(store: BlobStore) -> None:
    blob = store.put(io.BytesIO(b"page"))
    assert store.path_of(blob.name).stat().st_mode & 0o077 == 0


def test_the_key_stays_out_of_repr(store: BlobStore) -> None:
    blob = store.put(io.BytesIO(b"page"))
    assert blob.key.hex() not in repr(blob) and repr(blob.key) not in repr(blob)


@pytest.mark.parametrize("name", ["", "../../etc/passwd", UNKNOWN.upper(), UNKNOWN + "0", "tmp"])
def test_names_that_are_not_blob_names_are_refused(store: BlobStore, name: str) -> None:
    with pytest.raises(ValueError):
        store.path_of(name)


def test_verify_detects_a_wrong_digest_or_key(store: BlobStore) -> None:
    blob = store.put(io.BytesIO(page(2 * SMALL)), chunk_size=SMALL)
    with pytest.raises(MaterialIntegrityError) as wrong_digest:
        store.verify(blob.name, blob.key, hashlib.sha256(b"other").hexdigest())
    assert wrong_digest.value.fault is Fault.DIGEST
    with pytest.raises(MaterialIntegrityError) as wrong_key:
        store.verify(blob.name, bytes(32), blob.digest)
    assert wrong_key.value.fault is Fault.TAG


def flipped(sealed: bytes) -> bytes:
    middle = len(sealed) // 2
    return sealed[:middle] + bytes([sealed[middle] ^ 0x04]) + sealed[middle + 1 :]


@pytest.mark.parametrize(
    "damage", [flipped, lambda sealed: sealed[:-1], lambda sealed: sealed + b"\0"]
)
def test_damage_on_disk_is_detected_by_every_reader(
    store: BlobStore, damage: Callable[[bytes], bytes]
) -> None:
    blob = store.put(io.BytesIO(page(3 * SMALL)), chunk_size=SMALL)
    path = store.path_of(blob.name)
    path.write_bytes(damage(path.read_bytes()))
    for read in (
        lambda: plaintext(store, blob),
        lambda: store.read_into(blob.name, blob.key, io.BytesIO()),
        lambda: store.verify(blob.name, blob.key, blob.digest),
    ):
        with pytest.raises(MaterialIntegrityError):
            read()


def test_missing_blobs_are_reported_by_every_reader(store: BlobStore) -> None:
    blob = store.put(io.BytesIO(b"page"))
    store.delete(blob.name)
    for name in (blob.name, UNKNOWN):
        with pytest.raises(MaterialMissingError):
            store.open(name, blob.key)
        with pytest.raises(MaterialMissingError):
            store.read_into(name, blob.key, io.BytesIO())
        with pytest.raises(MaterialMissingError):
            store.verify(name, blob.key, blob.digest)


def test_delete_is_idempotent(store: BlobStore) -> None:
    kept, gone = store.put(io.BytesIO(b"kept")), store.put(io.BytesIO(b"gone"))
    store.delete(gone.name)
    store.delete(gone.name)
    store.delete(UNKNOWN)
    assert list(store.names()) == [kept.name]
    assert not store.path_of(gone.name).exists()


def test_names_ignores_temp_and_foreign_files(store: BlobStore) -> None:
    blob = store.put(io.BytesIO(b"page"))
    (store.root / "tmp" / "leftover.part").write_bytes(b"x")
    (store.root / blob.name[:2] / "desktop.ini").write_bytes(b"x")
    (store.root / "notes").mkdir()
    assert list(store.names()) == [blob.name]
    assert list(BlobStore(store.root / "never-created").names()) == []


def written_at(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def leftover_temp(store: BlobStore, when: datetime) -> Path:
    path = store.root / "tmp" / (UNKNOWN + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a page")
    return written_at(path, when)


def blob_written_at(store: BlobStore, when: datetime) -> StoredBlob:
    blob = store.put(io.BytesIO(b"page"))
    written_at(store.path_of(blob.name), when)
    return blob


def test_sweep_removes_temp_files_and_orphans_and_keeps_referenced_blobs(
    store: BlobStore,
) -> None:
    referenced, orphan = blob_written_at(store, T0), blob_written_at(store, T0)
    leftover_temp(store, T0)
    foreign = store.root / referenced.name[:2] / "desktop.ini"
    foreign.write_bytes(b"not ours")
    written_at(foreign, T0)
    later = T0 + timedelta(days=1)
    report = store.sweep([referenced.name], older_than=timedelta(hours=1), now=lambda: later)
    assert report == SweepReport(removed_temp=1, removed_orphans=1, skipped=0)
    assert list(store.names()) == [referenced.name] and temp_files(store) == []
    assert store.path_of(orphan.name).exists() is False and foreign.exists()
    store.verify(referenced.name, referenced.key, referenced.digest)


@pytest.mark.parametrize(
    ("age", "grace", "removed"),
    [
        (timedelta(minutes=5), timedelta(minutes=10), False),
        (timedelta(minutes=10), timedelta(minutes=10), True),
        (timedelta(minutes=11), timedelta(minutes=10), True),
        (timedelta(0), timedelta(0), True),
        (-timedelta(minutes=1), timedelta(0), False),
    ],
)
def test_sweep_honours_the_grace_period(
    store: BlobStore, age: timedelta, grace: timedelta, removed: bool
) -> None:
    orphan = blob_written_at(store, T0 - age)
    temp = leftover_temp(store, T0 - age)
    report = store.sweep([], older_than=grace, now=lambda: T0)
    assert report == SweepReport(removed_temp=int(removed), removed_orphans=int(removed))
    assert store.path_of(orphan.name).exists() is not removed and temp.exists() is not removed


def test_sweep_of_an_empty_or_missing_store_removes_nothing(store: BlobStore) -> None:
    assert store.sweep([]) == SweepReport(0, 0, 0)
    store.put(io.BytesIO(b"page"))
    assert store.sweep(list(store.names())) == SweepReport(0, 0, 0)


def test_sweep_counts_what_it_cannot_remove_and_goes_on(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = blob_written_at(store, T0)
    blob_written_at(store, T0)
    real_unlink = os.unlink

    def unlink_refused_for_stuck(path: str) -> None:
        """Stands in for Windows refusing to remove a file another program holds open."""
        if Path(path).name == stuck.name:
            raise PermissionError(errno.EACCES, "in use")
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", unlink_refused_for_stuck)
    assert store.sweep([], now=lambda: T0) == SweepReport(0, 1, skipped=1)
    assert list(store.names()) == [stuck.name]


class DiskThatFillsUp(io.FileIO):
    """Fake for a full disk (one cannot be made safely in a test): a real temp file whose
    writes fail with ``error_number`` once ``capacity`` bytes are on it."""

    capacity = 0
    error_number = errno.ENOSPC

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.capacity:
            raise OSError(self.error_number, os.strerror(self.error_number))
        return super().write(data)


@pytest.mark.parametrize(
    ("error_number", "error"),
    [(errno.ENOSPC, DiskFullError), (errno.EDQUOT, DiskFullError), (errno.EIO, MaterialWriteError)],
)
@pytest.mark.parametrize("capacity", [0, 5 * SMALL])
def test_a_failing_disk_leaves_no_file(
    store: BlobStore,
    monkeypatch: pytest.MonkeyPatch,
    error_number: int,
    error: type[StationError],
    capacity: int,
) -> None:
    monkeypatch.setattr(DiskThatFillsUp, "capacity", capacity)
    monkeypatch.setattr(DiskThatFillsUp, "error_number", error_number)
    monkeypatch.setattr(blobstore, "_open_temp", lambda path: DiskThatFillsUp(path, "xb"))
    with pytest.raises(error) as caught:
        store.put(io.BytesIO(page(20 * SMALL)), chunk_size=SMALL)
    assert isinstance(caught.value.__cause__, OSError)
    assert caught.value.__cause__.errno == error_number
    assert all_files(store.root) == []


def test_disk_full_reported_by_fsync_leaves_no_file(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync_on_full_disk(fd: int) -> None:
        """Stands in for a filesystem that reports ENOSPC only when flushing (NFS, SMB)."""
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync_on_full_disk)
    with pytest.raises(DiskFullError) as caught:
        store.put(io.BytesIO(page(SMALL)))
    assert (
        str(caught.value)
        == "The disk is full: free some space, then save again. Nothing was saved."
    )
    assert all_files(store.root) == []


def test_a_failure_after_the_temp_file_is_written_leaves_no_file(store: BlobStore) -> None:
    store.root.mkdir()
    for shard in range(256):
        (store.root / f"{shard:02x}").write_bytes(b"")
    with pytest.raises(MaterialWriteError):
        store.put(io.BytesIO(page(3 * SMALL)))
    assert temp_files(store) == [] and list(store.names()) == []


class BrokenSource:
    """A source (a scanner's stream, say) that fails with ``error`` after ``good`` bytes."""

    def __init__(self, good: int, error: BaseException) -> None:
        self._left, self._error = good, error

    def read(self, size: int) -> bytes:
        if not self._left:
            raise self._error
        count = min(size, self._left)
        self._left -= count
        return bytes(count)


@pytest.mark.parametrize(
    ("failure", "raised"),
    [(OSError(errno.EIO, "I/O error"), MaterialWriteError), (RuntimeError("bug"), RuntimeError)],
)
def test_a_failing_source_leaves_no_file(
    store: BlobStore, failure: BaseException, raised: type[BaseException]
) -> None:
    with pytest.raises(raised):
        store.put(BrokenSource(3 * SMALL + 5, failure), chunk_size=SMALL)
    assert all_files(store.root) == []


def test_a_vanished_scan_is_a_write_error_that_names_nobody(
    store: BlobStore, tmp_path: Path
) -> None:
    with pytest.raises(MaterialWriteError) as caught:
        store.put(tmp_path / "zhang-san-id-card.jpg")
    assert "zhang" not in str(caught.value) and "zhang" not in str(caught.value.__cause__)
    assert all_files(store.root) == []


CHILD = """
import sys
from pathlib import Path
from station.blobstore import BlobStore

class Scanner:
    def __init__(self, data):
        self.data = data
    def read(self, size):
        print("read", flush=True)
        sys.stdin.readline()
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

blob = BlobStore(Path(sys.argv[1])).put(Scanner(bytes(range(256)) * 21), chunk_size=1024)
print("stored", blob.name, blob.key.hex(), flush=True)
sys.stdin.readline()
"""
CHILD_DATA = bytes(range(256)) * 21  # what the child's scanner delivers


def run_child_until(root: Path, reads: int | None) -> list[str]:
    """Run a put in a child process; kill it at its read number ``reads`` (None: once stored)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin and child.stdout
    try:
        for line in iter(child.stdout.readline, ""):
            words = line.split()
            if words[0] == "stored" or reads == 1:
                return words
            reads = None if reads is None else reads - 1
            child.stdin.write("go\n")
            child.stdin.flush()
        raise AssertionError("the child ended early")
    finally:
        child.kill()
        child.wait()
        child.stdin.close()
        child.stdout.close()


@pytest.mark.parametrize("reads", [1, 2, 5])
def test_a_crash_while_writing_leaves_only_a_temp_file(tmp_path: Path, reads: int) -> None:
    store = BlobStore(tmp_path / "blobs")
    run_child_until(store.root, reads)
    assert list(store.names()) == [] and len(temp_files(store)) == 1
    store.sweep([])
    assert all_files(store.root) == []


def test_a_crash_after_put_returned_keeps_the_complete_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    name, key = run_child_until(store.root, None)[1:]
    assert list(store.names()) == [name] and temp_files(store) == []
    store.verify(name, bytes.fromhex(key), hashlib.sha256(CHILD_DATA).hexdigest())
