"""The run-time shapes shared by the expression compiler and its function builders."""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Run = Callable[["Env"], Any]


class Env:
    """What an expression sees when it runs: the scope chain, ``value`` and today's date.

    ``scopes[0]`` holds the matter's top-level values, ``scopes[d]`` the current row of the
    group at depth ``d``.
    """

    __slots__ = ("scopes", "today", "value")

    def __init__(self, scopes: list[dict[str, Any]], today: datetime.date, value: Any = None):
        self.scopes = scopes
        self.today = today
        self.value = value


@dataclass
class Compiled:
    """One compiled node: its closure, static kind, and the constant value if it is one."""

    run: Run
    kind: str
    node: ast.AST
    constant: Any = None
    is_constant: bool = False


def constant(value: Any, kind: str, node: ast.AST) -> Compiled:
    """A compiled constant."""
    return Compiled(lambda env: value, kind, node, value, True)
