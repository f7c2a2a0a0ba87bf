"""Opening the township database: a file path is SQLite (WAL), a postgresql:// URL is
PostgreSQL through a pool of connections (a request's connection goes back to the pool
instead of being closed; a new backend per request cost PostgreSQL more CPU than all the
request's queries). The schema is built by numbered steps recorded in ``schema_version``.

Migration-ready: a later schema change is a new step appended to ``_STEPS`` that uses
``playhouse.migrate`` (and frozen copies of the models it needs), never an edit of an
applied step. Step 1 creates the tables of version 1 from today's models (none of them has
changed since); when one first changes, freeze its version-1 definition into step 1.
Step 2 adds the table of refused envelopes. Step 3 adds the web console's tables (users,
sessions, the audit chain and its head, case facts). Step 4 adds the published catalog
releases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from peewee import Database, Select, SqliteDatabase
from playhouse.db_url import parse
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase

from sync.township.config import utc_now
from sync.township.models import (
    AuditEntry,
    AuditHead,
    Blob,
    Case,
    CaseFacts,
    CatalogRelease,
    ConsoleSession,
    EnrolmentCode,
    Envelope,
    Event,
    Heartbeat,
    LedgerEntry,
    LedgerReport,
    Nonce,
    Refusal,
    ResultFile,
    SchemaVersion,
    Station,
    User,
    database_proxy,
)

T = TypeVar("T")
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

    Raises peewee's OperationalError when the database cannot be reached. The pool has no
    limit of its own (the worker threads bound it) and checks a connection is alive when
    it hands it out: one that died while idle (a restarted server) is replaced, not used.
    """
    if is_postgres(target):
        database: Database = PooledPostgresqlDatabase(max_connections=None, **parse(target))
    else:
        database = SqliteDatabase(target, pragmas=_SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    database_proxy.initialize(database)
    database.connect(reuse_if_open=True)
    migrate(database)
    return database


def close_database(database: Database) -> None:
    """Close this thread's connection (others close when their threads end), and every
    connection of a pool."""
    if isinstance(database, PooledDatabase):
        database.close_all()
    elif not database.is_closed():
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
    database.create_tables([Station, EnrolmentCode, Case, Envelope, Blob, Event, ResultFile,
                            Nonce, Heartbeat, LedgerReport, LedgerEntry])


def _add_refusals(database: Database) -> None:
    database.create_tables([Refusal])


def _add_console(database: Database) -> None:
    database.create_tables([User, ConsoleSession, AuditEntry, AuditHead, CaseFacts])


def _add_catalog_releases(database: Database) -> None:
    database.create_tables([CatalogRelease])


_STEPS: tuple[Callable[[Database], None], ...] = (_create_version_1, _add_refusals,
                                                  _add_console, _add_catalog_releases)


def locked(query: Select) -> Select:
    """``query`` with FOR UPDATE where the database has it (SQLite's write transactions
    already hold the one write lock)."""
    return query.for_update() if database_proxy.obj.for_update else query


def lock_station(station: str) -> None:
    """Serialise this transaction with every other one writing for ``station`` (call
    first inside the transaction)."""
    locked(Station.select(Station.id).where(Station.id == station)).execute()


def batches(values: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``values`` in slices small enough for one ``IN (...)`` on every backend."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
