"""forms.evaluate: relevance, required, types, constraints, calculations, overrides."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

import forms
from forms.definition import parse_matter
from forms.model import Matter
from tests.forms.sample import (
    BAD_CHECK_CREDIT_CODE,
    VALID_CREDIT_CODE,
    VALID_ID,
    choice,
    field,
    matter_data,
)

TODAY = datetime.date(2026, 11, 23)

HOUSEHOLD = parse_matter(
    matter_data(
        [
            field("applicant_name", "name", required=True),
            field("applicant_id", "id_number", required=True,
                  constraint="age(value) >= 16", constraint_message="申请人须年满16周岁"),
            choice("household_type", "normal", "dibao", required=True),
            field("dibao_number", "text", relevant="household_type == 'dibao'", required=True),
            field("is_disabled", "yes_no"),
            field("disability_note", "long_text", required="is_disabled"),
            field("members", "group", min_items=1, max_items=3, fields=[
                field("member_name", "name", required=True),
                field("income", "money", constraint="value <= 100000",
                      constraint_message="年收入超出范围"),
                field("school", "text", relevant="income == 0"),
            ]),
            field("member_count", "integer", calculate="count(members)"),
            field("total_income", "money", calculate="sum(members.income)"),
            field("average_income", "money", calculate="total_income / member_count"),
            field("needs_review", "yes_no", calculate="total_income > 30000"),
            field("start", "date", default="2026-12-01"),
        ],
        materials=[
            {"code": "id_card", "name": "居民身份证", "form": "original", "copies": 0,
             "deferrable": False},
            {"code": "dibao_cert", "name": "低保证", "form": "copy", "copies": 1,
             "deferrable": True, "relevant": "household_type == 'dibao'"},
            {"code": "income_proof", "name": "收入证明", "form": "original", "copies": 1,
             "deferrable": True, "relevant": "total_income > 30000"},
        ],
    )
)

GOOD: dict[str, Any] = {
    "applicant_name": "张三",
    "applicant_id": VALID_ID.lower(),
    "household_type": "normal",
    "members": [
        {"member_name": "张三", "income": "12000"},
        {"member_name": "李四", "income": "6000.5"},
    ],
}


def evaluate(
    answers: dict[str, Any], matter: Matter = HOUSEHOLD, **options: Any
) -> forms.Evaluation:
    return forms.evaluate(matter, answers, today=TODAY, **options)


def codes(result: forms.Evaluation) -> dict[str, str]:
    return {issue.path: issue.code for issue in result.errors}


def test_good_answers_are_ok_and_normalised() -> None:
    result = evaluate(GOOD)
    assert result.ok, result.errors
    assert result.values == {
        "applicant_name": "张三",
        "applicant_id": VALID_ID,
        "household_type": "normal",
        "members": [
            {"member_name": "张三", "income": "12000.00"},
            {"member_name": "李四", "income": "6000.50"},
        ],
        "member_count": 2,
        "total_income": "18000.50",
        "average_income": "9000.25",
        "needs_review": False,
        "start": "2026-12-01",
    }


def test_visible_and_required_paths_name_group_rows() -> None:
    result = evaluate(GOOD)
    shown = {"members", "members[0].member_name", "members[1].income", "member_count"}
    assert shown <= result.visible
    assert "dibao_number" not in result.visible
    assert "members[0].school" not in result.visible
    assert result.required == {
        "applicant_name", "applicant_id", "household_type",
        "members[0].member_name", "members[1].member_name",
    }


def test_relevance_shows_fields_and_makes_them_required() -> None:
    result = evaluate({**GOOD, "household_type": "dibao"})
    assert "dibao_number" in result.visible
    assert codes(result) == {"dibao_number": "required"}


def test_hidden_fields_are_not_validated_and_their_values_dropped() -> None:
    result = evaluate({**GOOD, "dibao_number": 12345})
    assert result.ok
    assert "dibao_number" not in result.values


def test_relevance_inside_a_row_uses_the_rows_values() -> None:
    answers = {**GOOD, "members": [{"member_name": "王五", "income": "0", "school": "东村小学"},
                                   {"member_name": "赵六", "income": "5", "school": "ignored"}]}
    result = evaluate(answers)
    assert "members[0].school" in result.visible
    assert "members[1].school" not in result.visible
    assert result.values["members"][0]["school"] == "东村小学"
    assert "school" not in result.values["members"][1]


def test_required_expression() -> None:
    assert "disability_note" in evaluate({**GOOD, "is_disabled": True}).required
    assert codes(evaluate({**GOOD, "is_disabled": True})) == {"disability_note": "required"}
    assert evaluate({**GOOD, "is_disabled": False}).ok


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"applicant_name": ""}, "applicant_name", "required"),
        ({"applicant_name": "   "}, "applicant_name", "required"),
        ({"applicant_name": "张"}, "applicant_name", "length"),
        ({"applicant_id": "110105194912310021"}, "applicant_id", "checksum"),
        ({"applicant_id": "11010520201231002X"}, "applicant_id", "checksum"),
        ({"household_type": "rich"}, "household_type", "choice"),
        ({"is_disabled": "yes"}, "is_disabled", "type"),
        ({"start": "2026-13-01"}, "start", "type"),
        ({"members": "张三"}, "members", "type"),
        ({"members": []}, "members", "min_items"),
        ({"members": [{"member_name": "张三"}] * 4}, "members", "max_items"),
        ({"members": [{"member_name": "张三", "income": "-1"}]}, "members[0].income", "negative"),
        ({"members": [{"member_name": "张三", "income": "200000"}]}, "members[0].income",
         "constraint"),
        ({"members": [{"income": "1"}]}, "members[0].member_name", "required"),
    ],
)
def test_errors(change: dict[str, Any], path: str, code: str) -> None:
    result = evaluate({**GOOD, **change})
    assert not result.ok
    assert codes(result).get(path) == code, result.errors
    assert all(issue.message for issue in result.errors)


def test_constraint_message_comes_from_the_definition() -> None:
    young = "110105201201010015"
    result = evaluate({**GOOD, "applicant_id": young})
    issues = [issue for issue in result.errors if issue.path == "applicant_id"]
    assert [(i.code, i.message) for i in issues] == [("constraint", "申请人须年满16周岁")]


def test_error_messages_carry_no_personal_data() -> None:
    result = evaluate({**GOOD, "applicant_id": "110105194912310021", "applicant_name": "张"})
    assert result.errors
    assert not any("110105" in issue.message or "张" in issue.message for issue in result.errors)


def test_calculations_follow_group_aggregates_and_material_relevance() -> None:
    answers = {**GOOD, "members": [{"member_name": "张三", "income": "40000"}]}
    result = evaluate(answers)
    assert result.values["needs_review"] is True
    assert [m.code for m in result.materials] == ["id_card", "income_proof"]
    assert [m.code for m in evaluate({**GOOD, "household_type": "dibao"}).materials] == [
        "id_card", "dibao_cert"
    ]


def test_calculated_answers_given_by_the_caller_are_ignored() -> None:
    assert evaluate({**GOOD, "member_count": 99}).values["member_count"] == 2


def test_calculation_on_unanswered_values_leaves_the_field_empty() -> None:
    result = evaluate({**GOOD, "members": [{"member_name": "张三"}]})
    assert result.values["total_income"] == "0.00"
    assert result.values["average_income"] == "0.00"
    assert "needs_review" in result.values
    empty = evaluate({})
    assert "average_income" not in empty.values
    assert empty.values["member_count"] == 0


def test_default_fills_an_unanswered_field_only() -> None:
    assert evaluate(GOOD).values["start"] == "2026-12-01"
    assert evaluate({**GOOD, "start": "2027-01-05"}).values["start"] == "2027-01-05"


def test_hidden_group_hides_its_rows() -> None:
    matter = parse_matter(matter_data([
        field("has_members", "yes_no"),
        field("members", "group", relevant="has_members", min_items=1, fields=[
            field("member_name", "name", required=True),
        ]),
        field("count_members", "integer", calculate="count(members)"),
    ]))
    hidden = forms.evaluate(matter, {"members": [{"member_name": ""}]}, today=TODAY)
    assert hidden.ok
    assert hidden.values == {"count_members": 0}
    shown = forms.evaluate(matter, {"has_members": True, "members": [{}]}, today=TODAY)
    assert codes(shown) == {"members[0].member_name": "required"}


def test_nested_groups_have_nested_paths() -> None:
    matter = parse_matter(matter_data([
        field("households", "group", fields=[
            field("head", "name", required=True),
            field("people", "group", fields=[
                field("person_name", "name", required=True),
                field("note", "text", relevant="person_name != head"),
            ]),
            field("size", "integer", calculate="count(people)"),
        ]),
    ]))
    answers = {"households": [{"head": "张三", "people": [{"person_name": "张三"}, {}]}]}
    result = forms.evaluate(matter, answers, today=TODAY)
    assert codes(result) == {"households[0].people[1].person_name": "required"}
    assert "households[0].people[0].note" not in result.visible
    assert result.values["households"][0]["size"] == 2


def test_credit_code_check_digit_is_an_overridable_warning() -> None:
    matter = parse_matter(matter_data([field("company", "credit_code", required=True)]))
    good = forms.evaluate(matter, {"company": VALID_CREDIT_CODE.lower()}, today=TODAY)
    assert good.ok and good.values == {"company": VALID_CREDIT_CODE}
    warned = forms.evaluate(matter, {"company": BAD_CHECK_CREDIT_CODE}, today=TODAY)
    assert not warned.ok and not warned.errors
    assert [(w.path, w.code) for w in warned.warnings] == [("company", "credit_code_checksum")]
    for reason in ("", "   ", None):
        blank = forms.evaluate(matter, {"company": BAD_CHECK_CREDIT_CODE},
                               overrides={"company": reason}, today=TODAY)
        assert not blank.ok
    accepted = forms.evaluate(matter, {"company": BAD_CHECK_CREDIT_CODE},
                              overrides={"company": "营业执照上即为此代码"}, today=TODAY)
    assert accepted.ok
    assert [w.path for w in accepted.overridden] == ["company"]


def test_malformed_credit_code_is_an_error_not_a_warning() -> None:
    matter = parse_matter(matter_data([field("company", "credit_code")]))
    result = forms.evaluate(matter, {"company": "123"}, overrides={"company": "x"}, today=TODAY)
    assert codes(result) == {"company": "length"}


@pytest.mark.parametrize(
    ("field_type", "extra", "answer", "stored"),
    [
        ("text", {}, "  村东头  ", "村东头"),
        ("integer", {}, "42", 42),
        ("integer", {}, 7, 7),
        ("decimal", {}, "3.140", "3.140"),
        ("money", {}, 12, "12.00"),
        ("date", {}, "2026-01-31", "2026-01-31"),
        ("yes_no", {}, False, False),
        ("phone", {}, "138 0013 8000", None),
        ("multi_choice", {"choices": [{"value": "b", "label": "B"}, {"value": "a", "label": "A"}]},
         ["a", "b", "a"], ["b", "a"]),
        ("address", {}, {"province": "河北省", "village": "东村", "detail": ""},
         {"province": "河北省", "village": "东村"}),
    ],
)
def test_values_are_stored_in_json_form(
    field_type: str, extra: dict[str, Any], answer: Any, stored: Any
) -> None:
    matter = parse_matter(matter_data([field("v", field_type, **extra)]))
    result = forms.evaluate(matter, {"v": answer}, today=TODAY)
    assert result.ok, result.errors
    if stored is None:
        assert isinstance(result.values["v"], str)
    else:
        assert result.values["v"] == stored


@pytest.mark.parametrize(
    ("field_type", "answer"),
    [
        ("integer", "4.5"),
        ("integer", True),
        ("decimal", "abc"),
        ("decimal", "NaN"),
        ("integer", "1e100000"),
        ("text", 5),
        ("address", {"planet": "火星"}),
        ("multi_choice", "a"),
        ("phone", "12"),
    ],
)
def test_wrong_types_are_errors(field_type: str, answer: Any) -> None:
    extra = {"choices": [{"value": "a", "label": "A"}]} if field_type == "multi_choice" else {}
    matter = parse_matter(matter_data([field("v", field_type, **extra)]))
    result = forms.evaluate(matter, {"v": answer}, today=TODAY)
    assert [issue.path for issue in result.errors] == ["v"]


def test_today_defaults_to_the_system_date() -> None:
    matter = parse_matter(matter_data([field("d", "date", calculate="today()")]))
    assert forms.evaluate(matter, {}).values["d"] == datetime.date.today().isoformat()
