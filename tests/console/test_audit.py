"""The console's audit log is a hash chain that verifies, and that an edited, removed or
reordered entry breaks; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sync.township.audit import GENESIS, AuditLog
from sync.township.cli import main
from sync.township.models import AuditEntry, AuditHead
from sync.township.service import Township, open_township
from tests.township.server import PASSPHRASE, create_township


def _filled(service: Township, count: int = 5) -> AuditLog:
    log = AuditLog(service.context)
    for number in range(count):
        log.record("reviewer", "view_case", "case", f"case-{number}", {"station": "s1"})
    return log


def test_a_fresh_log_verifies(service: Township) -> None:
    result = AuditLog(service.context).verify()
    assert (result.ok, result.entries) == (True, 0)


def test_entries_chain_and_verify(service: Township) -> None:
    log = _filled(service)
    entries = list(AuditEntry.select().order_by(AuditEntry.id))
    assert [e.id for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert AuditHead.get().count == 5 and AuditHead.get().hash == entries[-1].hash
    assert log.verify().ok and log.verify().entries == 5
    assert [r.object_id for r in log.page(limit=2)] == ["case-4", "case-3"]
    assert [r.object_id for r in log.page(before=2)] == ["case-0"]


def test_an_edited_entry_breaks_the_chain(service: Township) -> None:
    log = _filled(service)
    AuditEntry.update(detail='{"station":"s2"}').where(AuditEntry.id == 3).execute()
    result = log.verify()
    assert (result.ok, result.broken_at, result.problem, result.entries) == (
        False, 3, "changed", 2)


def test_an_edited_actor_breaks_the_chain(service: Township) -> None:
    log = _filled(service)
    AuditEntry.update(actor="admin").where(AuditEntry.id == 1).execute()
    assert (log.verify().broken_at, log.verify().problem) == (1, "changed")


def test_a_removed_entry_breaks_the_chain(service: Township) -> None:
    log = _filled(service)
    AuditEntry.delete().where(AuditEntry.id == 2).execute()
    assert (log.verify().broken_at, log.verify().problem) == (2, "missing")


def test_removing_the_last_entries_is_seen_by_the_head(service: Township) -> None:
    log = _filled(service)
    AuditEntry.delete().where(AuditEntry.id >= 4).execute()
    assert (log.verify().broken_at, log.verify().problem) == (4, "truncated")


def test_rewritten_links_are_seen(service: Township) -> None:
    log = _filled(service)
    AuditEntry.update(prev_hash="f" * 64).where(AuditEntry.id == 4).execute()
    assert (log.verify().broken_at, log.verify().problem) == (4, "order")


def test_township_audit_verify(tmp_path: Path) -> None:
    data = tmp_path / "township"
    service = create_township(data)
    try:
        _filled(service)
    finally:
        service.close()
    runner = CliRunner()
    env = {"TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en", "LANGUAGE": "en"}
    good = runner.invoke(main, ["--data", str(data), "audit", "verify"], env=env)
    assert good.exit_code == 0 and "5" in good.output
    service = open_township(data, PASSPHRASE)
    try:
        AuditEntry.update(action="login").where(AuditEntry.id == 2).execute()
    finally:
        service.close()
    bad = runner.invoke(main, ["--data", str(data), "audit", "verify"], env=env)
    assert bad.exit_code == 1 and "2" in bad.output
