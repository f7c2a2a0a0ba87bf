"""Printing a real case: the three documents built from the store, rendered to PDF and
read back with poppler (pdftotext, pdffonts, pdftoppm, pdfinfo) and zbar (zbarimg)."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from station import audit, i18n
from station.cases import StatusEvent
from station.clock import CHINA
from station.demo import bundled_catalog
from station.lifecycle import Transition
from station.models import AuditEvent
from station.printing import (
    DocumentKind,
    DocumentUnavailableError,
    MatterMismatchError,
    Paper,
    PrintFont,
    PrintService,
    build_commitment,
    build_notice,
    build_receipt,
    output_dir,
    render,
)
from station.printing.documents import DeferredItem, ReceivedMaterial
from station.printing.notice import MissingStatus

FULL_ID, MASKED_ID = "11010519491231002X", "110105********002X"
PHONE, MASKED_PHONE = "13800138000", "138****8000"
NAME = "欧阳明珠"
DEBIAN_TOOLS = "apt-get install poppler-utils zbar-tools"


def tool(name: str) -> str:
    """The path of a Debian tool the checks need; fails (never skips) without it."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `{DEBIAN_TOOLS}` (make system-deps does)")
    return found


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path) -> str:
    return run(tool("pdftotext"), "-layout", str(path), "-")


@pytest.fixture
def chinese(monkeypatch):
    """The app's default language, as a station starts with it."""
    monkeypatch.delenv("STATION_LANGUAGE", raising=False)
    monkeypatch.setenv("LANGUAGE", "C")  # restored after the test; setup() overwrites it
    assert i18n.setup() == "zh_CN"


@pytest.fixture
def printer(session) -> PrintService:
    return PrintService(session)


def make(printer: PrintService, kind: DocumentKind, case, matter, tmp_path: Path, **kw):
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)
    return printer.make_pdf(kind, case.uuid, matter, folder=folder, **kw)


def test_receipt_describes_the_queued_case(session, queued) -> None:
    receipt = build_receipt(session.ctx, queued.uuid)
    top = receipt.heading
    assert (top.case_number, top.matter_code, top.matter_name) == (
        queued.local_number,
        "TEST-BZ-001",
        "测试补助申请",
    )
    assert (top.applicant_name, top.id_number, top.phone) == (NAME, MASKED_ID, MASKED_PHONE)
    assert (top.station_name, top.township, top.agent_name) == (
        "测试村便民服务站",
        "测试镇",
        "王代办",
    )
    assert receipt.intake_at == datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)
    assert receipt.received == (ReceivedMaterial("居民身份证", "original", 0, 2),)
    assert receipt.deferred == (DeferredItem("户口簿", "copy", 1, date(2026, 12, 1), None),)
    assert receipt.promised_date == queued.promised_date is not None
    assert receipt.qr_payload == queued.local_number


def test_receipt_pdf_is_chinese_and_masks_the_id_number(
    printer, queued, matter, tmp_path, chinese
) -> None:
    rendered = make(printer, DocumentKind.RECEIPT, queued, matter, tmp_path)
    text = pdf_text(rendered.path)
    for expected in (
        "收件回执",
        queued.local_number,
        NAME,
        "居民身份证",
        "容缺",
        "户口簿",
        MASKED_ID,
        MASKED_PHONE,
        "2026年11月23日 10:00",
        "2026年12月1日",
        "测试村便民服务站",
        "王代办",
    ):
        assert expected in text, expected
    assert FULL_ID not in text.replace(" ", "")
    assert PHONE not in text.replace(" ", "")
    assert (rendered.kind, rendered.pages, rendered.missing_glyphs) == (DocumentKind.RECEIPT, 1, 0)


