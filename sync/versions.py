"""App version numbers as releases carry them: ``"1.2.10"`` compares as ``(1, 2, 10)``."""

from __future__ import annotations

import re

_VERSION = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6}){0,3}")


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.2.10"`` as ``(1, 2, 10)``. Raises ValueError for anything else."""
    if not isinstance(text, str) or not _VERSION.fullmatch(text):
        raise ValueError("a version is 1 to 4 dot-separated numbers")
    return tuple(int(part) for part in text.split("."))
