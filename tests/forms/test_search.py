"""Searching the catalog by code, name, keywords and pinyin."""

from __future__ import annotations

import functools
import itertools

import pytest

from forms.catalog import load_catalog_dir
from forms.definition import parse_matter
from forms.search import CatalogIndex, normalise_query
from tests.forms.sample import TINY_CATALOG, matter_data


@functools.cache
def index() -> CatalogIndex:
    catalog = load_catalog_dir(TINY_CATALOG)
    extra = [
        parse_matter(matter_data(code="YL-YLJZ-001", name="医疗救助申请", keywords=["大病"])),
        parse_matter(matter_data(code="CJ-ZBZ-001", name="残疾人证办理", short_name="办残疾证",
                                 category="残疾人服务")),
        parse_matter(matter_data(code="SH-SF-001", name="农村生活用水缴费",
                                 category="生活缴费", keywords=["水费", "ylbx"])),
    ]
    return CatalogIndex([*catalog.matters.values(), *extra])


def codes(query: str, limit: int = 20) -> list[str]:
    return [hit.matter.code for hit in index().search(query, limit)]


@pytest.mark.parametrize("query", ["ylbx", "yiliao", "医疗", "YLBX", " yi liao ", "居民医保",
                                   "jmyb", "cbdj", "合作医疗"])
def test_medical_insurance_enrolment_is_found(query: str) -> None:
    assert "YB-CBDJ-001" in codes(query)


@pytest.mark.parametrize(
    ("query", "first", "match", "key"),
    [
        ("YB-CBDJ-001", "YB-CBDJ-001", "exact", "code"),
        ("yb-cbdj-001", "YB-CBDJ-001", "exact", "code"),
        ("SJ-DB", "SJ-DBSQ-001", "prefix", "code"),
        ("最低生活保障申请", "SJ-DBSQ-001", "exact", "name"),
        ("低保申请", "SJ-DBSQ-001", "exact", "name"),
        ("医疗救助", "YL-YLJZ-001", "prefix", "name"),
        ("zdshbz", "SJ-DBSQ-001", "prefix", "pinyin"),
        ("gaoling", "FL-GLJT-001", "prefix", "pinyin"),
        ("jintie", "FL-GLJT-001", "substring", "pinyin"),
        ("大病", "YL-YLJZ-001", "exact", "keyword"),
        ("shuifei", "SH-SF-001", "exact", "keyword_pinyin"),
        ("ylbx", "SH-SF-001", "exact", "keyword"),
    ],
)
def test_ranking(query: str, first: str, match: str, key: str) -> None:
    hit = index().search(query)[0]
    assert (hit.matter.code, hit.match, hit.key) == (first, match, key)


def test_exact_and_prefix_rank_before_substring() -> None:
    results = codes("yl")
    assert results.index("YL-YLJZ-001") < results.index("YB-CBDJ-001")


def test_shorter_names_rank_first_among_equals() -> None:
    assert codes("医疗") == ["YL-YLJZ-001", "YB-CBDJ-001"]


def test_limit_and_blank_queries() -> None:
    assert len(codes("y", limit=2)) == 2
    assert codes("") == []
    assert codes("  ") == []
    assert codes("y", limit=0) == []
    assert codes("不存在的事项") == []


def test_results_for_each_keystroke_narrow_down() -> None:
    typed = "canbao"
    found = [set(codes(typed[:end])) for end in range(1, len(typed) + 1)]
    assert "YB-CBDJ-001" in found[-1]
    assert all(later <= earlier for earlier, later in itertools.pairwise(found))


def test_query_normalisation() -> None:
    assert normalise_query(" Xi'an ＹＢ ") == "xianyb"
    assert len(index()) == 6
