"""Numbered schema migrations of the station store.

Each step is a file ``NNNN_name.sql`` in this package, applied in order inside one
transaction together with its row in ``schema_version``. Steps are frozen: once released
a step is never edited; a change to the schema is a new step. The steps never use today's
models, so an old store can always be brought forward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources

from peewee import Database

from station.errors import StationError
from station.i18n import _

_STEP_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_VERSION_TABLE = (
    'CREATE TABLE IF NOT EXISTS "schema_version" '
    '("version" INTEGER NOT NULL PRIMARY KEY, "applied_at" TEXT NOT NULL)'
)


class SchemaTooNewError(StationError):
    """The store was written by a newer version of the app."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            _(
                "This data was written by a newer version of the station app (schema {found}, "
                "this app knows up to {supported}). Install the newer version; nothing was changed."
            ).format(found=found, supported=supported)
        )
        self.found = found
        self.supported = supported


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The step's SQL statements, comments removed."""
        text = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return [s.strip() for s in text.split(";") if s.strip()]


def steps() -> list[Step]:
    """Every migration step shipped with this app, in order."""
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _STEP_NAME.match(entry.name)
        if match:
            found.append(Step(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda step: step.version)
    for expected, step in enumerate(found, start=1):
        if step.version != expected:
            raise RuntimeError(f"migration steps are not numbered 1..n: {step.name}")
    return found


LATEST = len(steps())


def current_version(db: Database) -> int:
    """The schema version of ``db``; 0 for an empty store."""
    if "schema_version" not in db.get_tables():
        return 0
    row = db.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()
    return row[0] or 0


def migrate(db: Database, *, target: int = LATEST) -> list[int]:
    """Bring ``db`` to ``target``; return the versions applied.

    Raises SchemaTooNewError, without writing anything, when the store is newer than this
    app.
    """
    found = current_version(db)
    if found > LATEST:
        raise SchemaTooNewError(found, LATEST)
    applied = []
    for step in steps():
        if found < step.version <= target:
            _apply(db, step)
            applied.append(step.version)
    return applied


def _apply(db: Database, step: Step) -> None:
    with db.atomic():
        db.execute_sql(_VERSION_TABLE)
        for statement in step.statements():
            db.execute_sql(statement)
        db.execute_sql(
            'INSERT INTO "schema_version" ("version", "applied_at") VALUES (?, ?)',
            (step.version, datetime.now(timezone.utc).isoformat()),
        )
