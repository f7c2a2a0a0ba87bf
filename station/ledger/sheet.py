"""The ledger sheet: title, period, header, one row per case, totals; ready to print.

It writes into a write-only (streaming) workbook, so rows go to disk as they come and
everything that shapes the sheet (widths, panes, print set-up) is set before the first row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from forms.validators import format_id_number
from station.i18n import _
from station.ledger import styles
from station.ledger.labels import RowTexts, format_date, format_moment
from station.ledger.rows import LedgerRow
from station.lifecycle import CaseState, state_label

# Rows 1-3 are the title, the period and the header; cases start on row 4.
_HEADER_ROW = 3
# The order of the states in the totals line.
_STATE_ORDER = tuple(CaseState)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    style: str


def _columns() -> tuple[Column, ...]:
    """The ledger's columns; widths count a Chinese character as two."""
    return (
        Column(_("No."), 5, styles.CENTER),
        Column(_("Case number"), 21, styles.CODE),
        Column(_("Received on"), 14, styles.DATE),
        Column(_("Matter name"), 18, styles.TEXT),
        Column(_("Applicant"), 11, styles.CENTER),
        Column(_("ID card number"), 20, styles.CODE),
        Column(_("Contact phone"), 13, styles.CODE),
        Column(_("Case status"), 10, styles.CENTER),
        Column(_("Deferred materials"), 22, styles.TEXT),
        Column(_("Promised completion date"), 14, styles.DATE),
        Column(_("Completion date"), 14, styles.DATE),
        Column(_("Delivery date"), 14, styles.DATE),
        Column(_("Agent"), 11, styles.CENTER),
        Column(_("Evaluation"), 19, styles.TEXT),
        Column(_("Remarks"), 20, styles.TEXT),
    )


@dataclass(frozen=True)
class SheetHeading:
    """What the top of the sheet says."""

    station_name: str
    start: date
    end: date
    exported_at: datetime


class LedgerSheet:
    """Appends the ledger to ``workbook`` (a write-only one) row by row."""

    def __init__(self, workbook: Workbook, heading: SheetHeading, mask_id_numbers: bool) -> None:
        self._columns = _columns()
        self._sheet = workbook.create_sheet(_("Ledger"))
        self._mask = mask_id_numbers
        self._texts = RowTexts()
        self._number = 0
        self._written = 0
        self._states: Counter[CaseState] = Counter()
        self._shape()
        self._top(heading)

    @property
    def rows(self) -> int:
        return self._number

    def _shape(self) -> None:
        sheet = self._sheet
        for index, column in enumerate(self._columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{_HEADER_ROW + 1}"
        sheet.print_title_rows = f"1:{_HEADER_ROW}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.horizontalCentered = True
        margins = sheet.page_margins
        margins.left = margins.right = 0.4
        margins.top, margins.bottom = 0.5, 0.6
        sheet.oddFooter.center.text = _("Page &P of &N")

    def _top(self, heading: SheetHeading) -> None:
        title = _("{station} proxy service ledger").format(station=heading.station_name)
        period = _("Period: {start} to {end}    Exported: {time}").format(
            start=format_date(heading.start),
            end=format_date(heading.end),
            time=format_moment(heading.exported_at),
        )
        self._merged_line(title, styles.TITLE, height=30)
        self._merged_line(period, styles.SUBTITLE)
        self._sheet.row_dimensions[_HEADER_ROW].height = styles.row_height(2)
        self._append([column.header for column in self._columns], styles.HEADER)

    def add(self, row: LedgerRow) -> None:
        """Append one case."""
        self._number += 1
        self._states[row.state] += 1
        values = self._values(row)
        cells = [
            styles.cell(self._sheet, value, column.style)
            for value, column in zip(values, self._columns, strict=True)
        ]
        lines = max(
            styles.line_count(value, column.width)
            for value, column in zip(values, self._columns)
            if isinstance(value, str)
        )
        self._append_sized(cells, lines)

    def _append_sized(self, cells: list, lines: int) -> None:
        """Append a row as tall as its wrapped text needs.

        Every row gets its height: LibreOffice does not fit the rows of an .xlsx on opening,
        and its default height crowds CJK text. A write-only sheet reads a row's height as
        the row is written; the entry is dropped right after, so 100,000 rows do not keep
        100,000 dimension objects.
        """
        number = self._written + 1
        self._sheet.row_dimensions[number].height = styles.row_height(lines)
        self._sheet.append(cells)
        self._sheet.row_dimensions.pop(number, None)
        self._written = number

    def _values(self, row: LedgerRow) -> list:
        texts = self._texts
        id_number = format_id_number(row.id_number, mask=self._mask) if row.id_number else None
        deferrals = [texts.deferral(d.material, d.promised, d.fulfilled_on) for d in row.deferrals]
        ratings = [texts.rating(stage, level) for stage, level in row.evaluations]
        remarks = texts.remarks(row.approved, row.reason, row.promised_provisional)
        return [
            self._number,
            row.local_number,
            row.received_on,
            row.matter_name,
            row.applicant_name,
            id_number,
            row.phone,
            texts.state(row.state),
            _lines(deferrals),
            row.promised_date,
            row.completed_on,
            row.delivered_on,
            row.agent_name,
            _lines(ratings),
            _lines(remarks),
        ]

    def finish(self, prepared_by: str, on: date) -> None:
        """Append the totals line and who prepared the sheet; call once, after the rows."""
        counts = "  ".join(
            _("{state}: {n}").format(state=state_label(state), n=self._states[state])
            for state in _STATE_ORDER
            if self._states[state]
        )
        total = _("Total: {n} cases").format(n=self._number)
        self._merged_line(f"{total}  {counts}".strip(), styles.FOOTER)
        signed = _("Prepared by: {agent}    Reviewed by:            Date: {date}").format(
            agent=prepared_by, date=format_date(on)
        )
        self._merged_line(signed, styles.FOOTER)

    def _merged_line(self, text: str, style: str, height: float | None = None) -> None:
        """A line of text across every column."""
        self._sheet.row_dimensions[self._written + 1].height = height or styles.row_height(1)
        self._append([text] + [None] * (len(self._columns) - 1), style)
        last = get_column_letter(len(self._columns))
        self._sheet.merged_cells.add(f"A{self._written}:{last}{self._written}")

    def _append(self, values: list, style: str) -> None:
        self._sheet.append([styles.cell(self._sheet, value, style) for value in values])
        self._written += 1


def _lines(lines: list[str]) -> str | None:
    return "\n".join(lines) or None
