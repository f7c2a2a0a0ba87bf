"""Opening the township database: a file path is SQLite (WAL), a postgresql:// URL is
PostgreSQL. The schema is built by numbered steps recorded in ``schema_version``.

Migration-ready: a later schema change is a new step appended to ``_STEPS`` that uses
``playhouse.migrate`` (and frozen copies of the models it needs), never an edit of an
applied step. Step 1 creates the tables of version 1 from today's models; when the models
first change, freeze those definitions into step 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from peewee import Database, Select, SqliteDatabase
from playhouse.db_url import connect

from sync.township.config import utc_now
from sync.township.models import MODELS, SchemaVersion, Station, database_proxy

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("synchronous", "full"),
    ("foreign_keys", 1),
    ("busy_timeout", 30_000),
)


def is_postgres(target: str) -> bool:
    return target.startswith(_POSTGRES_SCHEMES)


def open_database(target: str) -> Database:
    """Open ``target`` (a path or a postgresql:// URL), bind the models and migrate.

    Raises peewee's OperationalError when the database cannot be reached.
    """
    if is_postgres(target):
        database: Database = connect(target)
    else:
        database = SqliteDatabase(target, pragmas=_SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    database_proxy.initialize(database)
    database.connect(reuse_if_open=True)
    migrate(database)
    return database


def close_database(database: Database) -> None:
    """Close this thread's connection (others close when their threads end)."""
    if not database.is_closed():
        database.close()


def migrate(database: Database, now: Callable[[], datetime] = utc_now) -> int:
    """Apply the steps not applied yet, each in its own transaction; the version reached."""
    with database.atomic():
        database.create_tables([SchemaVersion], safe=True)
    done = {row.version for row in SchemaVersion.select()}
    for version, step in enumerate(_STEPS, start=1):
        if version in done:
            continue
        with database.atomic():
            step(database)
            SchemaVersion.create(version=version, applied_at=now())
    return len(_STEPS)


def _create_version_1(database: Database) -> None:
    database.create_tables([m for m in MODELS if m is not SchemaVersion])


_STEPS: tuple[Callable[[Database], None], ...] = (_create_version_1,)


def locked(query: Select) -> Select:
    """``query`` with FOR UPDATE where the database has it (SQLite's write transactions
    already hold the one write lock)."""
    return query.for_update() if database_proxy.obj.for_update else query


def lock_station(station: str) -> None:
    """Serialise this transaction with every other one writing for ``station`` (call
    first inside the transaction)."""
    locked(Station.select(Station.id).where(Station.id == station)).execute()
