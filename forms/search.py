"""Searching matters as the agent types: by code, name, short name, keywords and pinyin.

Each matter gets search keys at index time: its code, name, short name and keywords, and
the full pinyin and initials of the latter three ("ylbx", "yiliao" and "医疗" all find
城乡居民基本医疗保险参保登记). A hit is ranked by how it matches (exact, then prefix,
then substring), then by which key matched (code, names, pinyin, keywords), then by where
in the key, then by the shorter name. Prefix matches come from a sorted key list by
bisection; the substring scan over all matters runs only when they do not fill the limit.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from forms.model import Matter
from forms.pinyin import to_pinyin

CODE, NAME, PINYIN, KEYWORD, KEYWORD_PINYIN = range(5)
KEY_KINDS = ("code", "name", "pinyin", "keyword", "keyword_pinyin")
EXACT, PREFIX, SUBSTRING = range(3)
_IGNORED = re.compile(r"[\s'’·]+")
_BEYOND = chr(0x10FFFF)


@dataclass(frozen=True)
class SearchHit:
    """One search result; ``match`` is "exact", "prefix" or "substring", ``key`` the key
    kind that matched (see KEY_KINDS)."""

    matter: Matter
    match: str
    key: str


@dataclass(frozen=True)
class _Entry:
    matter: Matter
    keys: tuple[tuple[int, str], ...]
    blob: str


class CatalogIndex:
    """A search index over ``matters``, built once (pinyin is computed here)."""

    def __init__(self, matters: Iterable[Matter]) -> None:
        self._entries = [_entry(matter) for matter in matters]
        pairs = sorted(
            (text, position, kind)
            for position, entry in enumerate(self._entries)
            for kind, text in entry.keys
        )
        self._keys = [text for text, _position, _kind in pairs]
        self._owners = [(position, kind) for _text, position, kind in pairs]

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """The best ``limit`` matters for ``query``; empty for a blank query."""
        needle = normalise_query(query)
        if not needle or limit <= 0:
            return []
        best = self._prefix_matches(needle)
        if len(best) < limit:
            self._substring_matches(needle, best)
        ranked = heapq.nsmallest(limit, best.items(), key=self._order)
        return [
            SearchHit(self._entries[position].matter, _MATCHES[rank[0]], KEY_KINDS[rank[1]])
            for position, rank in ranked
        ]

    def _prefix_matches(self, needle: str) -> dict[int, tuple[int, int, int]]:
        start = bisect.bisect_left(self._keys, needle)
        stop = bisect.bisect_left(self._keys, needle + _BEYOND, lo=start)
        best: dict[int, tuple[int, int, int]] = {}
        for index in range(start, stop):
            position, kind = self._owners[index]
            rank = (EXACT if self._keys[index] == needle else PREFIX, kind, 0)
            if rank < best.get(position, (SUBSTRING + 1,)):
                best[position] = rank
        return best

    def _substring_matches(self, needle: str, best: dict[int, tuple[int, int, int]]) -> None:
        for position, entry in enumerate(self._entries):
            if position in best or needle not in entry.blob:
                continue
            best[position] = min(
                (SUBSTRING, kind, text.find(needle))
                for kind, text in entry.keys
                if needle in text
            )

    def _order(self, item: tuple[int, tuple[int, int, int]]) -> tuple[object, ...]:
        position, rank = item
        matter = self._entries[position].matter
        return rank, len(matter.name), matter.code


_MATCHES = ("exact", "prefix", "substring")


def normalise_query(text: str) -> str:
    """``text`` as the index compares it: NFKC, lower case, no spaces or apostrophes."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text)).lower()


def _entry(matter: Matter) -> _Entry:
    keys: list[tuple[int, str]] = [(CODE, matter.code.lower())]
    for kind, pinyin_kind, texts in (
        (NAME, PINYIN, [matter.name, matter.short_name]),
        (KEYWORD, KEYWORD_PINYIN, list(matter.keywords)),
    ):
        for text in texts:
            if not text:
                continue
            keys.append((kind, normalise_query(text)))
            keys.extend((pinyin_kind, spelling) for spelling in to_pinyin(text) if spelling)
    unique = tuple(dict.fromkeys(keys))
    return _Entry(matter, unique, "\n".join(text for _kind, text in unique))
