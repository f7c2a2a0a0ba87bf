"""The form presenter without a display: conversion, relevance, calculations, rows, overrides."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import assets
from forms.catalog import load_catalog_dir
from forms.definition import parse_matter
from forms.model import Matter
from forms.validators import id_check_char
from station.i18n import _
from station.ui.presenters.form import (
    FormPathError,
    FormPresenter,
    RowLimitError,
    display_text,
    id_details,
)
from tests.forms.sample import (
    BAD_CHECK_CREDIT_CODE,
    VALID_CREDIT_CODE,
    VALID_ID,
    choice,
    field,
    matter_data,
)

TODAY = datetime.date(2026, 11, 23)
CATALOG = load_catalog_dir(assets.ROOT / "catalog")
# Born 1949-12-31, female: 76 on TODAY.
OLD_ID = VALID_ID
# 110105 + 1946-05-01 + sequence 001 (odd: male): 80 on TODAY.
EIGHTY_ID = "11010519460501001" + id_check_char("11010519460501001")

EVERY_TYPE = parse_matter(matter_data([
    field("text"),
    field("long_text", "long_text"),
    field("integer", "integer"),
    field("decimal", "decimal"),
    field("money", "money"),
    field("date", "date"),
    {**choice("choice", "rural", "urban"),
     "choices": [{"value": "rural", "label": "农村居民"},
                 {"value": "urban", "label": "城镇居民"}]},
    {**choice("multi", "illness", "disaster", "other", type="multi_choice"),
     "choices": [{"value": "illness", "label": "因病"}, {"value": "disaster", "label": "因灾"},
                 {"value": "other", "label": "其他"}]},
    field("yes_no", "yes_no"),
    field("id_number", "id_number"),
    field("credit_code", "credit_code"),
    field("phone", "phone"),
    field("name", "name"),
    field("address", "address"),
]))

HOUSEHOLDS = parse_matter(matter_data([
    field("households", "group", min_items=1, max_items=3, fields=[
        field("household_head", "name", required=True),
        field("employer_code", "credit_code"),
        field("people", "group", min_items=2, fields=[
            field("person_name", "name", required=True),
        ]),
    ]),
    field("household_count", "integer", calculate="count(households)"),
]))


def _presenter(matter: Matter | str, answers: dict | None = None, overrides: dict | None = None,
               calls: list | None = None) -> FormPresenter:
    if isinstance(matter, str):
        matter = CATALOG.matter(matter)
    on_change = None if calls is None else (lambda a, o: calls.append((a, o)))
    return FormPresenter(matter, answers or {}, overrides or {}, today=TODAY, on_change=on_change)


@pytest.mark.parametrize(("path", "raw", "stored"), [
    ("text", "  你好 ", "你好"),
    ("long_text", "第一行\n第二行\n", "第一行\n第二行"),
    ("integer", "１２", 12),
    ("integer", " 1,200 ", 1200),
    ("integer", 7, 7),
    ("integer", "12a", "12a"),
    ("decimal", "3.25", "3.25"),
    ("decimal", "1,000.5", "1000.5"),
    ("money", "1,234.5", "1234.50"),
    ("money", "¥12元", "12.00"),
    ("money", "12.345", "12.345"),
    ("date", "2026-3-5", "2026-03-05"),
    ("date", "2026年3月5日", "2026-03-05"),
    ("date", "２０２６年１２月１日", "2026-12-01"),
    ("date", "2026/12/01", "2026-12-01"),
    ("date", "20260305", "2026-03-05"),
    ("date", datetime.date(2026, 3, 5), "2026-03-05"),
    ("date", "2026年2月30日", "2026年2月30日"),
    ("choice", "农村居民", "rural"),
    ("choice", "urban", "urban"),
    ("multi", ["其他", "因病", "disaster", "因病"], ["illness", "disaster", "other"]),
    ("yes_no", True, True),
    ("yes_no", False, False),
    ("yes_no", "否", False),
    ("yes_no", _("Yes"), True),
    ("id_number", VALID_ID.lower(), VALID_ID),
    ("credit_code", " 91350100m000100y43 ", VALID_CREDIT_CODE),
    ("credit_code", BAD_CHECK_CREDIT_CODE, BAD_CHECK_CREDIT_CODE),
    ("phone", "138 0013 8000", "13800138000"),
    ("name", " 阿依古丽•买买提 ", "阿依古丽·买买提"),
    ("address", {"province": " 山东省 ", "city": "", "detail": "幸福路1号"},
     {"province": "山东省", "detail": "幸福路1号"}),
])
def test_widget_input_becomes_the_stored_answer(path: str, raw: Any, stored: Any) -> None:
    presenter = _presenter(EVERY_TYPE)
    presenter.set(path, raw)
    assert presenter.answers[path] == stored


@pytest.mark.parametrize(("path", "blank"), [
    ("text", "   "), ("integer", ""), ("multi", []), ("yes_no", None), ("yes_no", ""),
    ("address", {"province": " ", "detail": ""}), ("date", "  "),
])
def test_a_blank_input_removes_the_answer(path: str, blank: Any) -> None:
    presenter = _presenter(EVERY_TYPE, {"text": "x", "integer": 3, "multi": ["other"],
                                        "yes_no": True, "address": {"city": "济南市"},
                                        "date": "2026-01-02"})
    presenter.set(path, blank)
    assert path not in presenter.answers


@pytest.mark.parametrize(("path", "raw", "text"), [
    ("choice", "rural", "农村居民"),
    ("multi", ["other", "illness"], "因病、其他"),
    ("yes_no", True, _("Yes")),
    ("yes_no", False, _("No")),
    ("money", "1234.5", "1234.50"),
    ("date", "2026年3月5日", "2026-03-05"),
    ("address", {"province": "山东省", "county": "单县", "detail": "幸福路1号"},
     "山东省 单县 幸福路1号"),
    ("integer", "12a", "12a"),
])
def test_state_shows_display_text(path: str, raw: Any, text: str) -> None:
    state = _presenter(EVERY_TYPE).set(path, raw)
    assert state[path].text == text
    assert display_text(EVERY_TYPE.field(path), state[path].value) == text


@pytest.mark.parametrize(("path", "raw", "message"), [
    ("integer", "12a", "Enter a number."),
    ("integer", "1.5", "Enter a whole number."),
    ("money", "12.345", "An amount has at most two decimals (fen)."),
    ("money", "-5", "The amount cannot be negative."),
    ("date", "2026年2月30日", "Enter a date as YYYY-MM-DD or YYYY年M月D日."),
    ("name", "Zhang3",
     "Enter the name in Chinese characters, or in Latin letters for a foreigner."),
    ("id_number", VALID_ID[:-1] + "1",
     "The ID number is mistyped: its last character does not match."),
])
def test_invalid_input_is_kept_and_reported(path: str, raw: Any, message: str) -> None:
    presenter = _presenter(EVERY_TYPE)
    state = presenter.set(path, raw)
    assert state[path].error == _(message)
    assert state[path].problem and not state.ok
    assert state.first_problem == path
    assert presenter.answers[path] == raw


def test_missing_answers_show_once_touched_or_revealed() -> None:
    presenter = _presenter("FL-GLJT-001")
    state = presenter.state()
    assert state["applicant_name"].required and state["applicant_name"].problem
    assert state["applicant_name"].error == ""
    state = presenter.set("applicant_name", "", touch=False)
    assert state["applicant_name"].error == ""
    state = presenter.set("applicant_name", "")
    assert state["applicant_name"].error == _("This field is required.")
    assert state["applicant_phone"].error == ""
    state = presenter.reveal_problems()
    assert state["applicant_phone"].error == _("This field is required.")
    assert state.first_problem == "applicant_name"


def test_relevance_hides_and_unrequires() -> None:
    presenter = _presenter("FL-GLJT-001")
    state = presenter.set("by_proxy", False)
    assert not state["proxy_name"].visible and not state["proxy_name"].required
    assert not state["proxy_name"].problem
    state = presenter.set("by_proxy", "是")
    assert state["proxy_name"].visible and state["proxy_name"].required
    presenter.set("proxy_name", "李四")
    state = presenter.set("by_proxy", False)
    assert not state["proxy_name"].visible
    assert presenter.answers["proxy_name"] == "李四"
    assert "proxy_name" not in state.evaluation.values


def test_constraints_report_their_messages() -> None:
    presenter = _presenter("FL-GLJT-001")
    state = presenter.set("applicant_id", OLD_ID)
    assert state["applicant_id"].error == "须年满80周岁"
    assert state["current_age"].text == "76" and state["current_age"].read_only
    state = presenter.set("applicant_id", EIGHTY_ID)
    assert state["applicant_id"].error == "" and state["current_age"].text == "80"
    state = presenter.set("already_receiving_elsewhere", True)
    assert state["already_receiving_elsewhere"].error == "高龄津贴不能重复领取"
    state = _presenter("SJ-DBSQ-001").set("bank_account", "1234")
    assert state["bank_account"].error == "账号位数不对，请核对"


def test_household_income_is_calculated_over_the_rows() -> None:
    presenter = _presenter("SJ-DBSQ-001")
    state = presenter.state()
    assert state["members"].rows == 1 and "members[0].member_name" in state.fields
    assert state["member_count"].text == "1" and state["member_count"].read_only
    presenter.set("members[0].member_monthly_income", "1,200.5")
    presenter.add_row("members")
    state = presenter.set("members[1].member_monthly_income", "300")
    assert state["household_monthly_income"].text == "1500.50"
    assert state["per_capita_income"].text == "750.25"
    assert state["member_count"].text == "2"
    state = presenter.remove_row("members", 0)
    assert state["household_monthly_income"].text == "300.00"
    assert presenter.answers["members"] == [{"member_monthly_income": "300.00"}]


def test_relevance_inside_a_row() -> None:
    presenter = _presenter("SJ-DBSQ-001")
    presenter.add_row("members")
    state = presenter.set("members[1].member_is_disabled", True)
    assert state["members[1].member_disability_level"].visible
    assert state["members[1].member_disability_level"].required
    assert not state["members[0].member_disability_level"].visible


def test_rows_respect_min_and_max() -> None:
    presenter = _presenter(HOUSEHOLDS)
    state = presenter.state()
    assert state["households"].rows == 1
    assert state["households[0].people"].rows == 2
    assert not state["households"].can_remove and state["households"].can_add
    with pytest.raises(RowLimitError):
        presenter.remove_row("households", 0)
    presenter.add_row("households")
    state = presenter.add_row("households")
    assert state["households"].rows == 3 and not state["households"].can_add
    assert state["household_count"].text == "3"
    assert state["households[2].people"].rows == 2
    with pytest.raises(RowLimitError):
        presenter.add_row("households")
    state = presenter.add_row("households[1].people")
    assert state["households[1].people"].rows == 3
    assert state["households[1].people"].can_remove
    state = presenter.set("households[1].people[2].person_name", "王五")
    assert state["households[1].people[2].person_name"].text == "王五"


@pytest.mark.parametrize("path", [
    "nowhere", "households[0]", "households[5].household_head", "household_head",
    "households[0].people[0].household_head", "Households[0].household_head", "households.x",
])
def test_paths_that_name_no_answerable_field(path: str) -> None:
    with pytest.raises(FormPathError):
        _presenter(HOUSEHOLDS).set(path, "x")


@pytest.mark.parametrize("path", ["households", "household_count"])
def test_groups_and_calculated_fields_are_not_set_directly(path: str) -> None:
    with pytest.raises(FormPathError):
        _presenter(HOUSEHOLDS).set(path, "1")


def test_removing_a_missing_row_is_a_path_error() -> None:
    presenter = _presenter(HOUSEHOLDS)
    presenter.add_row("households")
    with pytest.raises(FormPathError):
        presenter.remove_row("households", 2)


def test_id_number_details() -> None:
    details = id_details(VALID_ID.lower(), TODAY)
    assert details is not None
    assert (details.birth_date, details.sex, details.age) == (datetime.date(1949, 12, 31), "F", 76)
    assert "1949-12-31" in details.describe() and "76" in details.describe()
    assert id_details("1101", TODAY) is None and id_details("", TODAY) is None
    state = _presenter("FL-GLJT-001").set("applicant_id", EIGHTY_ID)
    assert state["applicant_id"].info == id_details(EIGHTY_ID, TODAY).describe()
    assert _("male") in state["applicant_id"].info
    state = _presenter("FL-GLJT-001").set("applicant_id", EIGHTY_ID[:-1] + "2")
    assert state["applicant_id"].info == "" and state["applicant_id"].error


def test_a_credit_code_warning_is_overridden_with_a_reason() -> None:
    calls: list = []
    presenter = _presenter(EVERY_TYPE, calls=calls)
    state = presenter.set("credit_code", BAD_CHECK_CREDIT_CODE)
    assert state["credit_code"].warning and not state["credit_code"].error
    assert state["credit_code"].problem and not state.ok
    state = presenter.override("credit_code", "  营业执照上即为此代码  ")
    assert state.ok and not state["credit_code"].problem
    assert state["credit_code"].warning
    assert state["credit_code"].override_reason == "营业执照上即为此代码"
    assert calls[-1][1] == {"credit_code": "营业执照上即为此代码"}
    state = presenter.override("credit_code", " ")
    assert not state.ok and presenter.overrides == {}
    presenter.override("credit_code", "核对无误")
    state = presenter.set("credit_code", BAD_CHECK_CREDIT_CODE[:-1] + "1")
    assert presenter.overrides == {} and not state.ok


def test_removing_a_row_moves_overrides_and_touched_fields_up() -> None:
    presenter = _presenter(HOUSEHOLDS)
    presenter.add_row("households")
    presenter.add_row("households")
    for index in range(3):
        presenter.set(f"households[{index}].employer_code", BAD_CHECK_CREDIT_CODE)
        presenter.override(f"households[{index}].employer_code", f"理由{index}")
    presenter.set("households[2].household_head", "")
    state = presenter.remove_row("households", 1)
    assert presenter.overrides == {"households[0].employer_code": "理由0",
                                   "households[1].employer_code": "理由2"}
    assert state["households[1].household_head"].error == _("This field is required.")
    assert state["households[0].household_head"].error == ""


def test_on_change_gets_copies_of_the_stored_answers() -> None:
    calls: list = []
    presenter = _presenter("SJ-DBSQ-001", {"applicant_name": "欧阳明珠"}, calls=calls)
    assert calls == []
    presenter.set("savings", "2,000")
    answers, overrides = calls[-1]
    assert answers["savings"] == "2000.00" and answers["applicant_name"] == "欧阳明珠"
    assert answers["members"] == [{}] and overrides == {}
    answers["savings"] = "tampered"
    assert presenter.answers["savings"] == "2000.00"
    presenter.set("savings", "2000")
    assert len(calls) == 1
    presenter.add_row("members")
    presenter.remove_row("members", 1)
    assert len(calls) == 3 and calls[-1][0]["members"] == [{}]


def test_the_callers_answers_are_not_modified() -> None:
    answers = {"applicant_name": "欧阳明珠"}
    presenter = _presenter("SJ-DBSQ-001", answers)
    presenter.set("applicant_name", "张三")
    assert answers == {"applicant_name": "欧阳明珠"}


def test_a_resumed_draft_shows_its_answers() -> None:
    answers = {"has_vehicle": True, "vehicle_use": "farming", "members": [
        {"member_name": "张三", "member_monthly_income": "100.00"},
        {"member_name": "李四", "member_monthly_income": "50.00"},
    ]}
    state = _presenter("SJ-DBSQ-001", answers, {"x": ""}).state()
    assert state["vehicle_use"].visible
    assert state["vehicle_use"].text == "农用车或生产经营用车"
    assert state["members[1].member_name"].text == "李四"
    assert state["household_monthly_income"].text == "150.00"


@pytest.mark.parametrize("code", sorted(CATALOG.matters))
def test_every_bundled_matter_builds_an_empty_form(code: str) -> None:
    presenter = _presenter(code)
    state = presenter.state()
    top = {field.id for field in presenter.matter.fields}
    assert top <= set(state.fields)
    assert state.ok == (not any(field_state.problem for field_state in state.fields.values()))
    assert all(field_state.error == "" for field_state in state.fields.values())
    for group in (path for path in state.fields if state[path].field.type == "group"):
        if state[group].can_add:
            state = presenter.add_row(group)
            assert state[group].rows >= 1


_ANSWERABLE = [
    (code, path)
    for code, matter in sorted(CATALOG.matters.items())
    for path, state in _presenter(matter).state().fields.items()
    if not state.read_only and state.field.type != "group"
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(_ANSWERABLE), raw=st.one_of(
    st.text(max_size=30), st.booleans(), st.none(), st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.sampled_from(["province", "detail", "other"]), st.text(max_size=5)),
))
def test_any_widget_input_is_stored_without_an_exception(target: tuple[str, str], raw: Any) -> None:
    code, path = target
    state = _presenter(code).set(path, raw)
    assert path in state.fields
    assert isinstance(state[path].text, str) and isinstance(state[path].error, str)
