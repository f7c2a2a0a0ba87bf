"""Unified social credit codes (GB 32100-2015): structure checks that raise, and the check
character that only reports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.creditcode import ALPHABET, AUTHORITIES
from forms.validators import InvalidCreditCodeError, check_credit_code, credit_check_char

REGIONS = ["100000", "110000", "110105", "120107", "330100", "440300", "650102"]
AUTHORITY_TYPES = [
    authority + entity_type
    for authority, (_, types) in AUTHORITIES.items()
    for entity_type in types
]


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(AUTHORITY_TYPES)) + draw(st.sampled_from(REGIONS))
    body = head + draw(st.text(alphabet=ALPHABET, min_size=9, max_size=9))
    return body + credit_check_char(body)


def result_or_error(code: str) -> bool | None:
    """checksum_ok, or None when the code is refused outright."""
    try:
        return check_credit_code(code).checksum_ok
    except InvalidCreditCodeError:
        return None


@pytest.mark.parametrize(
    ("text", "code", "authority", "entity_type", "region_name"),
    [
        ("91110000600037341L", "91110000600037341L", "工商", "企业", "北京市"),
        ("9144030071526726XG", "9144030071526726XG", "工商", "企业", "广东省深圳市"),
        (" 914403001922038216 ", "914403001922038216", "工商", "企业", "广东省深圳市"),
        ("9144 0300 7152 6726 xg", "9144030071526726XG", "工商", "企业", "广东省深圳市"),
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L", "工商", "企业", "北京市"),
    ],
)
def test_real_codes_pass_and_are_normalised(
    text: str, code: str, authority: str, entity_type: str, region_name: str
) -> None:
    result = check_credit_code(text)
    assert (result.code, result.checksum_ok, result.region_ok) == (code, True, True)
    assert (result.authority_name, result.entity_type_name) == (authority, entity_type)
    assert (result.region_code, result.region_name) == (code[2:8], region_name)


def test_a_wrong_check_character_is_reported_not_raised() -> None:
    result = check_credit_code("91110000600037341M")
    assert (result.code, result.checksum_ok) == ("91110000600037341M", False)


def test_national_registrations_use_region_100000() -> None:
    body = "12100000" + "400000624"
    result = check_credit_code(body + credit_check_char(body))
    assert result.entity_type_name == "事业单位"
    assert (result.region_ok, result.region_name) == (True, None)


def test_an_unlisted_county_in_a_known_province_is_only_flagged() -> None:
    body = "91370199" + "MA3C0TE0T"
    result = check_credit_code(body + credit_check_char(body))
    assert (result.checksum_ok, result.region_ok, result.region_name) == (True, False, None)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "length"),
        ("91110000600037341", "length"),
        ("91110000600037341LL", "length"),
        ("91110000600037341I", "charset"),
        ("9111000060003734OL", "charset"),
        ("91110000600037341S", "charset"),
        ("911100006000373Z1L", "charset"),
        ("9111000V600037341L", "charset"),
        ("911A0000600037341L", "charset"),
        ("B1110000600037341L", "authority"),
        ("01110000600037341L", "authority"),
        ("94110000600037341L", "type"),
        ("Y2110000600037341L", "type"),
        ("91000000600037341L", "region"),
        ("91990000600037341L", "region"),
    ],
)
def test_structural_errors_raise_with_their_code(text: str, code: str) -> None:
    with pytest.raises(InvalidCreditCodeError) as caught:
        check_credit_code(text)
    assert caught.value.code == code


@given(valid_codes())
def test_generated_codes_pass(code: str) -> None:
    result = check_credit_code(code)
    assert (result.code, result.checksum_ok) == (code, True)


@given(valid_codes(), st.integers(0, 17), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(code: str, position: int, char: str) -> None:
    changed = code[:position] + char + code[position + 1 :]
    if changed != code:
        assert result_or_error(changed) in (False, None)


@given(valid_codes(), st.integers(0, 16))
def test_any_adjacent_transposition_is_caught(code: str, position: int) -> None:
    first, second = code[position], code[position + 1]
    if first != second:
        swapped = code[:position] + second + first + code[position + 2 :]
        assert result_or_error(swapped) in (False, None)
