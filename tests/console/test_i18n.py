"""The console's templates are Chinese too: every message they mark is translated in the
zh_CN catalog, with its placeholders (the Python side is checked by tests/test_i18n.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sync.township.console.web import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _template_messages() -> list[str]:
    found = extract_from_dir(TEMPLATES, method_map=[("**.html", "jinja2")],
                             keywords={"_": None})
    return sorted({message for _file, _line, message, _comments, _context in found})


MESSAGES = _template_messages()


def test_the_templates_mark_their_words() -> None:
    assert {"Sign in", "Incoming cases", "Reconciliation", "Audit log"} <= set(MESSAGES)


@pytest.fixture(scope="module")
def catalog():
    with open(ROOT / "assets" / "locale" / "zh_CN" / "LC_MESSAGES" / "station.po", "rb") as po:
        return read_po(po, locale="zh_CN")


@pytest.mark.parametrize("message", MESSAGES)
def test_every_template_message_is_translated(catalog, message: str) -> None:
    entry = catalog.get(message)
    assert entry is not None and entry.string and not entry.fuzzy, "run `make locale`"
    assert set(PLACEHOLDER.findall(entry.string)) == set(PLACEHOLDER.findall(message))
