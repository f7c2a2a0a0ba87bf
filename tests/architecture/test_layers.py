"""The layer rules of DESIGN.md and STYLE.md, checked by walking every import with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("forms", "sync", "station")
GUI = {"tkinter", "ttkbootstrap", "PIL.ImageTk"}


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_layer_rules(path: Path) -> None:
    where = _rel(path)
    tops = {_top(name) for name in _imports(path)}
    names = _imports(path)
    if not where.startswith("station/ui/"):
        assert not {n for n in names if n in GUI or _top(n) in GUI}, "GUI outside station/ui"
    if not where.startswith("sync/transport"):
        assert "requests" not in tops, "requests outside the sync transport"
    if where.startswith(("forms/", "sync/")):
        assert "station" not in tops, "forms and sync never import station"
    if where.startswith("forms/"):
        assert not tops & {"sync", "assets", "peewee", "sqlcipher3", "requests"}, "forms is pure"
    if where.startswith("sync/township/"):
        assert "station" not in tops


def test_the_walk_finds_modules() -> None:
    walked = {_rel(p) for p in _modules()}
    assert {"forms/__init__.py", "station/store.py", "sync/__init__.py"} <= walked
