"""Paper sizes for printing and the sizes of type and margins on each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Paper(StrEnum):
    A4 = "A4"
    A5 = "A5"


@dataclass(frozen=True)
class Metrics:
    """Sizes in millimetres and points for one paper size."""

    size: tuple[float, float]
    margin_x: float
    margin_top: float
    margin_bottom: float
    body_pt: float
    title_pt: float
    small_pt: float
    line_mm: float
    qr_mm: float

    @property
    def pad_x(self) -> float:
        return self.line_mm * 0.3

    @property
    def pad_y(self) -> float:
        return self.line_mm * 0.2


METRICS = {
    # Office printers leave 4-6 mm unprinted at each edge; these margins sit well inside.
    Paper.A4: Metrics((210, 297), 20, 16, 18, 10.5, 20, 8.5, 6.2, 28),
    Paper.A5: Metrics((148, 210), 12, 10, 13, 8.5, 15, 7, 5.0, 22),
}
