"""The hash-chained audit log: every edit, deletion or reordering is found."""

from __future__ import annotations

import pytest

from station import audit
from station.audit import Action
from station.models import AuditEvent


@pytest.fixture
def chain(session):
    with session.db.atomic():
        for n in range(6):
            session.ctx.record(Action.VIEW, "case", f"case-{n}", {"n": n})
    return session


def test_intact_chain_verifies(chain) -> None:
    result = audit.verify()
    assert result.ok
    assert result.entries == AuditEvent.select().count() >= 7


def _sql(session, statement: str, *params) -> None:
    session.db.execute_sql(statement, params)


@pytest.mark.parametrize(
    "statement, params",
    [
        ('UPDATE "audit_event" SET "object_id" = ? WHERE "id" = ?', ("case-x", 4)),
        ('UPDATE "audit_event" SET "detail" = ? WHERE "id" = ?', ('{"n": 9}', 4)),
        ('UPDATE "audit_event" SET "at" = ? WHERE "id" = ?', ("2020-01-01 00:00:00", 4)),
        ('UPDATE "audit_event" SET "agent_login" = ? WHERE "id" = ?', ("li", 4)),
    ],
)
def test_edited_row_is_found(chain, statement: str, params) -> None:
    _sql(chain, statement, *params)
    result = audit.verify()
    assert result.broken_at == 4
    assert not result.ok


def test_deleted_row_is_found(chain) -> None:
    _sql(chain, 'DELETE FROM "audit_event" WHERE "id" = ?', 3)
    assert audit.verify().broken_at == 3


def test_deleted_last_row_is_found(chain) -> None:
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).get().id
    _sql(chain, 'DELETE FROM "audit_event" WHERE "id" = ?', last)
    assert audit.verify().broken_at == last


def test_reordered_rows_are_found(chain) -> None:
    rows = {r.id: r for r in AuditEvent.select().where(AuditEvent.id.in_([3, 4]))}
    for target, source in ((3, rows[4]), (4, rows[3])):
        _sql(
            chain,
            'UPDATE "audit_event" SET "object_id" = ?, "detail" = ?, "prev_hash" = ?, "hash" = ?'
            ' WHERE "id" = ?',
            source.object_id, '{"n": %d}' % source.detail["n"], source.prev_hash, source.hash,
            target,
        )
    assert audit.verify().broken_at == 3


def test_rewritten_hash_still_breaks_the_next_link(chain) -> None:
    entry = AuditEvent.get_by_id(2)
    entry.object_id = "forged"
    entry.hash = audit._digest(entry.prev_hash, audit._fields(entry))
    entry.save()
    assert audit.verify().broken_at == 3
