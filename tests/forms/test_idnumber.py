"""Citizen ID numbers (GB 11643-1999): normalisation, each rule, and the check character's
guarantees over generated numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.errors import ValidationError
from forms.validators import (
    IdNumberInfo,
    InvalidIdNumberError,
    check_id_number,
    format_id_number,
    id_check_char,
)

TODAY = dt.date(2026, 11, 23)
# Current codes, codes of counties since merged or renamed, and a residence-permit prefix.
REGIONS = [
    "110105",  # 北京市朝阳区
    "110103",  # 北京市崇文区, merged into 东城区 in 2010
    "120107",  # 天津市塘沽区, merged into 滨海新区 in 2009
    "130102",  # 河北省石家庄市长安区
    "360426",  # 江西省九江市德安县
    "370181",  # 章丘市, a district (370114) since 2016
    "440305",  # 广东省深圳市南山区
    "510104",  # 四川省成都市锦江区
    "540102",  # 西藏自治区拉萨市城关区
    "650102",  # 新疆维吾尔自治区乌鲁木齐市天山区
    "710000",  # 台湾省
    "830000",  # Taiwan residents' residence permit
]
ID_CHARS = "0123456789X"


def make_number(region: str, birth: dt.date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + id_check_char(body)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    return make_number(region, birth, draw(st.integers(0, 999)))


STANDARD_EXAMPLE = "11010519491231002X"  # GB 11643-1999's own example


@pytest.mark.parametrize(
    ("text", "number", "birth", "sex", "region_name"),
    [
        (STANDARD_EXAMPLE, STANDARD_EXAMPLE, dt.date(1949, 12, 31), "F", "北京市朝阳区"),
        (" 11010519491231002x\n", STANDARD_EXAMPLE, dt.date(1949, 12, 31), "F", "北京市朝阳区"),
        (
            "１１０１０５１９４９１２３１００２ｘ",
            STANDARD_EXAMPLE,
            dt.date(1949, 12, 31),
            "F",
            "北京市朝阳区",
        ),
        ("110105 19491231 002X", STANDARD_EXAMPLE, dt.date(1949, 12, 31), "F", "北京市朝阳区"),
        (
            "360426199101010071",
            "360426199101010071",
            dt.date(1991, 1, 1),
            "M",
            "江西省九江市德安县",
        ),
        ("110103198001011235", "110103198001011235", dt.date(1980, 1, 1), "M", "北京市崇文区"),
        ("830000199006150022", "830000199006150022", dt.date(1990, 6, 15), "F", "台湾地区"),
    ],
)
def test_valid_numbers_are_normalised_and_read(
    text: str, number: str, birth: dt.date, sex: str, region_name: str
) -> None:
    info = check_id_number(text, today=TODAY)
    assert (info.number, info.birth_date, info.sex) == (number, birth, sex)
    assert (info.region_code, info.region_name) == (number[:6], region_name)


@pytest.mark.parametrize(
    ("legacy", "upgraded"),
    [("110105491231002", "11010519491231002X"), ("360426910101007", "360426199101010071")],
)
def test_fifteen_digit_numbers_become_eighteen(legacy: str, upgraded: str) -> None:
    assert check_id_number(legacy, today=TODAY).number == upgraded


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "length"),
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("1101051949123100", "length"),
        ("11010519491231002Y", "charset"),
        ("1101051949123100X2", "charset"),
        ("11010549123100X", "charset"),
        ("000000199001010018", "region"),
        ("990105194912310025", "region"),
        ("440524188001010014", "birth_date"),  # the standard's own 1880 example: before 1900
        ("110105194902300012", "birth_date"),  # 30 February
        ("110105202611240010", "birth_date"),  # tomorrow
        ("110105194912310023", "checksum"),
        ("360426199101010072", "checksum"),
    ],
)
def test_each_rule_has_its_code(text: str, code: str) -> None:
    with pytest.raises(InvalidIdNumberError) as caught:
        check_id_number(text, today=TODAY)
    assert caught.value.code == code
    assert isinstance(caught.value, ValidationError)


@given(valid_numbers())
def test_generated_numbers_pass_and_are_read_back(number: str) -> None:
    info = check_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert info.sex == ("M" if int(number[16]) % 2 else "F")
    assert info.region_code == number[:6]


@given(valid_numbers(), st.integers(0, 17), st.sampled_from(ID_CHARS))
def test_any_single_substitution_is_caught(number: str, position: int, char: str) -> None:
    changed = number[:position] + char + number[position + 1 :]
    if changed != number:
        with pytest.raises(InvalidIdNumberError):
            check_id_number(changed, today=TODAY)


@given(valid_numbers(), st.integers(0, 16))
def test_any_adjacent_transposition_is_caught(number: str, position: int) -> None:
    first, second = number[position], number[position + 1]
    swapped = number[:position] + second + first + number[position + 2 :]
    if first != second:
        with pytest.raises(InvalidIdNumberError):
            check_id_number(swapped, today=TODAY)


@given(valid_numbers(), st.integers(0, 17), st.sampled_from(ID_CHARS))
def test_error_messages_never_contain_the_number(number: str, position: int, char: str) -> None:
    changed = number[:position] + char + number[position + 1 :]
    try:
        check_id_number(changed, today=TODAY)
    except InvalidIdNumberError as error:
        assert changed not in str(error)
        assert changed[6:14] not in str(error)


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (dt.date(1949, 12, 31), 0),
        (dt.date(2026, 12, 30), 76),
        (dt.date(2026, 12, 31), 77),
        (dt.date(2027, 1, 1), 77),
    ],
)
def test_age_counts_whole_years(on: dt.date, age: int) -> None:
    assert check_id_number("11010519491231002X", today=TODAY).age(on) == age


def test_age_of_a_leap_day_birth() -> None:
    info = IdNumberInfo("", dt.date(2000, 2, 29), "F", "110105", None)
    assert (info.age(dt.date(2001, 2, 28)), info.age(dt.date(2001, 3, 1))) == (0, 1)


def test_today_defaults_to_the_real_date() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(InvalidIdNumberError) as caught:
        check_id_number(make_number("110105", tomorrow, 1))
    assert caught.value.code == "birth_date"


@pytest.mark.parametrize(
    ("number", "mask", "shown"),
    [
        ("11010519491231002X", True, "110105********002X"),
        (" 11010519491231002x ", True, "110105********002X"),
        ("11010519491231002x", False, "11010519491231002X"),
        ("110105491231002", True, "110105*****1002"),
        ("1234567890", True, "**********"),
        ("", True, ""),
    ],
)
def test_format_id_number_masks_the_middle(number: str, mask: bool, shown: str) -> None:
    assert format_id_number(number, mask=mask) == shown
