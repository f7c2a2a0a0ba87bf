"""Line breaking for Chinese text mixed with Latin words and numbers.

fpdf2 breaks lines at spaces only, so a Chinese sentence — which has none — after a space
jumps whole to the next line and is then cut anywhere. Here a line may break between any
two Chinese characters, Latin words and numbers stay whole (unless wider than a line), and
the usual rules of Chinese typesetting hold: no line starts with closing punctuation
(，。、）》 …) and none ends with opening punctuation (（《“ …).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

Measure = Callable[[str], float]

CLOSING = frozenset("，。、；：？！）》」』】〕〉”’…,.;:?!)]}%")
OPENING = frozenset("（《「『【〔〈“‘([{¥$")
_WIDE_EXTRA = frozenset("“”‘’…—·")
_TOKEN = re.compile(r"\s+|[^\s]")


def wrap(text: str, width: float, measure: Measure, indent: float = 0) -> list[str]:
    """``text`` broken into lines no wider than ``width`` by ``measure`` (the first line
    ``indent`` narrower); line breaks in the text are kept. A single character wider than
    a line gets a line of its own."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _wrap_paragraph(paragraph, width, measure, 0 if lines else indent)
    return lines


def _wrap_paragraph(text: str, width: float, measure: Measure, indent: float) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    for unit in units(text):
        if unit.isspace() and not current:
            continue
        if measure("".join(current) + unit) <= width - (0 if lines else indent):
            current.append(unit)
            continue
        if unit.isspace():
            lines.append("".join(current).rstrip())
            current = []
            continue
        carry = _carry(current, unit)
        if current:
            lines.append("".join(current).rstrip())
        current = carry + [unit]
        if measure("".join(current)) > width:
            *full, rest = _split_long("".join(current), width, measure)
            lines += full
            current = [rest]
    if current or not lines:
        lines.append("".join(current).rstrip())
    return lines


def _carry(current: list[str], unit: str) -> list[str]:
    """The units to move from the end of the full line to the next one, so that the next
    line does not start with closing and this one does not end with opening punctuation.
    Takes them out of ``current`` (dropping its trailing spaces); never empties it of
    more than spaces."""
    while current and current[-1].isspace():
        current.pop()
    carry: list[str] = []
    while len(current) > 1 and (carry or [unit])[0][0] in CLOSING:
        moved = current.pop()
        if not moved.isspace():
            carry.insert(0, moved)
    while len(current) > 1 and current[-1] in OPENING:
        carry.insert(0, current.pop())
    return carry


def _split_long(text: str, width: float, measure: Measure) -> list[str]:
    """``text`` cut character by character into pieces no wider than ``width``."""
    pieces: list[str] = []
    piece = ""
    for char in text:
        if piece and measure(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    pieces.append(piece)
    return pieces


def units(text: str) -> list[str]:
    """The pieces a line may break between: each wide (CJK) character, each run of
    whitespace, each run of other characters (a Latin word or a number)."""
    found: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isspace() or is_wide(token) or not found or _ends_unit(found[-1]):
            found.append(token)
        else:
            found[-1] += token
    return found


def _ends_unit(previous: str) -> bool:
    return previous.isspace() or is_wide(previous[-1])


def is_wide(char: str) -> bool:
    """True for characters set on the square grid of CJK text."""
    return unicodedata.east_asian_width(char) in ("W", "F") or char in _WIDE_EXTRA
