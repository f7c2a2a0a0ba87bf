"""Money in yuan: parsing, and display as Chinese forms and receipts show it.

Amounts are ``Decimal`` quantised to 0.01 (fen). ``format_money_upper`` writes capital
numerals (大写金额) following the rules for filling in bills and vouchers (《正确填写票据和
结算凭证的基本规定》): 壹拾 rather than 拾, one 零 for a run of zeros, and 整 after 元 or 角
when no 分 follows.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from forms.errors import ValidationError
from forms.i18n import _

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 12
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACE_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿", "万亿")


class InvalidMoneyError(ValidationError):
    """Not an amount of yuan; ``code`` is one of format, negative, decimals, too_large."""


def parse_money(value: object, *, allow_negative: bool = False) -> Decimal:
    """Parse yuan from str ("1,234.5", "１２３", "¥12元"), int, float or Decimal.

    Raises InvalidMoneyError for other input, NaN/infinity, more than two decimals,
    magnitudes above 10^12, and negatives unless ``allow_negative``.
    """
    amount = _to_decimal(value)
    if abs(amount) > MAX_AMOUNT:
        raise InvalidMoneyError(_("The amount is too large."), "too_large")
    if amount != amount.quantize(CENT):
        raise InvalidMoneyError(_("An amount has at most two decimals (fen)."), "decimals")
    if amount < 0 and not allow_negative:
        raise InvalidMoneyError(_("The amount cannot be negative."), "negative")
    return (amount + 0).quantize(CENT)


def format_money(amount: Decimal | int | str) -> str:
    """The amount with thousands separators and two decimals: ``1,234.50``.

    Raises InvalidMoneyError as parse_money (negatives allowed).
    """
    return f"{parse_money(amount, allow_negative=True):,.2f}"


def format_money_upper(amount: Decimal | int | str) -> str:
    """The amount in capital numerals: ``壹仟贰佰叁拾肆元伍角整`` for 1234.50.

    Raises InvalidMoneyError as parse_money (negatives allowed, written with 负).
    """
    value = parse_money(amount, allow_negative=True)
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = f"{_integer_upper(yuan)}元" if yuan else ""
    if jiao:
        text += ("零" if yuan and yuan % 10 == 0 else "") + f"{_DIGITS[jiao]}角"
    if fen:
        text += ("零" if yuan and not jiao else "") + f"{_DIGITS[fen]}分"
    return sign + text + ("" if fen else "整")


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise _format_error()
    if isinstance(value, str):
        value = _clean_text(value)
    elif isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _format_error() from None
    if not amount.is_finite():
        raise _format_error()
    return amount


def _clean_text(text: str) -> str:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    text = re.sub(r"^([+-]?)¥", r"\1", text).removesuffix("元")
    if not _NUMBER.fullmatch(text):
        raise _format_error()
    return text.replace(",", "")


def _format_error() -> InvalidMoneyError:
    return InvalidMoneyError(_("Enter an amount in yuan, such as 1234.50."), "format")


def _integer_upper(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        if text and (zero_pending or group < 1000):
            text += "零"
        text += _group_upper(group) + _GROUP_UNITS[index]
        zero_pending = False
    return text


def _group_upper(group: int) -> str:
    text = ""
    zero_pending = False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            zero_pending = bool(text)
            continue
        text += ("零" if zero_pending else "") + _DIGITS[digit] + _PLACE_UNITS[place]
        zero_pending = False
    return text
