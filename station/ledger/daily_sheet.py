"""The daily summary as its own small workbook, laid out to print on one A4 page."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from station.audit import Action
from station.context import ServiceContext
from station.i18n import _
from station.ledger import files, styles
from station.ledger.access import connected, service_context
from station.ledger.daily import DailySummary, DeferredDue, daily_summary
from station.cases import level_label
from station.ledger.labels import format_date, format_moment, move_label

if TYPE_CHECKING:
    from station.session import Session

_WIDTHS = (30, 10, 14, 22, 18, 13)


class DailySheet:
    """Writes one day's summary into ``workbook`` (a write-only one)."""

    def __init__(self, workbook: Workbook) -> None:
        self._sheet = workbook.create_sheet(_("Daily summary"))
        self._written = 0
        sheet = self._sheet
        for index, width in enumerate(_WIDTHS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.page_setup.orientation = "portrait"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True

    def write(self, station_name: str, summary: DailySummary, exported_at: datetime) -> None:
        """The whole summary, top to bottom."""
        title = _("{station} daily summary").format(station=station_name)
        dated = _("Day: {day}    Exported: {time}").format(
            day=format_date(summary.day), time=format_moment(exported_at)
        )
        self._line(title, styles.TITLE, height=30)
        self._line(dated, styles.SUBTITLE)
        received = list(summary.received)
        self._counts(_("Cases received"), _("Matter name"), received, summary.received_total)
        moves = [(move_label(state), count) for state, count in summary.moves.items()]
        self._counts(_("Case progress"), _("Progress step"), moves)
        ratings = [(level_label(level), n) for level, n in summary.evaluations.items()]
        rated = sum(summary.evaluations.values())
        self._counts(_("Evaluations"), _("Rating level"), ratings, rated)
        self._deferred(_("Deferred materials due this day"), summary.due)
        self._deferred(_("Deferred materials overdue"), summary.overdue)

    def _counts(
        self, title: str, label: str, rows: list[tuple[str, int]], total: int | None = None
    ) -> None:
        self._section(title)
        self._row([label, _("Number of cases")], styles.HEADER)
        for name, count in rows:
            self._cells([(name, styles.TEXT), (count, styles.NUMBER)])
        if total is not None:
            self._cells([(_("Total"), styles.HEADER), (total, styles.NUMBER)])

    def _deferred(self, title: str, items: Sequence[DeferredDue]) -> None:
        self._section(title)
        headers = [
            _("Case number"),
            _("Applicant"),
            _("Contact phone"),
            _("Matter name"),
            _("Material name"),
            _("Promised to bring by"),
        ]
        self._row(headers, styles.HEADER)
        if not items:
            self._line(_("None this day"), styles.FOOTER)
        for item in items:
            self._cells(
                [
                    (item.local_number, styles.CODE),
                    (item.applicant_name, styles.CENTER),
                    (item.phone, styles.CODE),
                    (item.matter_name, styles.TEXT),
                    (item.material, styles.TEXT),
                    (item.promised, styles.DATE),
                ]
            )

    def _section(self, title: str) -> None:
        self._cells([])
        self._line(title, styles.SECTION)

    def _line(self, text: str, style: str, height: float | None = None) -> None:
        """A line of text across every column."""
        values = [(text, style)] + [(None, style)] * (len(_WIDTHS) - 1)
        self._cells(values, height or styles.row_height(1))
        last = get_column_letter(len(_WIDTHS))
        self._sheet.merged_cells.add(f"A{self._written}:{last}{self._written}")

    def _row(self, values: list, style: str) -> None:
        self._cells([(value, style) for value in values])

    def _cells(self, values: list[tuple[object, str]], height: float | None = None) -> None:
        """Append a row, as tall as its wrapped text needs unless ``height`` is given."""
        lines = max(
            (
                styles.line_count(value, width)
                for (value, _style), width in zip(values, _WIDTHS)
                if isinstance(value, str)
            ),
            default=1,
        )
        self._written += 1
        self._sheet.row_dimensions[self._written].height = height or styles.row_height(lines)
        self._sheet.append([styles.cell(self._sheet, value, style) for value, style in values])


def export_daily_summary(source: "Session | ServiceContext", day: date, path: Path) -> Path:
    """Write the summary of ``day`` to its own .xlsx at ``path``; return ``path``.

    Recorded in the audit log (the day only). Raises LedgerWriteError; on error ``path``
    is left as it was.
    """
    ctx = service_context(source)
    path = Path(path)
    with files.pending_file(path) as temporary, connected(ctx):
        summary = daily_summary(ctx, day)
        workbook = Workbook(write_only=True)
        styles.register(workbook)
        DailySheet(workbook).write(ctx.station.name, summary, ctx.clock.now())
        files.save(workbook, temporary)
        with ctx.atomic():
            ctx.record(Action.EXPORT, "daily_summary", None, {"day": day.isoformat()})
            files.publish(temporary, path)
    return path
