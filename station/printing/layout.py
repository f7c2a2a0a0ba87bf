"""Page furniture for printed documents over fpdf2: a sheet with a title, label/value
grids, tables that wrap long Chinese text, paragraphs, signature lines and a QR code.

Text is broken into lines here (:mod:`station.printing.wrap`) with a little room to
spare, so fpdf2 only ever breaks where a line break is. Every piece of text also goes
through :meth:`Sheet.printable`, which puts a box (□) where the font has no glyph — the
agent writes such a character in by hand — and counts it: fpdf2 would drop the character
and log it, and a log line must never carry a name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import qrcode
from fpdf import FPDF
from fpdf.enums import TextMode, XPos, YPos
from fpdf.fonts import FontFace
from qrcode.constants import ERROR_CORRECT_M

from station.printing.fonts import PrintFont
from station.printing.paper import METRICS, Paper
from station.printing.wrap import wrap

FAMILY = "cjk"
PLACEHOLDER = "\u25a1"  # □
INDENT = "\u3000\u3000"  # Chinese paragraphs start two characters in
_SLACK_MM = 0.6  # room left in each line so that fpdf2 never breaks it again
_LABEL_FILL = (238, 238, 238)
_HEADING_FILL = (224, 224, 224)
_NO_GLYPH_NEEDED = frozenset("\n\r\t ")


class _Pdf(FPDF):
    """fpdf2's document with a page-number footer."""

    footer_text = ""
    footer_mm = 10.0
    footer_pt = 8.0

    def footer(self) -> None:
        self.set_y(-self.footer_mm)
        self.set_font(FAMILY, size=self.footer_pt)
        text = self.footer_text.format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(0, 4, text, align="C")


