"""Benchmark of the forms engine: catalog load, search per keystroke, form evaluation.

Generates a synthetic catalog of 2,000 matters with realistic Chinese names in a temporary
directory, then measures:

- loading it from YAML files and from a signed release, and building the search index;
- search latency per keystroke while typing a few queries character by character
  (target p95 < 5 ms), against a plain substring scan of the names measured alongside;
- evaluating a 60-field form with 10 relevance rules (target median < 2 ms), against a
  JSON round trip of the same answers measured alongside.

Run: ``.venv/bin/python bench/forms.py`` (``--matters N`` for another size).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This script is named like the package it measures: keep its own folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import yaml  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

import forms  # noqa: E402
from forms.catalog import load_catalog_dir  # noqa: E402
from forms.definition import parse_matter  # noqa: E402
from forms.release import build_release, load_release  # noqa: E402
from forms.search import CatalogIndex  # noqa: E402

SUBJECTS = [
    "城乡居民", "农村", "残疾人", "退役军人", "计划生育家庭", "高龄老人", "困难群众", "低保对象",
    "特困人员", "留守儿童", "失业人员", "个体工商户", "农民专业合作社", "种粮农民", "脱贫户",
    "独生子女", "孤儿", "事实无人抚养儿童", "重度残疾人", "优抚对象", "灵活就业人员", "在校学生",
    "新生儿", "育龄妇女", "返乡创业人员", "农村五保户", "失地农民", "建档立卡户", "退休人员",
    "外出务工人员",
]
OBJECTS = [
    "基本医疗保险", "基本养老保险", "最低生活保障", "临时救助", "护理补贴", "生活补贴",
    "耕地地力保护补贴", "宅基地", "农机购置补贴", "就业登记", "创业担保贷款", "残疾人证",
    "居住证", "户口", "医疗救助", "优待证", "高龄津贴", "奖励扶助金", "特别扶助金", "殡葬补贴",
    "大病保险", "门诊慢特病", "危房改造补助", "水费", "电费", "燃气费", "有线电视费",
    "职业技能培训补贴", "社会保障卡", "独生子女父母光荣证",
]
ACTIONS = [
    "参保登记", "申请", "变更", "注销", "资格认定", "发放", "审批", "年审", "补办", "换领",
    "迁移", "待遇领取", "缴费", "转移接续", "备案", "证明开具", "信息查询", "停保", "续保",
    "资格复核",
]
CATEGORIES = [
    "劳动就业", "社会救助", "计划生育", "农村宅基地", "社会福利", "养老保险", "医疗保障",
    "农业补贴", "户籍办理", "残疾人服务", "退役军人服务", "生活缴费",
]
QUERIES = ["ylbx", "yiliao", "医疗", "低保", "canbao", "YB-00", "残疾人证", "zxdj", "gaoling"]
TODAY = datetime.date(2026, 11, 23)
RULES = ("is_disabled and age(applicant_id) >= 16", "household_type == 'dibao'")


def matter_names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct matter names: subject + object + action."""
    names = [s + o + a for s, o, a in itertools.product(SUBJECTS, OBJECTS, ACTIONS)]
    rng.shuffle(names)
    return names[:count]


def small_matter(code: str, name: str, category: str, rng: random.Random) -> dict[str, Any]:
    """A plausible matter definition with a handful of fields and materials."""
    return {
        "format": 1, "code": code, "name": name, "short_name": name[-8:],
        "category": category, "type": "公共服务", "department": "县人力资源和社会保障局",
        "handling_level": "县级", "station_role": "代办",
        "legal_basis": ["《中华人民共和国社会保险法》第二十三条"], "conditions": ["本县户籍居民"],
        "keywords": rng.sample(["补贴", "救助", "登记", "证明", "参保", "待遇"], 2),
        "materials": [
            {"code": "id_card", "name": "居民身份证", "form": "original", "copies": 0,
             "deferrable": False},
            {"code": "hukou", "name": "户口簿", "form": "copy", "copies": 1,
             "deferrable": rng.random() < 0.3},
        ],
        "fields": [
            {"id": "applicant_name", "type": "name", "label": "申请人姓名", "required": True},
            {"id": "applicant_id", "type": "id_number", "label": "身份证号", "required": True},
            {"id": "phone", "type": "phone", "label": "联系电话"},
        ],
        "process": [{"name": "申请", "actor": "村代办员", "description": "代为提交"}],
        "time_limits": {"statutory_days": 20, "promised_days": 5},
        "fees": {"free": True}, "delivery": {"methods": ["窗口领取"]},
        "guide": "请携带身份证原件。",
    }


def write_catalog(root: Path, count: int, rng: random.Random) -> None:
    """Write a catalog directory of ``count`` matters under ``root``."""
    (root / "matters").mkdir(parents=True)
    header = {"format": 1, "id": "bench-county", "title": "基准县事项目录", "version": 1,
              "published": "2026-11-01"}
    (root / "catalog.yaml").write_text(yaml.safe_dump(header, allow_unicode=True), "utf-8")
    for number, name in enumerate(matter_names(count, rng)):
        category = CATEGORIES[number % len(CATEGORIES)]
        code = f"YB-{number:04d}" if category == "医疗保障" else f"SX-{number:04d}"
        data = small_matter(code, name, category, rng)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (root / "matters" / f"{code}.yaml").write_text(text, "utf-8")


