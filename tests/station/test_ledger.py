"""The ledger (台账) export and the daily summary, read back with openpyxl and LibreOffice."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import subprocess
import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from station import audit, i18n
from station import session as sessions
from station.applicants import ApplicantInput
from station.cases import EvaluationLevel, EvaluationStage, StatusEvent
from station.clock import CHINA, FixedClock
from station.ledger import (
    DailySummary,
    ExportCancelledError,
    LedgerPeriodError,
    LedgerReport,
    LedgerWriteError,
    daily_summary,
    export_daily_summary,
    export_ledger,
    month_period,
)
from station.lifecycle import CaseState, Transition
from station.models import AuditEvent

from tests.station.conftest import CHEAP_KDF, COMPLETE_ANSWERS, PASSWORD, SETUP

NOVEMBER = month_period(2026, 11)
HEADERS = [
    "序号", "办件编号", "收件日期", "事项名称", "申请人", "身份证号码", "联系电话", "办件状态",
    "容缺材料", "承诺办结日期", "办结日期", "送达日期", "代办员", "评价", "备注",
]  # fmt: skip
COLUMN = {name: index for index, name in enumerate(HEADERS)}
FIRST_ROW = 4  # title, period, header


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheets in the station's default language."""
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    i18n.setup("zh_CN")


def _china(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A China wall-clock time as the naive UTC the store keeps."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


class Filing:
    """Files cases on chosen days through the real services, moving the fixed clock."""

    def __init__(self, session, matter, scans, clock) -> None:
        self.session, self.matter, self.scans, self.clock = session, matter, scans, clock
        self._events = 0

    def at(self, day: date, hour: int = 10, minute: int = 0) -> "Filing":
        self.clock.at = _china(day, hour, minute)
        return self

    def draft(self, applicant, matter=None):
        matter = matter or self.matter
        return self.session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))

    def submitted(self, applicant, hukou_due: date | None = None, matter=None):
        case = self.draft(applicant, matter)
        self.session.materials.attach_pages(case.uuid, "id_card", self.scans[:2])
        if hukou_due:
            self.session.materials.defer(case.uuid, "hukou", hukou_due)
        else:
            self.session.materials.attach_pages(case.uuid, "hukou", self.scans[2:])
        return self.session.cases.submit(case.uuid, matter or self.matter)

    def township(self, case, *steps: Transition, reason: str | None = None) -> None:
        for step in steps:
            self._events += 1
            event = StatusEvent(
                f"event-{self._events}", step, reason=reason, result_text="ok", approved=True
            )
            self.session.cases.apply_status_event(case.uuid, event)

    def rate(self, case, stage: EvaluationStage, level: EvaluationLevel) -> None:
        self.session.cases.record_evaluation(case.uuid, stage, level)


def _file_cases(session, matter, applicant, scans, clock) -> dict:
    """Cases in several states across October, November and December 2026.

    Returns the case numbers by role; ``in_november`` lists those the November ledger
    holds, in filing order.
    """
    filing = Filing(session, matter, scans, clock)
    other = session.applicants.save(
        ApplicantInput(name="张三", id_number="320102198506127711", phone="13900139000")
    )
    october = filing.at(date(2026, 10, 30)).submitted(applicant)
    filing.township(october, Transition.UPLOAD, Transition.ACCEPT)

    first = filing.at(date(2026, 11, 1), 0, 5).submitted(applicant, hukou_due=date(2026, 11, 10))
    filing.rate(first, EvaluationStage.INTAKE, EvaluationLevel.VERY_SATISFIED)
    filing.at(date(2026, 11, 12)).township(
        first, Transition.UPLOAD, Transition.ACCEPT, Transition.COMPLETE
    )
    filing.at(date(2026, 11, 13))
    session.cases.record_delivery(first.uuid)
    filing.rate(first, EvaluationStage.DELIVERY, EvaluationLevel.SATISFIED)

    returned = filing.at(date(2026, 11, 10), 9).submitted(applicant, hukou_due=date(2026, 11, 20))
    filing.township(returned, Transition.UPLOAD)
    filing.township(returned, Transition.RETURN, reason="户口簿首页不清晰\x07，请补正")
    filing.at(date(2026, 11, 12))
    session.materials.attach_pages(returned.uuid, "hukou", scans[2:])

    formula = dataclasses.replace(matter, name="=HYPERLINK(\"http://example.invalid\")")
    queued = filing.at(date(2026, 11, 20)).submitted(
        other, hukou_due=date(2026, 11, 27), matter=formula
    )
    draft = filing.at(date(2026, 11, 25)).draft(applicant)
    discarded = filing.at(date(2026, 11, 26)).draft(applicant)
    session.cases.discard(discarded.uuid)
    late = filing.at(date(2026, 11, 30), 23, 50).draft(other)
    december = filing.at(date(2026, 12, 1), 0, 10).draft(applicant)

    filing.at(date(2026, 11, 23))
    cases = dict(
        october=october, first=first, returned=returned, queued=queued, draft=draft,
        discarded=discarded, late=late, december=december,
    )  # fmt: skip
    numbers = {role: case.local_number for role, case in cases.items()}
    numbers["in_november"] = [numbers[r] for r in ("first", "returned", "queued", "draft", "late")]
    return numbers


