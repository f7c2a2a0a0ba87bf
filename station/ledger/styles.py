"""Cell styles of the ledger sheets, registered once per workbook as named styles.

宋体 is what Chinese offices expect in a 台账 (and what Excel and WPS have); LibreOffice on
Linux substitutes a CJK font. Text cells are written as text, never as formulas or numbers.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from station.ledger.labels import date_number_format

FONT = "宋体"
TITLE, SUBTITLE, SECTION = "ledger-title", "ledger-subtitle", "ledger-section"
HEADER, FOOTER, TEXT = "ledger-header", "ledger-footer", "ledger-text"
CENTER, DATE, CODE, NUMBER = "ledger-center", "ledger-date", "ledger-code", "ledger-number"

# Points per line of 10-point CJK text (CJK fonts set lines wide apart), and a cell's padding.
_LINE_HEIGHT = 14
_ROW_PADDING = 6

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_MIDDLE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def register(workbook: Workbook) -> None:
    """Add the ledger's named styles to ``workbook``."""
    body = Font(name=FONT, size=10)
    styles = [
        NamedStyle(TITLE, font=Font(name=FONT, size=16, bold=True), alignment=_MIDDLE),
        NamedStyle(
            SUBTITLE, font=body, alignment=Alignment(horizontal="right", vertical="center")
        ),
        NamedStyle(
            SECTION,
            font=Font(name=FONT, size=11, bold=True),
            alignment=Alignment(horizontal="left", vertical="center"),
        ),
        NamedStyle(
            HEADER,
            font=Font(name=FONT, size=10, bold=True),
            alignment=_MIDDLE,
            border=_BOX,
            fill=PatternFill("solid", fgColor="D9E1F2"),
        ),
        NamedStyle(
            FOOTER,
            font=body,
            alignment=Alignment(horizontal="left", vertical="center", wrap_text=True),
        ),
        NamedStyle(
            TEXT,
            font=body,
            border=_BOX,
            alignment=Alignment(horizontal="left", vertical="center", wrap_text=True),
        ),
        NamedStyle(CENTER, font=body, border=_BOX, alignment=_MIDDLE),
        NamedStyle(
            DATE, font=body, border=_BOX, alignment=_MIDDLE, number_format=date_number_format()
        ),
        NamedStyle(CODE, font=body, border=_BOX, alignment=_MIDDLE, number_format="@"),
        NamedStyle(NUMBER, font=body, border=_BOX, alignment=_MIDDLE, number_format="0"),
    ]
    for style in styles:
        workbook.add_named_style(style)


def cell(sheet: WriteOnlyWorksheet, value: str | int | date | None, style: str) -> Cell:
    """A styled cell; text stays text (a leading ``=`` is not a formula)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    written = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        written.data_type = "s"
    written.style = style
    return written


def display_width(text: str) -> int:
    """Width in Excel's column units: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def line_count(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` units wide."""
    usable = max(width, 1)
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in text.split("\n"))


def row_height(lines: int) -> float:
    """The height in points of a row whose tallest cell holds ``lines`` lines."""
    return _LINE_HEIGHT * max(lines, 1) + _ROW_PADDING