def test_receipt_qr_code_carries_the_case_number(printer, queued, matter, tmp_path) -> None:
    rendered = make(printer, DocumentKind.RECEIPT, queued, matter, tmp_path)
    run(
        tool("pdftoppm"),
        "-png",
        "-r",
        "150",
        "-f",
        "1",
        "-l",
        "1",
        "-singlefile",
        str(rendered.path),
        str(tmp_path / "page"),
    )
    decoded = run(tool("zbarimg"), "--raw", "-q", str(tmp_path / "page.png"))
    assert decoded.strip() == queued.local_number


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_pdf_embeds_a_font_subset_and_stays_small(printer, queued, matter, tmp_path, kind) -> None:
    rendered = make(printer, kind, queued, matter, tmp_path)
    fonts = run(tool("pdffonts"), str(rendered.path)).splitlines()[2:]
    assert fonts, "the PDF embeds no font"
    for line in fonts:
        emb, sub, uni = line.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line
    assert rendered.path.stat().st_size < 200_000


def test_notice_lists_what_an_incomplete_draft_misses(
    printer, session, draft, matter, tmp_path, chinese
) -> None:
    notice = build_notice(session.ctx, draft.uuid, matter)
    missing = [(m.name, m.status) for m in notice.missing]
    assert missing == [("居民身份证", MissingStatus.REQUIRED), ("户口簿", MissingStatus.DEFERRABLE)]
    assert notice.form_problems == () and not notice.complete
    text = pdf_text(make(printer, DocumentKind.NOTICE, draft, matter, tmp_path).path)
    for expected in (
        "一次性告知书",
        NAME,
        "居民身份证",
        "户口簿",
        "受理前必须提供",
        "可容缺受理",
        "本县户籍居民",
        "20个工作日",
        "10个工作日",
        "不收费",
        "代办员送达",
    ):
        assert expected in text, expected
    assert FULL_ID not in text.replace(" ", "")


def test_notice_names_the_form_fields_to_correct(session, matter, applicant) -> None:
    answers = {"applicant_name": NAME, "has_income": True, "monthly_income": "-5"}
    case = session.cases.create_draft(matter, 1, applicant, answers)
    notice = build_notice(session.ctx, case.uuid, matter)
    fields = [problem.field for problem in notice.form_problems]
    assert fields == ["身份证号", "月收入"]
    assert all(problem.message for problem in notice.form_problems)
    assert "收入证明" in [m.name for m in notice.missing]


def test_notice_of_a_queued_case_says_when_the_deferred_material_is_due(
    session, queued, matter
) -> None:
    notice = build_notice(session.ctx, queued.uuid, matter)
    assert [(m.name, m.status, m.promised_date) for m in notice.missing] == [
        ("户口簿", MissingStatus.DEFERRED, date(2026, 12, 1))
    ]


def test_notice_of_a_returned_case_repeats_the_township_reasons(session, queued, matter) -> None:
    session.cases.apply_status_event(queued.uuid, StatusEvent("e1", Transition.UPLOAD))
    reason = "户口簿复印件不清晰，请重新提交"
    session.cases.apply_status_event(queued.uuid, StatusEvent("e2", Transition.RETURN, reason))
    assert build_notice(session.ctx, queued.uuid, matter).township_remarks == reason


def test_notice_shows_fees_in_figures_and_capitals(
    printer, session, applicant, tmp_path, chinese
) -> None:
    catalog = bundled_catalog()
    id_card_matter = catalog.matter("HJ-SFZBL-001")
    case = session.cases.create_draft(id_card_matter, catalog.version, applicant, {})
    text = pdf_text(make(printer, DocumentKind.NOTICE, case, id_card_matter, tmp_path).path)
    assert "¥40.00（人民币肆拾元整）" in text
    assert "居民户口簿" in text