@pytest.fixture
def store(session, matter, applicant, scans, clock) -> dict:
    """The cases, filed in the test's own station (for tests that change or audit it)."""
    return _file_cases(session, matter, applicant, scans, clock)


@dataclasses.dataclass(frozen=True)
class Filed:
    """What the read-only tests look at: one station's November ledger and its days."""

    cases: dict
    ledger: Path
    days: dict[date, DailySummary]


SUMMARY_DAYS = [date(2026, 11, d) for d in (10, 11, 12, 13, 20, 26, 27)]


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory, matter) -> Filed:
    """Files the cases once for the module and exports what the read-only tests read.

    The session is closed before the tests run: the models' database binding is global,
    and each function-scoped ``session`` rebinds it.
    """
    root = tmp_path_factory.mktemp("ledger")
    clock = FixedClock(datetime(2026, 11, 23, 2, 0))
    sessions.init_station(root / "station", SETUP, kdf=CHEAP_KDF, clock=clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANGUAGE", "zh_CN")
        i18n.setup("zh_CN")
        with sessions.login(root / "station", SETUP.login, PASSWORD, clock=clock) as session:
            applicant = session.applicants.save(
                ApplicantInput(name="欧阳明珠", id_number="11010519491231002x", phone="13800138000")
            )
            cases = _file_cases(session, matter, applicant, _scan_files(root), clock)
            ledger = export_ledger(session, *NOVEMBER, root / "ledger.xlsx").path
            days = {day: daily_summary(session, day) for day in SUMMARY_DAYS}
    return Filed(cases, ledger, days)


def _scan_files(folder: Path) -> list[Path]:
    """Two pages of an ID card and one of a household register (tiny, but real headers)."""
    paths = []
    for n, head in enumerate([b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n"]):
        paths.append(folder / f"scan{n}")
        paths[-1].write_bytes(head + bytes([n]) * 1000)
    return paths


def _rows(path: Path) -> tuple:
    """The workbook's sheet, and the ledger rows by case number."""
    sheet = load_workbook(path).active
    rows = {}
    for cells in sheet.iter_rows(min_row=FIRST_ROW):
        number = cells[COLUMN["办件编号"]].value
        if isinstance(cells[0].value, int):
            rows[number] = cells
    return sheet, rows


def _value(rows: dict, number: str, header: str):
    return rows[number][COLUMN[header]].value


def test_the_ledger_lists_each_case_of_the_period_once(store, session, tmp_path) -> None:
    report = export_ledger(session, *NOVEMBER, tmp_path / "ledger.xlsx")

    sheet, rows = _rows(report.path)
    assert report == LedgerReport(5, tmp_path / "ledger.xlsx")
    assert sheet["A1"].value == "测试村便民服务站 政务服务代办台账"
    assert "2026年11月1日至2026年11月30日" in sheet["A2"].value
    assert "导出时间：2026年11月23日 10:00" in sheet["A2"].value
    assert [cell.value for cell in sheet[3]] == HEADERS
    assert list(rows) == store["in_november"]
    assert [cells[0].value for cells in rows.values()] == [1, 2, 3, 4, 5]


def test_the_sheet_is_laid_out_to_read_and_print(filed: Filed) -> None:
    sheet = load_workbook(filed.ledger).active

    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert {"A1:O1", "A2:O2"} <= {str(cells) for cells in sheet.merged_cells.ranges}
    assert all(sheet.column_dimensions[c].width >= 5 for c in "ABCDEFGHIJKLMNO")
    assert sheet["F4"].border.left.style == "thin"
    assert sheet["B3"].font.bold


@pytest.mark.parametrize(
    "role, header, expected",
    [
        ("first", "申请人", "欧阳明珠"),
        ("first", "身份证号码", "11010519491231002X"),
        ("queued", "身份证号码", "320102198506127711"),
        ("queued", "联系电话", "13900139000"),
        ("first", "办件状态", "已送达"),
        ("returned", "办件状态", "退回补正"),
        ("queued", "办件状态", "待上传"),
        ("draft", "办件状态", "草稿"),
        ("first", "事项名称", "测试补助申请"),
        ("queued", "事项名称", '=HYPERLINK("http://example.invalid")'),
        ("first", "容缺材料", "户口簿（承诺2026年11月10日前补齐）"),
        ("returned", "容缺材料", "户口簿（2026年11月12日已补齐）"),
        ("first", "评价", "受理评价：非常满意\n送达评价：满意"),
        ("first", "备注", "准予办理"),
        ("returned", "备注", "原因：户口簿首页不清晰，请补正"),
        ("first", "代办员", "王代办"),
        ("draft", "容缺材料", None),
    ],
)
def test_cells_hold_the_case_as_text(filed: Filed, role, header, expected) -> None:
    _, rows = _rows(filed.ledger)

    cell = rows[filed.cases[role]][COLUMN[header]]
    assert cell.value == expected
    if expected is not None:
        assert cell.data_type == "s"  # never a number, never a formula


def test_id_numbers_stay_18_characters_of_text(filed: Filed) -> None:
    _, rows = _rows(filed.ledger)

    for number in filed.cases["in_november"]:
        cell = rows[number][COLUMN["身份证号码"]]
        assert (cell.data_type, len(cell.value)) == ("s", 18)
        assert cell.number_format == "@"


@pytest.mark.parametrize(
    "role, header, expected",
    [
        ("first", "收件日期", date(2026, 11, 1)),
        ("late", "收件日期", date(2026, 11, 30)),
        ("first", "办结日期", date(2026, 11, 12)),
        ("first", "送达日期", date(2026, 11, 13)),
        ("first", "承诺办结日期", date(2026, 11, 13)),  # 10 working days from Sunday 1st
        ("queued", "办结日期", None),
    ],
)
def test_dates_are_excel_dates(filed: Filed, role, header, expected) -> None:
    _, rows = _rows(filed.ledger)

    cell = rows[filed.cases[role]][COLUMN[header]]
    if expected is None:
        assert cell.value is None
    else:
        assert cell.is_date and cell.value.date() == expected
        assert cell.number_format == 'yyyy"年"m"月"d"日"'


def test_the_footer_totals_the_cases_by_state(filed: Filed) -> None:
    sheet, _ = _rows(filed.ledger)

    footer = sheet.cell(FIRST_ROW + 5, 1).value
    assert footer.startswith("合计：共 5 件")
    for part in ("草稿 2 件", "待上传 1 件", "退回补正 1 件", "已送达 1 件"):
        assert part in footer
    assert "制表人：王代办" in sheet.cell(FIRST_ROW + 6, 1).value


def test_an_empty_period_gives_an_empty_ledger(store, session, tmp_path) -> None:
    report = export_ledger(session, *month_period(2027, 2), tmp_path / "l.xlsx")

    sheet, rows = _rows(report.path)
    assert (report.rows, rows) == (0, {})
    assert sheet.cell(FIRST_ROW, 1).value.startswith("合计：共 0 件")


def test_masked_id_numbers_keep_head_and_tail(store, session, tmp_path) -> None:
    path = export_ledger(session, *NOVEMBER, tmp_path / "l.xlsx", mask_id_numbers=True).path

    _, rows = _rows(path)
    assert _value(rows, store["first"], "身份证号码") == "110105********002X"


def test_the_export_is_audited_without_personal_data(store, session, tmp_path) -> None:
    export_ledger(session, *NOVEMBER, tmp_path / "l.xlsx")

    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (entry.action, entry.object_type, entry.agent_login) == ("export", "ledger", "wang")
    assert entry.detail == {
        "what": "ledger", "from": "2026-11-01", "to": "2026-11-30", "rows": 5, "masked": False
    }  # fmt: skip
    text = json.dumps(entry.detail, ensure_ascii=False)
    assert not any(secret in text for secret in ("欧阳明珠", "11010519491231002X", "13800138000"))
    assert audit.verify().ok


def test_progress_reaches_the_total(store, session, tmp_path) -> None:
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))

    export_ledger(session, *NOVEMBER, tmp_path / "l.xlsx", progress=progress)

    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize("earlier", [None, b"last month's ledger"])
def test_a_cancelled_export_leaves_no_file(store, session, tmp_path, earlier) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "ledger.xlsx"
    if earlier:
        target.write_bytes(earlier)
    asked = []
    exports_before = AuditEvent.select().where(AuditEvent.action == "export").count()

    def cancel() -> bool:
        asked.append(True)
        return len(asked) > 2

    with pytest.raises(ExportCancelledError):
        export_ledger(session, *NOVEMBER, target, cancel=cancel)

    assert [p.name for p in folder.iterdir()] == (["ledger.xlsx"] if earlier else [])
    if earlier:
        assert target.read_bytes() == earlier
    assert AuditEvent.select().where(AuditEvent.action == "export").count() == exports_before


def test_a_missing_folder_is_a_write_error(store, session, tmp_path) -> None:
    with pytest.raises(LedgerWriteError):
        export_ledger(session, *NOVEMBER, tmp_path / "absent" / "l.xlsx")


def test_a_period_ending_before_it_starts_is_refused(session, tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(LedgerPeriodError):
        export_ledger(session, date(2026, 11, 30), date(2026, 11, 1), folder / "l.xlsx")
    assert list(folder.iterdir()) == []


def test_a_worker_thread_exports_through_its_own_connection(store, session, tmp_path) -> None:
    results: list = []
    worker = threading.Thread(
        target=lambda: results.append(export_ledger(session, *NOVEMBER, tmp_path / "l.xlsx"))
    )
    worker.start()
    worker.join()

    assert [report.rows for report in results] == [5]
    assert list(_rows(tmp_path / "l.xlsx")[1]) == store["in_november"]
    assert AuditEvent.select().order_by(AuditEvent.id.desc()).get().action == "export"


def test_libreoffice_opens_the_export(store, session, tmp_path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail(
            "LibreOffice is missing: install the Debian package libreoffice-calc-nogui "
            "(make test installs it) so that the ledger can be checked in a real office suite"
        )
    report = export_ledger(session, *NOVEMBER, tmp_path / "ledger.xlsx")
    out = tmp_path / "csv"
    command = [
        soffice,
        f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
        "--headless",
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,76,1",  # comma, quote, UTF-8, from line 1
        "--outdir",
        str(out),
        str(report.path),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)

    with open(out / "ledger.csv", encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for number in store["in_november"]:
        assert number in cells
    assert "测试补助申请" in cells
    assert "11010519491231002X" in cells and "320102198506127711" in cells
    assert store["december"] not in cells


@pytest.mark.parametrize(
    "day, attribute, expected",
    [
        (date(2026, 11, 10), "received", (("测试补助申请", 1),)),
        (date(2026, 11, 10), "submitted", 1),
        (date(2026, 11, 10), "returned", 1),
        (date(2026, 11, 12), "completed", 1),
        (date(2026, 11, 13), "delivered", 1),
        (date(2026, 11, 26), "received", ()),  # the day's only case was discarded
        (date(2026, 11, 20), "received", (('=HYPERLINK("http://example.invalid")', 1),)),
    ],
)
def test_the_daily_summary_counts_the_day(filed: Filed, day, attribute, expected) -> None:
    assert getattr(filed.days[day], attribute) == expected


def test_the_daily_summary_counts_ratings_by_level(filed: Filed) -> None:
    summary = filed.days[date(2026, 11, 13)]

    assert summary.evaluations[EvaluationLevel.SATISFIED] == 1
    assert sum(summary.evaluations.values()) == 1
    assert summary.moves[CaseState.DELIVERED] == 1


@pytest.mark.parametrize(
    "day, due, overdue",
    [
        (date(2026, 11, 10), ["first"], []),
        (date(2026, 11, 11), [], ["first"]),
        (date(2026, 11, 20), [], ["first"]),  # the returned case's material arrived on the 12th
        (date(2026, 11, 27), ["queued"], ["first"]),
    ],
)
def test_the_daily_summary_lists_deferred_materials(filed: Filed, day, due, overdue) -> None:
    summary = filed.days[day]

    numbers = filed.cases
    assert [item.local_number for item in summary.due] == [numbers[role] for role in due]
    assert [item.local_number for item in summary.overdue] == [numbers[role] for role in overdue]
    assert all(item.material == "户口簿" for item in summary.due + summary.overdue)


def test_the_daily_summary_exports_to_its_own_workbook(store, session, tmp_path) -> None:
    path = export_daily_summary(session, date(2026, 11, 27), tmp_path / "day.xlsx")

    sheet = load_workbook(path).active
    texts = [cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert texts[0] == "测试村便民服务站 每日工作汇总"
    assert "日期：2026年11月27日" in texts[1]
    for expected in ("当日到期的容缺材料", "逾期未补齐的容缺材料", store["queued"], store["first"]):
        assert expected in texts
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (entry.action, entry.object_type, entry.detail) == (
        "export", "daily_summary", {"day": "2026-11-27"}
    )  # fmt: skip


def test_a_month_period_runs_to_the_last_day() -> None:
    assert month_period(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_period(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))


def test_cases_filed_at_either_end_of_a_china_day_land_on_it(store, session, tmp_path) -> None:
    report = export_ledger(session, date(2026, 11, 30), date(2026, 12, 1), tmp_path / "l.xlsx")

    _, rows = _rows(report.path)
    assert list(rows) == [store["late"], store["december"]]
    assert _value(rows, store["late"], "收件日期").date() == date(2026, 11, 30)
    assert _value(rows, store["december"], "收件日期").date() == date(2026, 12, 1)
