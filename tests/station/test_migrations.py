"""Numbered migrations: applied once, agree with the models, refuse a newer store."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from peewee import OperationalError, SqliteDatabase

from station import migrations, models, store


def test_fresh_store_is_at_latest(tmp_path: Path) -> None:
    db = store.open_store(tmp_path / "s.db", os.urandom(32))
    assert migrations.current_version(db) == migrations.LATEST >= 1
    assert migrations.migrate(db) == []
    db.close()


def test_steps_are_numbered_from_one() -> None:
    assert [s.version for s in migrations.steps()] == list(range(1, migrations.LATEST + 1))


def _columns(db, table: str) -> dict[str, tuple[str, bool]]:
    rows = db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()
    return {row[1]: (row[2].upper(), bool(row[3])) for row in rows}


def test_migrated_schema_matches_models(tmp_path: Path) -> None:
    migrated = store.open_store(tmp_path / "s.db", os.urandom(32))
    reference = SqliteDatabase(":memory:")
    with reference.bind_ctx(models.MODELS):
        reference.create_tables(models.MODELS)
    for model in models.MODELS:
        table = model._meta.table_name
        assert _columns(migrated, table) == _columns(reference, table), table
        expected = {row[1] for row in reference.execute_sql(f'PRAGMA index_list("{table}")')}
        found = {row[1] for row in migrated.execute_sql(f'PRAGMA index_list("{table}")')}
        assert expected <= found, table
    migrated.close()


def test_newer_store_is_refused_and_untouched(tmp_path: Path) -> None:
    key = os.urandom(32)
    path = tmp_path / "s.db"
    db = store.open_store(path, key)
    db.execute_sql(
        'INSERT INTO "schema_version" ("version", "applied_at") VALUES (?, ?)',
        (migrations.LATEST + 1, "2030-01-01"),
    )
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(migrations.SchemaTooNewError, match="newer version") as raised:
        store.open_store(path, key)
    assert raised.value.found == migrations.LATEST + 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    db = store.connect(path, key)
    assert migrations.current_version(db) == migrations.LATEST + 1
    db.close()


def test_failed_step_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = migrations.Step(1, "0001_broken.sql", "CREATE TABLE a (x);\nCREATE TABLE a (x);")
    monkeypatch.setattr(migrations, "steps", lambda: [broken])
    db = store.connect(tmp_path / "s.db", os.urandom(32))
    with pytest.raises(OperationalError, match="already exists"):
        migrations.migrate(db, target=1)
    assert "a" not in db.get_tables()
    assert migrations.current_version(db) == 0
    db.close()
