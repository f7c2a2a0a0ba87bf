"""The zh_CN catalog is complete, compiled, and keeps every placeholder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LC = ROOT / "assets" / "locale" / "zh_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]+(?::[^}]*)?\}")


def _source_messages() -> set[tuple[str | None, str]]:
    found = set()
    for package in ("forms", "station", "sync"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))
    return found


@pytest.fixture(scope="module")
def catalog():
    with open(LC / "station.po", "rb") as handle:
        return read_po(handle, locale="zh_CN")


def _key(message) -> tuple[str | None, str]:
    """(context, singular msgid) of a PO or MO entry (MO gives lists and bytes)."""
    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
    context = message.context
    return (context.decode() if isinstance(context, bytes) else context), msgid


def _strings(message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def test_every_source_message_is_translated(catalog) -> None:
    translated = {_key(m) for m in catalog if m.id and all(_strings(m)) and not m.fuzzy}
    missing = sorted(str(k) for k in _source_messages() - translated)
    assert not missing, f"{len(missing)} untranslated: {missing[:10]}"


def test_placeholders_survive_translation(catalog) -> None:
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = _strings(message)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, message.id


def test_compiled_catalog_matches_the_po_file(catalog) -> None:
    with open(LC / "station.mo", "rb") as handle:
        compiled = read_mo(handle)
    po = {(_key(m), _strings(m)) for m in catalog if m.id}
    mo = {(_key(m), _strings(m)) for m in compiled if m.id}
    assert po == mo, "run `make locale` to recompile station.mo"


def test_chinese_is_the_default_language() -> None:
    code = (
        "from station import i18n; i18n.setup(); "
        "from station.lifecycle import state_label, CaseState; "
        "print(i18n._('Password'), state_label(CaseState.RETURNED))"
    )
    env = {"PATH": "", "STATION_LANGUAGE": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True).stdout
    assert out.split() == ["密码", "退回补正"]
