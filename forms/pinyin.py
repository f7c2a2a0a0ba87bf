"""Pinyin spellings for search: full spelling and initials, without tones.

``pypinyin`` does the work; ``forms/data/pinyin_overrides.yaml`` corrects the readings it
gets wrong for place names (单县 shan) and, in personal names, surnames (曾 zeng, 解 xie).
Text that is not Han characters is kept, lower-cased, letters and digits only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

import yaml
from pypinyin import Style, lazy_pinyin

_HAN_RUN = re.compile("([\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af]+)")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.cache
def _overrides() -> tuple[dict[str, list[str]], dict[str, list[str]], re.Pattern[str] | None]:
    text = resources.files("forms").joinpath("data", "pinyin_overrides.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    phrases, surnames = data["phrases"], data["surnames"]
    ordered = sorted(phrases, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
    return phrases, surnames, pattern


Token = tuple[str, bool]  # (spelling, came from a Han character)


def to_pinyin(text: str, *, personal_name: bool = False) -> tuple[str, str]:
    """(full spelling, initials) of ``text``: "医疗保险" -> ("yiliaobaoxian", "ylbx").

    Letters and digits outside Han characters stay whole in both. With
    ``personal_name``, a leading surname gets its surname reading (曾 zeng).
    """
    tokens = _tokens(unicodedata.normalize("NFKC", text), personal_name)
    full = "".join(spelling for spelling, _han in tokens)
    initials = "".join(spelling[0] if han else spelling for spelling, han in tokens)
    return full, initials


def _tokens(text: str, personal_name: bool) -> list[Token]:
    _phrases, surnames, _pattern = _overrides()
    head: list[Token] = []
    if personal_name:
        surname = next((s for s in (text[:2], text[:1]) if s and s in surnames), None)
        if surname is not None:
            head, text = [(syllable, True) for syllable in surnames[surname]], text[len(surname):]
    return head + _with_phrases(text)


def _with_phrases(text: str) -> list[Token]:
    phrases, _surnames, pattern = _overrides()
    result: list[Token] = []
    position = 0
    for match in pattern.finditer(text) if pattern is not None else ():
        result += _plain(text[position:match.start()])
        result += [(syllable, True) for syllable in phrases[match.group()]]
        position = match.end()
    return result + _plain(text[position:])


def _plain(text: str) -> list[Token]:
    result: list[Token] = []
    for index, run in enumerate(_HAN_RUN.split(text)):
        if index % 2:
            result += [(syllable, True) for syllable in lazy_pinyin(run, style=Style.NORMAL)]
        else:
            result += [(token, False) for token in _NOT_ALNUM.split(run.lower()) if token]
    return result
