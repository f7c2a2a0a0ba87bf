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


def _version_one_store(path: Path, key: bytes) -> None:
    """A store as version 1 of the app left it: one returned case with a page."""
    db = store.connect(path, key)
    migrations.migrate(db, target=1)
    for sql in (
        """INSERT INTO "station" VALUES (1, 'OLD01', '老村便民服务站', '老镇', '2026-01-05')""",
        """INSERT INTO "agent" VALUES (1, 'li', '李代办', 'agent', '2026-01-05', NULL)""",
        """INSERT INTO "applicant" ("id", "uuid", "name", "created_at", "updated_at")
           VALUES (1, 'a-1', '张三', '2026-01-05', '2026-01-05')""",
        """INSERT INTO "case" VALUES (1, 'c-1', 'OLD01-20260105-0001', 'M-1', '测试事项', 1, 1,
           1, '{}', '{}', 'returned', 1, '2026-01-05', '2026-01-06', '2026-01-05', NULL, 0,
           NULL, NULL, NULL)""",
        """INSERT INTO "material_requirement" VALUES (1, 1, 'hukou', '户口簿', 'copy', 1, 1,
           NULL, 0)""",
        """INSERT INTO "case_transition" VALUES (1, 1, 'uploaded', 'returned', NULL, '不清晰',
           'ev-1', '2026-01-06')""",
    ):
        db.execute_sql(sql)
    db.close()


def test_step_two_brings_a_version_one_store_forward_keeping_its_data(tmp_path: Path) -> None:
    key, path = os.urandom(32), tmp_path / "s.db"
    _version_one_store(path, key)
    db = store.open_store(path, key)
    assert migrations.current_version(db) == migrations.LATEST >= 2
    case = models.Case.get(models.Case.uuid == "c-1")
    assert (case.state, case.applicant.name, case.agent.login) == ("returned", "张三", "li")
    assert [r.code for r in case.requirements] == ["hukou"]
    assert [t.reason for t in case.transitions] == ["不清晰"]
    assert list(case.supplement_items) == []
    models.SupplementItem.create(case=case, event_id="ev-1", position=1, requirement_code="hukou",
                                 name="户口簿", reason="不清晰", created_at=case.updated_at)
    assert case.supplement_items.count() == 1
    db.close()