def big_form() -> dict[str, Any]:
    """A 60-field matter: 50 top-level fields and a 10-field group, 10 relevance rules."""
    fields: list[dict[str, Any]] = [
        {"id": "household_type", "type": "choice", "label": "户类型", "choices": [
            {"value": "normal", "label": "一般户"}, {"value": "dibao", "label": "低保户"},
        ]},
        {"id": "applicant_id", "type": "id_number", "label": "身份证号", "required": True},
        {"id": "is_disabled", "type": "yes_no", "label": "是否残疾"},
    ]
    for number in range(37):
        field: dict[str, Any] = {"id": f"item_{number}", "type": "integer", "label": "项目"}
        if number < 10:
            field["relevant"] = RULES[number % 2]
        if number % 5 == 0:
            field["constraint"] = "value >= 0"
            field["constraint_message"] = "不能为负"
        fields.append(field)
    fields += [{"id": f"note_{n}", "type": "text", "label": f"说明{n}"} for n in range(8)]
    members = [
        {"id": "member_name", "type": "name", "label": "姓名", "required": True},
        {"id": "income", "type": "money", "label": "年收入"},
        *({"id": f"member_{n}", "type": "text", "label": f"信息{n}"} for n in range(8)),
    ]
    fields.append(
        {"id": "members", "type": "group", "label": "家庭成员", "max_items": 20, "fields": members}
    )
    fields.append({"id": "total_income", "type": "money", "label": "家庭总收入",
                   "calculate": "sum(members.income)"})
    data = small_matter("BIG-FORM-001", "大表单基准事项", "社会救助", random.Random(1))
    data["fields"] = fields
    return data


def big_answers() -> dict[str, Any]:
    """Answers filling most of :func:`big_form`, with three household members."""
    answers: dict[str, Any] = {
        "household_type": "dibao", "applicant_id": "11010519491231002X", "is_disabled": True,
    }
    answers.update({f"item_{n}": n for n in range(37)})
    answers.update({f"note_{n}": "情况说明" for n in range(8)})
    answers["members"] = [
        {"member_name": name, "income": "12000.00", **{f"member_{n}": "无" for n in range(8)}}
        for name in ("张三", "李四", "王五")
    ]
    return answers


def timed(action: Callable[[], Any]) -> float:
    """Seconds one call of ``action`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def keystrokes() -> list[str]:
    """Every prefix of every query, as typed."""
    return [query[:end] for query in QUERIES for end in range(1, len(query) + 1)]


def bench_search(index: CatalogIndex, names: list[tuple[str, Any]], rounds: int) -> None:
    """Print per-keystroke search latency against a plain scan of the names."""
    ours, plain = [], []
    for _ in range(rounds):
        for typed in keystrokes():
            ours.append(timed(lambda typed=typed: index.search(typed, 20)))
            plain.append(timed(lambda typed=typed: [m for n, m in names if typed in n][:20]))
    for label, samples in (("search", ours), ("plain name scan (baseline)", plain)):
        print(f"  {label:28s} p50 {percentile(samples, .5) * 1e3:7.3f} ms"
              f"   p95 {percentile(samples, .95) * 1e3:7.3f} ms   ({len(samples)} keystrokes)")
    ratio = percentile(ours, .95) / percentile(plain, .95)
    print(f"  search / baseline at p95: {ratio:.1f}x   (target p95 < 5 ms)")


def bench_evaluation(repeats: int) -> None:
    """Print the median evaluation time of the 60-field form against a JSON round trip."""
    matter = parse_matter(big_form(), source="bench")
    answers = big_answers()
    result = forms.evaluate(matter, answers, today=TODAY)
    assert result.ok, result.errors
    ours = [timed(lambda: forms.evaluate(matter, answers, today=TODAY)) for _ in range(repeats)]
    plain = [timed(lambda: json.loads(json.dumps(answers))) for _ in range(repeats)]
    fields = len(list(matter.all_fields()))
    median, baseline = statistics.median(ours), statistics.median(plain)
    print(f"  evaluate ({fields} fields, 10 relevance rules)  median {median * 1e3:.3f} ms"
          f"   p95 {percentile(ours, .95) * 1e3:.3f} ms   (target median < 2 ms)")
    print(f"  JSON round trip of the answers (baseline)  median {baseline * 1e3:.3f} ms")
    print(f"  evaluate / baseline: {median / baseline:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matters", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the keystrokes")
    parser.add_argument("--repeats", type=int, default=500, help="form evaluations timed")
    arguments = parser.parse_args()
    rng = random.Random(20261123)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "catalog"
        write_catalog(root, arguments.matters, rng)
        print(f"Catalog of {arguments.matters} matters")
        start = time.perf_counter()
        catalog = load_catalog_dir(root)
        loaded = time.perf_counter() - start
    key = Ed25519PrivateKey.generate()
    release = build_release(catalog, key)
    from_release = timed(lambda: load_release(release, key.public_key()))
    start = time.perf_counter()
    index = CatalogIndex(catalog.matters.values())
    indexed = time.perf_counter() - start
    print(f"  load from YAML files  {loaded * 1e3:8.1f} ms")
    print(f"  load from signed release ({len(release) / 1e6:.1f} MB)  {from_release * 1e3:8.1f} ms")
    print(f"  build search index    {indexed * 1e3:8.1f} ms")
    print("Search per keystroke: " + ", ".join(QUERIES))
    names = [(matter.name, matter) for matter in catalog.matters.values()]
    bench_search(index, names, arguments.rounds)
    print("Form evaluation")
    bench_evaluation(arguments.repeats)


if __name__ == "__main__":
    main()
