"""Loading matter definitions: schema errors and semantic checks name file, matter, field."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from forms.definition import check_matter, load_matter, parse_matter
from forms.errors import DefinitionError
from tests.forms.sample import choice, field, matter_data, write_yaml


def _problems(data: dict[str, Any]) -> list[DefinitionError]:
    matter, problems = check_matter(data, source="matters/TEST-001.yaml")
    assert matter is None
    return problems


def test_valid_definition_builds_a_frozen_matter() -> None:
    data = matter_data(
        [field("applicant_name", "name", required=True), choice("kind", "a", "b")],
        short_name="居民医保",
        keywords=["医保"],
        fees={"free": False, "items": [{"name": "工本费", "amount": "10.00", "basis": "《标准》"}]},
    )
    matter = parse_matter(data, source="x.yaml")
    assert matter.code == "TEST-001"
    assert matter.field("kind").choice_values == {"a", "b"}
    assert matter.fees.items[0].amount == Decimal("10.00")
    assert matter.source == "x.yaml"
    with pytest.raises(AttributeError):
        matter.name = "changed"  # type: ignore[misc]


def test_the_callers_data_is_not_modified() -> None:
    data = matter_data([field("birth", "date", default=datetime.date(2000, 1, 1))])
    before = copy.deepcopy(data)
    matter = parse_matter(data)
    assert data == before
    assert matter.data["fields"][0]["default"] == "2000-01-01"
    assert matter.field("birth").default == datetime.date(2000, 1, 1)


@pytest.mark.parametrize(
    ("change", "field_id", "fragment"),
    [
        ({"code": "bad code"}, None, "code: 'bad code' does not match"),
        ({"category": "火星事务"}, None, "category: '火星事务' is not allowed"),
        ({"format": 2}, None, "format: Must be 1"),
        ({"extra": 1}, None, "Unknown key 'extra'"),
        ({"fields": [{"id": "age", "type": "integr", "label": "年龄"}]}, "age", "type: 'integr'"),
        ({"fields": [{"id": "age", "type": "integer"}]}, "age", "Missing required key 'label'"),
        ({"fields": [{"id": "Age", "type": "integer", "label": "x"}]}, "Age", "id: 'Age' does not"),
        (
            {"fields": [field("members", "group", fields=[field("name", "name", required=1)])]},
            "name",
            "required: Must be true or false / text, not 1",
        ),
        (
            {"materials": [{"code": "id_card", "name": "身份证", "form": "scan", "copies": 1,
                            "deferrable": False}]},
            None,
            "materials[id_card].form",
        ),
        ({"time_limits": {"promised_days": 5}}, None, "Missing required key 'statutory_days'"),
        ({"delivery": {"methods": []}}, None, "delivery.methods: Needs at least 1 item"),
        ({"keywords": ["医保", 4050]}, None, "keywords[1]: Must be text, not 4050"),
    ],
)
def test_schema_errors_name_file_matter_and_field(
    change: dict[str, Any], field_id: str | None, fragment: str
) -> None:
    problems = _problems(matter_data(**change))
    assert problems, "expected a problem"
    first = problems[0]
    assert first.file == "matters/TEST-001.yaml"
    assert first.field == field_id
    assert fragment in first.message
    assert "matters/TEST-001.yaml" in str(first)
    if field_id:
        assert f"field={field_id}" in str(first)


def test_schema_reports_every_problem_not_just_the_first() -> None:
    data = matter_data([field("a", "integr"), field("b", "text", hint="")], guide=3)
    problems = _problems(data)
    assert {(p.field, p.message.split(":")[0]) for p in problems} >= {
        ("a", "type"), ("b", "hint"), (None, "guide")
    }


def test_extension_keys_are_allowed() -> None:
    data = matter_data([field("a", "text", **{"x-source": "省清单"})], **{"x-reviewed": True})
    assert parse_matter(data).field("a").label == "a"


@pytest.mark.parametrize(
    ("fields", "changes", "field_id", "fragment"),
    [
        ([field("a"), field("a")], {}, "a", "used twice"),
        ([field("g", "group", fields=[field("a")]), field("a")], {}, "a", "used twice"),
        ([field("value")], {}, "value", "reserved word"),
        ([field("count", "integer")], {}, "count", "reserved word"),
        ([field("lambda")], {}, "lambda", "reserved word"),
        ([field("kind", "choice")], {}, "kind", "needs choices"),
        ([field("kind", "text", choices=[{"value": "a", "label": "A"}])], {}, "kind",
         "Only choice fields"),
        ([choice("kind", "a", "a")], {}, "kind", "listed twice"),
        ([field("a", "integer", constraint="value > 0")], {}, "a", "constraint_message"),
        ([field("a", "integer", constraint_message="x")], {}, "a", "constraint_message"),
        ([field("g", "group")], {}, "g", "needs fields"),
        ([field("a", "text", min_items=1)], {}, "a", "Only groups"),
        ([field("g", "group", fields=[field("a")], min_items=3, max_items=2)], {}, "g",
         "min_items is larger"),
        ([field("a", "integer", default="abc")], {}, "a", "default:"),
        ([choice("kind", "a", default="b")], {}, "kind", "default:"),
        ([field("a", "integer", calculate="1", default=2)], {}, "a", "calculated field"),
        ([field("a", "integer", relevant="b > 1")], {}, "a", "relevant: Unknown field 'b'"),
        ([field("a", "integer", calculate="a + 1")], {}, "a", "Circular definition: a -> a"),
        (
            [field("a", "integer", calculate="b"), field("b", "integer", relevant="a > 1")],
            {},
            "a",
            "Circular definition: a -> b -> a",
        ),
        ([], {"time_limits": {"statutory_days": 5, "promised_days": 10}}, None,
         "exceeds statutory_days"),
        ([], {"fees": {"free": False}}, None, "lists its fee items"),
        ([], {"fees": {"free": True, "items": [{"name": "费", "amount": "1", "basis": "b"}]}},
         None, "no fee items"),
        ([], {"materials": [{"code": "c", "name": "复印件", "form": "copy", "copies": 0,
                             "deferrable": False}]}, None, "at least one copy"),
        ([], {"materials": [{"code": "c", "name": "n", "form": "original", "copies": 1,
                             "deferrable": False}] * 2}, None, "code is used twice"),
        ([], {"materials": [{"code": "c", "name": "n", "form": "original", "copies": 1,
                             "deferrable": False, "relevant": "nope"}]}, None,
         "materials[c].relevant: Unknown field 'nope'"),
    ],
)
def test_semantic_errors_name_the_field(
    fields: list[dict[str, Any]], changes: dict[str, Any], field_id: str | None, fragment: str
) -> None:
    problems = _problems(matter_data(fields, **changes))
    assert any(p.field == field_id and fragment in p.message for p in problems), problems
    assert all(p.matter == "TEST-001" and p.file == "matters/TEST-001.yaml" for p in problems)


def test_promised_equal_to_statutory_is_fine_and_statutory_may_be_null() -> None:
    for limits in ({"statutory_days": 5, "promised_days": 5},
                   {"statutory_days": None, "promised_days": 30}):
        assert parse_matter(matter_data(time_limits=limits)).time_limits.promised_days in (5, 30)


def test_parse_raises_the_first_problem() -> None:
    with pytest.raises(DefinitionError, match="Unknown field 'nope'") as caught:
        parse_matter(matter_data([field("a", relevant="nope")]), source="m.yaml")
    error = caught.value
    assert (error.file, error.matter, error.field) == ("m.yaml", "TEST-001", "a")


def test_evaluation_order_puts_dependencies_first() -> None:
    matter = parse_matter(matter_data([
        field("total", "integer", calculate="a + b"),
        field("a", "integer", relevant="flag"),
        field("b", "integer"),
        field("flag", "yes_no"),
    ]))
    order = matter.order
    assert order.index("flag") < order.index("a") < order.index("total")
    assert order.index("b") < order.index("total")


def test_load_matter_reads_yaml_dates_and_checks_the_file_name(tmp_path: Path) -> None:
    data = matter_data([field("birth", "date")])
    path = write_yaml(tmp_path / "TEST-001.yaml", data)
    path.write_text(path.read_text("utf-8") + "x-published: 2026-11-01\n", "utf-8")
    assert load_matter(path).data["x-published"] == "2026-11-01"
    wrong = write_yaml(tmp_path / "OTHER-001.yaml", data)
    with pytest.raises(DefinitionError, match=r"TEST-001\.yaml") as caught:
        load_matter(wrong)
    assert caught.value.file == str(wrong)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"code: [unclosed\n", "not valid YAML"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"- a list\n", "Must be a mapping"),
    ],
)
def test_unreadable_files_are_definition_errors(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "TEST-001.yaml"
    path.write_bytes(content)
    with pytest.raises(DefinitionError, match=fragment) as caught:
        load_matter(path)
    assert caught.value.file == str(path)


def test_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="Cannot read the file"):
        load_matter(tmp_path / "NOPE-001.yaml")
