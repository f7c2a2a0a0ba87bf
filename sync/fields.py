"""Checks for the fields of protocol messages; each raises MalformedError naming the field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sync.errors import MalformedError

HEX64 = re.compile(r"[0-9a-f]{64}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STATION = re.compile(r"[A-Za-z0-9_-]{1,64}")


def match(value: Any, pattern: re.Pattern[str], name: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise MalformedError(f"bad {name}")
    return value


def positive(value: Any, name: str, zero: bool = False) -> int:
    if type(value) is not int or value < (0 if zero else 1):
        raise MalformedError(f"bad {name}")
    return value


def choice(value: Any, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise MalformedError(f"bad {name}")
    return value


def text(value: Any, name: str, optional: bool = False) -> str | None:
    if optional and value is None:
        return None
    if not isinstance(value, str) or not value:
        raise MalformedError(f"bad {name}")
    return value


def exact(body: dict[str, Any], names: set[str], what: str) -> dict[str, Any]:
    """``body`` when it has exactly the fields ``names`` (plus ``_type`` and ``v``)."""
    if set(body) != names | {"_type", "v"}:
        raise MalformedError(f"{what} fields")
    return body
