"""GB/T 2260 administrative division codes, current and historical.

The table ships as ``forms/data/regions.csv`` (source and date in its header) and is read
once, on first use. A code that was ever valid stays known: ID numbers keep the region code
of their first issue for life, even after the county was merged or renamed.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources

_DATA_FILE = "regions.csv"
# Prefecture-level entries that only group counties ("市辖区", "省直辖县级行政单位"): left out
# of a county's full name.
_GROUPING_NAME = re.compile(r"^(市辖区|县)$|直辖.*单位$")


@dataclass(frozen=True)
class _Period:
    name: str
    first: int
    last: int


def is_known_region(code: str) -> bool:
    """True when ``code`` (6 digits) is or was a GB/T 2260 code."""
    return code in _table()


def is_known_province(prefix: str) -> bool:
    """True when the 2-digit ``prefix`` is a province-level code."""
    return f"{prefix}0000" in _table()


def region_name(code: str) -> str | None:
    """The full name of ``code`` (province, prefecture, county), latest names; None if unknown."""
    table = _table()
    if code not in table:
        return None
    parts: list[str] = []
    for prefix_code in (f"{code[:2]}0000", f"{code[:4]}00"):
        name = _latest_name(table.get(prefix_code, ()))
        if name and not _GROUPING_NAME.search(name) and name not in parts:
            parts.append(name)
    own = _latest_name(table[code])
    if own and own not in parts:
        parts.append(own)
    return "".join(parts)


def _latest_name(periods: tuple[_Period, ...]) -> str:
    if not periods:
        return ""
    return max(periods, key=lambda period: (period.last, period.first)).name


@functools.cache
def _table() -> dict[str, tuple[_Period, ...]]:
    text = resources.files("forms").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    lines = (line for line in io.StringIO(text) if not line.startswith("#"))
    table: dict[str, list[_Period]] = {}
    for row in csv.DictReader(lines):
        period = _Period(row["name"], int(row["from"] or 0), int(row["to"] or 9999))
        table.setdefault(row["code"], []).append(period)
    return {code: tuple(periods) for code, periods in table.items()}
