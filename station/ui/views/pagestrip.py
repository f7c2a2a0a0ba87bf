"""A row of page thumbnails, the chosen one framed (the materials step's page strip)."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.materials import THUMBNAIL_SIZE, PageRow


class PageStrip(tk.Canvas):
    """The pages of one material as thumbnails in a row; the chosen one is framed."""

    PAD = 8
    GAP = 14

    def __init__(self, master: tk.Misc, thumb: tuple[int, int] = THUMBNAIL_SIZE) -> None:
        self._thumb = thumb
        self._font = tkfont.nametofont("TkDefaultFont")
        self._text_height = self._font.metrics("linespace")
        self._colors = tb.Style().colors
        height = thumb[1] + self._text_height + 3 * self.PAD
        super().__init__(master, height=height, background=self._colors.bg, takefocus=True,
                         highlightthickness=2, highlightcolor=self._colors.primary,
                         highlightbackground=self._colors.border, borderwidth=0)
        self.uuids: list[str] = []
        self.cell = thumb[0] + self.GAP

    def show(self, pages: list[PageRow], chosen: str | None,
             images: dict[str, tk.PhotoImage | None], empty: str) -> None:
        """Draw ``pages``; an image missing from ``images`` is still coming, None failed."""
        self.delete("all")
        self.uuids = [page.uuid for page in pages]
        if not pages:
            self.create_text(self.PAD * 2, int(self.cget("height")) // 2, anchor="w", text=empty,
                             fill=self._colors.secondary, font=self._font)
        for index, page in enumerate(pages):
            self._draw(index, page, page.uuid == chosen, images)
        self.configure(scrollregion=(0, 0, self.PAD * 2 + len(pages) * self.cell,
                                     int(self.cget("height"))))
        if chosen in self.uuids:
            self._reveal(self.uuids.index(chosen))

    def _draw(self, index: int, page: PageRow, chosen: bool,
              images: dict[str, tk.PhotoImage | None]) -> None:
        (width, height), colors = self._thumb, self._colors
        left, top = self.PAD + index * self.cell, self.PAD
        middle = (left + width // 2, top + height // 2)
        self.create_rectangle(left - 4, top - 4, left + width + 4, top + height + 4,
                              outline=colors.primary if chosen else colors.border,
                              width=4 if chosen else 1)
        image = images.get(page.uuid, "…")
        if isinstance(image, tk.PhotoImage):
            self.create_image(*middle, image=image)
        else:
            self.create_text(*middle, text=image or _("No preview"), width=width,
                             font=self._font, fill=colors.secondary, justify="center")
        self.create_text(middle[0], top + height + self.PAD + 2, anchor="n", text=page.label,
                         font=self._font, fill=colors.primary if chosen else colors.fg)

    def index_at(self, x: int) -> int | None:
        """The page under the window position ``x``, or None."""
        offset = self.canvasx(x) - self.PAD
        index = int(offset // self.cell)
        return index if offset >= 0 and index < len(self.uuids) else None

    def _reveal(self, index: int) -> None:
        total = self.PAD * 2 + len(self.uuids) * self.cell
        first, last = self.xview()
        left, right = index * self.cell / total, ((index + 1) * self.cell + self.PAD) / total
        if left < first:
            self.xview_moveto(left)
        elif right > last:
            self.xview_moveto(first + right - last)