def test_commitment_letter_lists_each_deferred_material(
    printer, session, queued, matter, tmp_path, chinese
) -> None:
    letter = build_commitment(session.ctx, queued.uuid)
    assert letter.deferred == (DeferredItem("户口簿", "copy", 1, date(2026, 12, 1), None),)
    assert (letter.heading.id_number, letter.heading.phone) == (FULL_ID, None)
    assert NAME in letter.statement and "测试补助申请" in letter.statement
    text = pdf_text(make(printer, DocumentKind.COMMITMENT, queued, matter, tmp_path).path)
    for expected in (
        "容缺受理承诺书",
        NAME,
        FULL_ID,
        "户口簿",
        "2026年12月1日",
        "后果由本人承担",
        "签名并按手印",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("kind", [DocumentKind.RECEIPT, DocumentKind.COMMITMENT])
def test_a_draft_without_deferrals_has_no_receipt_or_letter(
    printer, draft, matter, tmp_path, kind
) -> None:
    with pytest.raises(DocumentUnavailableError):
        make(printer, kind, draft, matter, tmp_path)
    assert list((tmp_path / "out").iterdir()) == []
    assert not AuditEvent.select().where(AuditEvent.action == "print").exists()


def test_a_failed_rendering_leaves_no_file_and_no_audit_entry(
    session, queued, matter, tmp_path
) -> None:
    broken = PrintService(session, font=PrintFont(tmp_path / "no-such-font.ttc"))
    with pytest.raises(OSError):
        make(broken, DocumentKind.RECEIPT, queued, matter, tmp_path)
    assert list((tmp_path / "out").iterdir()) == []
    assert not AuditEvent.select().where(AuditEvent.action == "print").exists()


def test_notice_refuses_another_matter_definition(session, draft) -> None:
    with pytest.raises(MatterMismatchError):
        build_notice(session.ctx, draft.uuid, bundled_catalog().matter("HJ-SFZBL-001"))


def test_every_print_is_audited(printer, session, queued, matter, tmp_path) -> None:
    rendered = make(printer, DocumentKind.RECEIPT, queued, matter, tmp_path, paper=Paper.A5)
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (entry.action, entry.object_type, entry.object_id, entry.agent_login) == (
        "print",
        "case",
        queued.uuid,
        "wang",
    )
    assert entry.detail == {"document": "receipt", "paper": "A5"}
    assert audit.verify().ok
    assert stat.S_IMODE(rendered.path.stat().st_mode) == 0o600
    assert rendered.path.name.startswith(queued.local_number)


def test_a5_pages_are_a5(printer, queued, matter, tmp_path) -> None:
    rendered = make(printer, DocumentKind.COMMITMENT, queued, matter, tmp_path, paper=Paper.A5)
    info = dict(
        line.split(":", 1) for line in run(tool("pdfinfo"), str(rendered.path)).splitlines()
    )
    width, _, height = info["Page size"].split()[:3]
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (148, 210)
    assert int(info["Pages"]) == rendered.pages == 1


def test_output_dir_is_private_and_forgets_old_files(session) -> None:
    folder = output_dir(session)
    assert folder == session.paths.root / "print"
    old, fresh = folder / "old.pdf", folder / "fresh.pdf"
    for path in (old, fresh):
        path.write_bytes(b"%PDF-")
    day_and_a_bit = time.time() - 25 * 3600
    os.utime(old, (day_and_a_bit, day_and_a_bit))
    os.chmod(folder, 0o755)
    assert output_dir(session) == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == ["fresh.pdf"]


def test_make_pdf_writes_into_the_output_dir_by_default(printer, session, queued, matter) -> None:
    rendered = printer.make_pdf(DocumentKind.RECEIPT, queued.uuid, matter)
    assert rendered.path.parent == session.paths.root / "print"
    assert rendered.path.read_bytes().startswith(b"%PDF-")


def test_make_pdf_runs_on_a_worker_thread(printer, session, queued, matter, tmp_path) -> None:
    results: list = []

    def work() -> None:
        try:
            results.append(make(printer, DocumentKind.RECEIPT, queued, matter, tmp_path))
        finally:
            session.db.close()  # the worker's own connection

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert results and results[0].path.is_file()
    assert AuditEvent.select().where(AuditEvent.action == "print").count() == 1


def test_printing_logs_nothing_personal(printer, session, queued, matter, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    make(printer, DocumentKind.NOTICE, queued, matter, tmp_path)
    receipt = build_receipt(session.ctx, queued.uuid)
    rare = replace(receipt, heading=replace(receipt.heading, applicant_name="王\U00030000"))
    assert render(rare, tmp_path / "rare.pdf").missing_glyphs == 1
    assert caplog.records, "nothing was logged: the test would prove nothing"
    for secret in (NAME, FULL_ID, MASKED_ID, PHONE, MASKED_PHONE, "\U00030000"):
        assert secret not in caplog.text