class Sheet:
    """One document being laid out on ``paper`` with ``font``."""

    def __init__(self, paper: Paper, font: PrintFont, footer: str) -> None:
        """``footer`` may hold ``{page}`` and ``{pages}`` (the page count)."""
        self.metrics = m = METRICS[Paper(paper)]
        pdf = _Pdf(orientation="portrait", unit="mm", format=m.size)
        pdf.set_margins(m.margin_x, m.margin_top, m.margin_x)
        pdf.set_auto_page_break(True, margin=m.margin_bottom)
        pdf.add_font(FAMILY, "", str(font.path), collection_font_number=font.index)
        pdf.footer_text, pdf.footer_mm, pdf.footer_pt = footer, m.margin_bottom - 6, m.small_pt
        pdf.set_creator("village-station")
        pdf.set_draw_color(0)
        pdf.add_page()
        self.pdf = pdf
        self._glyphs = pdf.fonts[FAMILY].cmap
        self.missing_glyphs = 0
        self._clear_y = 0.0

    @property
    def width(self) -> float:
        """The width between the margins."""
        return self.pdf.epw

    def printable(self, text: str) -> str:
        """``text`` with every character the font lacks replaced by □ (and counted)."""
        out = []
        for char in text:
            if char in _NO_GLYPH_NEEDED or ord(char) in self._glyphs:
                out.append(char)
            else:
                out.append(PLACEHOLDER)
                self.missing_glyphs += 1
        return "".join(out)

    def lines(self, text: str, width: float, indent: float = 0) -> list[str]:
        """``text`` made printable and broken into lines that fit ``width`` (the first
        ``indent`` less) in the current font."""
        measure = self.pdf.get_string_width
        return wrap(self.printable(text), width - _SLACK_MM, measure, indent)

    def _font(self, size: float | None = None) -> None:
        self.pdf.set_font(FAMILY, size=size or self.metrics.body_pt)

    def _block(self, keep_mm: float = 0) -> None:
        """Start a block below anything placed at the top right (the QR code), on a new
        page when less than ``keep_mm`` is left on this one."""
        pdf = self.pdf
        if pdf.get_y() < self._clear_y:
            pdf.set_y(self._clear_y)
        if keep_mm and pdf.will_page_break(keep_mm):
            pdf.add_page()

    def title(self, text: str) -> None:
        """The document's title, centred and bold (stroked: the font has no bold face)."""
        pdf, m = self.pdf, self.metrics
        self._font(m.title_pt)
        height = m.title_pt * 0.5
        pdf.text_mode, pdf.line_width = TextMode.FILL_STROKE, m.title_pt / 60
        for line in self.lines(text, self.width - 2 * m.qr_mm * bool(self._clear_y)):
            pdf.cell(0, height, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.text_mode, pdf.line_width = TextMode.FILL, 0.2
        pdf.ln(m.line_mm * 0.6)

    def note_line(self, text: str) -> None:
        """A short line at the right margin, such as the document's number."""
        pdf, m = self.pdf, self.metrics
        self._font()
        pdf.cell(0, m.line_mm, self.printable(text), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(self, text: str) -> None:
        """A section heading, kept on the page of the lines that follow it."""
        pdf, m = self.pdf, self.metrics
        self._block(keep_mm=m.line_mm * 5)
        pdf.ln(m.line_mm * 0.4)
        self._font(m.body_pt + 1.5)
        pdf.text_mode, pdf.line_width = TextMode.FILL_STROKE, 0.15
        for line in self.lines(text, self.width):
            pdf.cell(0, m.line_mm * 1.1, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.text_mode, pdf.line_width = TextMode.FILL, 0.2
        pdf.ln(m.line_mm * 0.2)

    def paragraph(self, text: str, *, indent: bool = True) -> None:
        """Running text; ``indent`` starts it two characters in, as Chinese prose does."""
        pdf, m = self.pdf, self.metrics
        self._block()
        self._font()
        lead = pdf.get_string_width(INDENT) if indent else 0
        for number, line in enumerate(self.lines(text, self.width, lead)):
            pdf.set_x(pdf.l_margin + (lead if number == 0 else 0))
            pdf.cell(0, m.line_mm, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(m.line_mm * 0.3)

    def bullets(self, items: Sequence[str]) -> None:
        """A numbered list: ``1. …`` with wrapped lines aligned after the number."""
        pdf, m = self.pdf, self.metrics
        self._block()
        self._font()
        number_width = pdf.get_string_width("00. ")
        for number, item in enumerate(items, start=1):
            for row, line in enumerate(self.lines(item, self.width - number_width)):
                pdf.cell(number_width, m.line_mm, f"{number}." if row == 0 else "")
                pdf.cell(0, m.line_mm, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, rows: Sequence[Sequence[tuple[str, str]]]) -> None:
        """A bordered grid of label/value pairs, two pairs a row; a row of one pair lets
        its value span the whole width."""
        self._block(keep_mm=self.metrics.line_mm * 3)
        self._font()
        widths = (20, 30, 20, 30)
        label = FontFace(fill_color=_LABEL_FILL)
        with self._table(widths, first_row_as_headings=False) as table:
            for pairs in rows:
                row = table.row()
                for column, (name, value) in enumerate(pairs):
                    span = 3 if len(pairs) == 1 else 1
                    row.cell(self._cell(name, widths, 2 * column), style=label)
                    row.cell(self._cell(value, widths, 2 * column + 1, span), colspan=span)
        self.pdf.ln(self.metrics.line_mm * 0.4)

    def table(
        self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        """A bordered table with a shaded heading row (repeated on each new page);
        ``widths`` are relative."""
        self._block(keep_mm=self.metrics.line_mm * 4)
        self._font()
        with self._table(widths, first_row_as_headings=True) as table:
            heading = table.row()
            for column, text in enumerate(headings):
                heading.cell(self._cell(text, widths, column), align="C")
            for cells in rows:
                row = table.row()
                for column, text in enumerate(cells):
                    row.cell(self._cell(text, widths, column))
        self.pdf.ln(self.metrics.line_mm * 0.4)

    def _cell(self, text: str, widths: Sequence[float], column: int, span: int = 1) -> str:
        share = sum(widths[column : column + span]) / sum(widths)
        return "\n".join(self.lines(text, self.width * share - 2 * self.metrics.pad_x))

    def _table(self, widths: Sequence[float], *, first_row_as_headings: bool):  # noqa: ANN202
        m = self.metrics
        return self.pdf.table(
            col_widths=tuple(widths),
            width=self.width,
            first_row_as_headings=first_row_as_headings,
            headings_style=FontFace(fill_color=_HEADING_FILL),
            text_align="LEFT",
            v_align="MIDDLE",
            line_height=m.line_mm * 0.85,
            padding=(m.pad_y, m.pad_x),
        )

    def signatures(self, lines: Sequence[str]) -> None:
        """Lines for hand-written signatures and dates, kept together on one page."""
        pdf, m = self.pdf, self.metrics
        self._block(keep_mm=m.line_mm * 2 * (len(lines) + 1))
        self._font()
        pdf.ln(m.line_mm)
        for text in lines:
            for line in self.lines(text, self.width):
                pdf.cell(0, m.line_mm * 1.4, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(m.line_mm * 0.8)

    def qr(self, payload: str, caption: str) -> None:
        """A QR code carrying ``payload`` at the top right, ``caption`` under it; the
        following blocks start below it."""
        pdf, m = self.pdf, self.metrics
        x, y = pdf.w - m.margin_x - m.qr_mm, pdf.get_y()
        pdf.image(qr_image(payload), x=x, y=y, w=m.qr_mm, h=m.qr_mm)
        self._font(m.small_pt)
        caption_mm = m.small_pt * 0.42
        pdf.set_xy(x - m.qr_mm / 2, y + m.qr_mm)
        pdf.cell(m.qr_mm * 2, caption_mm, self.printable(caption), align="C")
        pdf.set_xy(m.margin_x, y)
        self._clear_y = y + m.qr_mm + caption_mm + m.line_mm * 0.4

    def save(self, path: Path) -> int:
        """Write the PDF to ``path``; return how many characters had no glyph."""
        for font in self.pdf.fonts.values():
            missing = getattr(font, "missing_glyphs", None)
            if missing:
                self.missing_glyphs += len(missing)
                missing.clear()
        self.pdf.output(str(path))
        return self.missing_glyphs


def qr_image(payload: str):  # noqa: ANN201 - a PIL image
    """A black-on-white QR code image of ``payload`` with the standard quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(payload)
    code.make(fit=True)
    return code.make_image().get_image()
