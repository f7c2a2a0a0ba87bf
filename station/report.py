"""What ``station info`` shows: the station, its data and its queue (no personal data)."""

from __future__ import annotations

import shutil
from typing import Iterator

from peewee import fn

from station import __version__, migrations
from station.i18n import _
from station.lifecycle import CaseState, state_label
from station.models import AuditEvent, Case, MaterialFile, Station


def station_info(session: "Session") -> Iterator[tuple[str, str]]:  # noqa: F821
    """(label, value) pairs describing the logged-in station."""
    station = Station.get()
    yield _("App version"), __version__
    yield _("Station"), f"{station.code} {station.name} ({station.township})"
    yield _("Data directory"), str(session.paths.root)
    yield _("Logged in as"), session.agent.login
    yield _("Schema version"), str(migrations.current_version(session.db))
    yield _("SQLCipher"), session.db.execute_sql("PRAGMA cipher_version").fetchone()[0]
    yield _("Escrow key"), _("configured") if session.keyfile.has_escrow else _("not configured")
    for state, count in _cases_by_state():
        yield _("Cases: {state}").format(state=state_label(state)), str(count)
    for state, count in sorted(session.ctx.outbox.counts().items()):
        yield _("Upload queue, {state}").format(state=state), str(count)
    pages, size = _stored_pages()
    yield _("Stored pages"), _("{n} ({mb:.1f} MB)").format(n=pages, mb=size / 1e6)
    yield _("Audit entries"), str(AuditEvent.select().count())
    free = shutil.disk_usage(session.paths.root).free
    yield _("Free disk space"), _("{gb:.1f} GB").format(gb=free / 1e9)


def _cases_by_state() -> list[tuple[CaseState, int]]:
    rows = Case.select(Case.state, fn.COUNT(Case.id)).group_by(Case.state).tuples()
    return sorted((CaseState(state), count) for state, count in rows)


def _stored_pages() -> tuple[int, int]:
    query = MaterialFile.select(
        fn.COUNT(MaterialFile.id), fn.COALESCE(fn.SUM(MaterialFile.size), 0)
    )
    return query.where(MaterialFile.blob_name.is_null(False)).tuples().get()
