"""docs/forms.md stays true: its example loads, and it documents every type and function."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import yaml

import forms
from forms.calls import FUNCTION_NAMES
from forms.definition import parse_matter
from forms.model import FIELD_TYPES
from tests.forms.sample import VALID_ID

DOC = (Path(__file__).parents[2] / "docs" / "forms.md").read_text("utf-8")


def _example() -> str:
    section = DOC.split("## 5. A complete example", 1)[1]
    found = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_the_complete_example_loads_and_evaluates() -> None:
    matter = parse_matter(yaml.safe_load(_example()), source="docs/forms.md")
    answers = {
        "applicant_name": "张三", "applicant_id": VALID_ID, "phone": "13800138000",
        "household_type": "dibao", "dibao_number": "DB-2026-001",
        "members": [{"member_name": "张小明", "member_id": "110105201201010015",
                     "school": "东村小学"}],
        "paid": "760.00",
    }
    result = forms.evaluate(matter, answers, today=datetime.date(2026, 11, 23))
    assert result.ok, result.errors
    assert result.values["premium"] == "760.00"
    assert [m.code for m in result.materials] == ["id_card", "hukou", "dibao_cert"]


def test_every_field_type_and_function_is_documented() -> None:
    for field_type in FIELD_TYPES:
        assert f"`{field_type}`" in DOC, field_type
    for name in FUNCTION_NAMES:
        assert f"`{name}(" in DOC, name


def test_the_check_command_is_documented() -> None:
    assert "python -m forms check" in DOC
