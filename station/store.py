"""The encrypted station database: SQLCipher through peewee, keyed with a raw data key.

The data key is a random 256-bit key handed to SQLCipher as a raw key (``x'…'``), so
opening costs no key derivation; the key file (``station.keyfile``) keeps it wrapped.
The file opens with the stock SQLCipher 4 library given that key.
"""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import DatabaseError
from playhouse.sqlcipher_ext import SqlCipherDatabase

from station import migrations
from station.errors import StationError
from station.i18n import _
from station.models import MODELS, database_proxy

log = logging.getLogger(__name__)
# peewee logs every query WITH its parameters at DEBUG: names and ID numbers. Never let
# those records through, whatever level the application's logging is set to.
logging.getLogger("peewee").setLevel(logging.WARNING)

KEY_BYTES = 32
# Negative cache_size is in KiB: 64 MiB of page cache.
_PRAGMAS = (
    ("cipher_log_level", "NONE"),
    ("cache_size", -65536),
    ("foreign_keys", 1),
    ("journal_mode", "wal"),
    ("synchronous", "full"),
    ("busy_timeout", 10000),
    ("temp_store", "memory"),
)


class StoreError(StationError):
    """The station database cannot be used."""


class StoreKeyError(StoreError):
    """The key does not open the database (wrong key, or not a station database)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The station database cannot be opened with this key. It is damaged or "
                "belongs to another key file: restore the data directory from a backup."
            )
        )


class StoreDatabase(SqlCipherDatabase):
    """SQLCipher database whose every write transaction takes the write lock at BEGIN."""

    def rekey_raw(self, key: bytes) -> None:
        """Re-encrypt the whole file under ``key`` (WAL-safe: checkpoint, leave WAL, rekey).

        Raises StoreError if the database is busy elsewhere.
        """
        self.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = self.execute_sql("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode.lower() != "delete":
            raise StoreError(_("The database is in use by another program; close it and retry."))
        self.rekey(raw_key(key))
        self.execute_sql("PRAGMA journal_mode=WAL")


def raw_key(key: bytes) -> str:
    """SQLCipher's raw-key literal for ``key``."""
    if len(key) != KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    return f"x'{key.hex()}'"


def connect(path: Path, key: bytes) -> StoreDatabase:
    """Open the SQLCipher file at ``path`` with ``key`` without migrating or binding models.

    Raises StoreKeyError when the key does not open it.
    """
    db = StoreDatabase(
        str(path),
        passphrase=raw_key(key),
        pragmas=_PRAGMAS,
        lock_type="IMMEDIATE",
        check_same_thread=False,
    )
    try:
        db.connect()
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError as exc:
        db.close()
        log.warning("store did not open: %s", type(exc).__name__)
        raise StoreKeyError() from None
    return db


def open_store(path: Path, key: bytes) -> StoreDatabase:
    """Open (creating if absent) the station store, migrate it and bind the models.

    Raises StoreKeyError or migrations.SchemaTooNewError (the store is left untouched).
    """
    db = connect(path, key)
    try:
        applied = migrations.migrate(db)
    except Exception:
        db.close()
        raise
    if applied:
        log.info("store migrated to schema %s", applied[-1])
    database_proxy.initialize(db)
    return db


def bound(db: StoreDatabase):  # noqa: ANN201 - peewee's binding context manager
    """Bind the models to ``db`` for the ``with`` block (e.g. to read a backup copy)."""
    return db.bind_ctx(MODELS)


def integrity_check(db: StoreDatabase) -> list[str]:
    """``PRAGMA integrity_check`` and the cipher's own page check; [] when all is well."""
    problems = [row[0] for row in db.execute_sql("PRAGMA integrity_check").fetchall()]
    problems = [p for p in problems if p != "ok"]
    problems += [row[0] for row in db.execute_sql("PRAGMA cipher_integrity_check").fetchall()]
    return problems
