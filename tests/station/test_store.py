"""The encrypted store: raw key, no plaintext on disk, wrong keys, stock SQLCipher."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlcipher3

from station import models, store


def _all_bytes(db_path: Path) -> bytes:
    parts = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def test_no_plaintext_on_disk(session, station_dir: Path) -> None:
    name, id_number = "欧阳明珠", "11010519491231002X"
    from station.applicants import ApplicantInput

    session.applicants.save(ApplicantInput(name=name, id_number=id_number, phone="13800138000"))
    raw = _all_bytes(station_dir / "station.db")
    assert len(raw) > 4096
    for secret in (name.encode(), id_number.encode(), b"13800138000", b"SQLite format 3"):
        assert secret not in raw
    # JSON columns escape non-ASCII; make sure the escaped form is absent too.
    assert b"\\u6b27" not in raw


def test_opens_with_stock_sqlcipher_and_raw_key(tmp_path: Path) -> None:
    key = os.urandom(32)
    db = store.open_store(tmp_path / "s.db", key)
    models.Setting.create(key="probe", value=1)
    db.close()
    conn = sqlcipher3.connect(str(tmp_path / "s.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    assert conn.execute("SELECT key FROM setting").fetchall() == [("probe",)]
    conn.close()


def test_wrong_key_is_a_clear_error(tmp_path: Path) -> None:
    store.open_store(tmp_path / "s.db", os.urandom(32)).close()
    with pytest.raises(store.StoreKeyError, match="cannot be opened"):
        store.open_store(tmp_path / "s.db", os.urandom(32))


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "s.db").write_bytes(os.urandom(8192))
    with pytest.raises(store.StoreKeyError):
        store.open_store(tmp_path / "s.db", os.urandom(32))


def test_pragmas(tmp_path: Path) -> None:
    db = store.open_store(tmp_path / "s.db", os.urandom(32))
    pragma = lambda name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("cache_size") == -65536
    assert pragma("cipher_log_level") == "NONE"
    db.close()


def test_rekey_keeps_data_and_drops_old_key(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    db = store.open_store(tmp_path / "s.db", old)
    models.Setting.create(key="kept", value=[1, 2])
    db.rekey_raw(new)
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with pytest.raises(store.StoreKeyError):
        store.open_store(tmp_path / "s.db", old)
    db = store.open_store(tmp_path / "s.db", new)
    assert models.Setting.get(models.Setting.key == "kept").value == [1, 2]
    assert store.integrity_check(db) == []
    db.close()


def test_raw_key_rejects_wrong_size() -> None:
    with pytest.raises(ValueError):
        store.raw_key(b"short")
