"""The console on each storage backend (SQLite and a throwaway PostgreSQL): sign in, the
queue and its filters, a case with its pages, a decision, the audit chain, the export."""

from __future__ import annotations

import re
from pathlib import Path

from sync.township.audit import AuditLog
from sync.township.console.casefacts import CaseIndex, QueueFilter
from sync.township.console.catalogs import CatalogLibrary
from sync.township.console.deadlines import local_date
from tests.console.seed import ADMIN, REVIEWER, ConsoleClient, seeded_console


def test_the_console_works_on_each_backend(tmp_path: Path, database: str | None) -> None:
    with seeded_console(tmp_path / "township", database=database) as seeded:
        reviewer = ConsoleClient(seeded.township.url)
        assert reviewer.login(*REVIEWER).status_code == 303
        queue = reviewer.get("/console/cases?matter=SJ-DBSQ-001").text
        assert re.findall(r'<tr id="case-([0-9]+)"', queue) == [str(seeded.cases["received"])]
        detail = reviewer.get(f"/console/cases/{seeded.cases['received']}").text
        page = re.search(r'src="(/console/cases/[0-9]+/pages/[0-9a-f-]+)"', detail)
        assert page and reviewer.get(page.group(1)).content == \
            seeded.files["received"][0].plaintext
        answer = reviewer.post(f"/console/cases/{seeded.cases['received']}/accept")
        assert answer.headers["location"].endswith("notice=accepted")
        assert reviewer.get("/console/reconciliation/export.xlsx").status_code == 200
        admin = ConsoleClient(seeded.township.url)
        admin.login(*ADMIN)
        assert 'id="audit-check" class="notice"' in admin.get("/console/audit").text
        check = AuditLog(seeded.service.context).verify()
        assert check.ok and check.entries >= 6


def test_the_queue_pages_on_each_backend(tmp_path: Path, database: str | None) -> None:
    with seeded_console(tmp_path / "township", database=database) as seeded:
        service = seeded.service
        index = CaseIndex(service.context, CatalogLibrary.bundled(), 3)
        assert index.refresh() == len(seeded.cases)
        assert index.refresh() == 0
        today = local_date(service.context.clock())
        seen, before = [], None
        while True:
            page = index.queue(QueueFilter(before=before), today, 2)
            seen += [row.id for row in page.rows]
            if page.next_before is None:
                break
            before = page.next_before
        assert seen == sorted(seeded.cases.values(), reverse=True)
        matter = index.queue(QueueFilter(matter="TY-LNBZ-001"), today, 10).rows
        assert [(row.id, row.matter_name) for row in matter] == [
            (seeded.cases["other_station"], "农村籍退役士兵老年生活补助申请")]
