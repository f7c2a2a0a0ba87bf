"""Money: parsing yuan amounts, and the two ways forms and receipts show them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.validators import InvalidMoneyError, format_money, format_money_upper, parse_money

amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("1,234.5", Decimal("1234.50")),
        ("1234.56", Decimal("1234.56")),
        ("１２３", Decimal("123.00")),
        ("１，２３４．５", Decimal("1234.50")),
        (" ¥12元 ", Decimal("12.00")),
        ("￥0.5", Decimal("0.50")),
        ("1.230", Decimal("1.23")),
        ("-0", Decimal("0.00")),
        ("1,000,000,000,000", Decimal("1000000000000.00")),
        (12, Decimal("12.00")),
        (0, Decimal("0.00")),
        (Decimal("7.1"), Decimal("7.10")),
        (Decimal("1E+3"), Decimal("1000.00")),
        (10.5, Decimal("10.50")),
        (0.1, Decimal("0.10")),
    ],
)
def test_accepted_values(value: object, amount: Decimal) -> None:
    parsed = parse_money(value)
    assert parsed == amount
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "format"),
        ("abc", "format"),
        ("1,23", "format"),
        ("12,3456", "format"),
        ("1e3", "format"),
        ("NaN", "format"),
        ("Infinity", "format"),
        (Decimal("NaN"), "format"),
        (float("inf"), "format"),
        (True, "format"),
        (None, "format"),
        ([1], "format"),
        ("1.234", "decimals"),
        (Decimal("0.001"), "decimals"),
        (0.125, "decimals"),
        ("-1", "negative"),
        (-5, "negative"),
        ("1000000000000.01", "too_large"),
        (Decimal("1E+40"), "too_large"),
        (10**13, "too_large"),
    ],
)
def test_refused_values(value: object, code: str) -> None:
    with pytest.raises(InvalidMoneyError) as caught:
        parse_money(value)
    assert caught.value.code == code


def test_negatives_when_allowed() -> None:
    assert parse_money("-1,234.5", allow_negative=True) == Decimal("-1234.50")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "0.00"),
        ("5", "5.00"),
        ("1234.5", "1,234.50"),
        ("1234567.89", "1,234,567.89"),
        ("-1234.5", "-1,234.50"),
    ],
)
def test_format_money(amount: str, shown: str) -> None:
    assert format_money(Decimal(amount)) == shown


@pytest.mark.parametrize(
    ("amount", "upper"),
    [
        # The examples of 《正确填写票据和结算凭证的基本规定》, with 整 after 角.
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("0", "零元整"),
        ("0.50", "伍角整"),
        ("0.05", "伍分"),
        ("1.05", "壹元零伍分"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("110", "壹佰壹拾元整"),
        ("1004", "壹仟零肆元整"),
        ("1050", "壹仟零伍拾元整"),
        ("100000000", "壹亿元整"),
        ("100010000", "壹亿零壹万元整"),
        ("20001000.10", "贰仟万壹仟元零壹角整"),
        ("1000000000000", "壹万亿元整"),
        ("-5", "负伍元整"),
    ],
)
def test_format_money_upper(amount: str, upper: str) -> None:
    assert format_money_upper(Decimal(amount)) == upper


@given(amounts)
def test_formatted_amounts_parse_back(amount: Decimal) -> None:
    assert parse_money(format_money(amount), allow_negative=True) == amount


@given(amounts)
def test_capital_numerals_have_no_doubled_zero_and_end_properly(amount: Decimal) -> None:
    upper = format_money_upper(amount)
    assert "零零" not in upper
    assert upper.endswith("整") != upper.endswith("分")
    assert not upper.lstrip("负").startswith("零") or upper == "零元整"


@given(st.integers(0, 10**12 - 1))
def test_capital_numerals_read_back(number: int) -> None:
    assert _read_upper(format_money_upper(Decimal(number)).removesuffix("元整")) == number


def _read_upper(text: str) -> int:
    """A small independent reader of capital numerals, for the round trip."""
    digits = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}
    places = {"拾": 10, "佰": 100, "仟": 1000}
    total = group = digit = 0
    for char in text:
        if char in digits:
            digit = digits[char]
        elif char in places:
            group += digit * places[char]
            digit = 0
        elif char == "万":
            total += (group + digit) * 10_000
            group = digit = 0
        elif char == "亿":
            total = (total + group + digit) * 100_000_000
            group = digit = 0
    return total + group + digit
