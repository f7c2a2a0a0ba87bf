"""Phone numbers: mainland mobiles and landlines, their accepted spellings and normal forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.validators import InvalidPhoneError, check_phone


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
        ("010-65123456", "010-65123456"),
        ("(010) 65123456", "010-65123456"),
        ("（010）65123456", "010-65123456"),
        ("01065123456", "010-65123456"),
        ("010-6512-3456", "010-65123456"),
        ("0571-87654321", "0571-87654321"),
        ("0571 8765432", "0571-8765432"),
        ("+86 10 65123456", "010-65123456"),
        ("+86-571-87654321", "0571-87654321"),
        ("0086 571 87654321", "0571-87654321"),
        ("010-65123456-123", "010-65123456-123"),
        ("01065123456-123", "010-65123456-123"),
        ("0571-8765432-801", "0571-8765432-801"),
        ("010-65123456转123", "010-65123456-123"),
        ("010 65123456 分机 8", "010-65123456-8"),
        ("+86 (10) 65123456 ext. 12", "010-65123456-12"),
        ("0755-26001234#9", "0755-26001234-9"),
    ],
)
def test_accepted_spellings_give_the_normal_form(text: str, normal: str) -> None:
    assert check_phone(text) == normal


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "12812345678",  # no 12x mobile prefix
        "11012345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "13812345678转1",  # mobiles have no extension
        "+1 138 1234 5678",
        "010-12345678",  # local numbers never start with 1
        "010-0512345",  # ... or 0
        "65123456",  # no area code
        "010-651234",  # 6-digit local number
        "010-651234567",  # 9-digit local number
        "010-65123456-1234567",  # extension too long
        "138l2345678",
    ],
)
def test_other_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        check_phone(text)
    assert caught.value.code == "format"
    assert text.strip() == "" or text not in str(caught.value)


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_13x_to_19x_mobile_passes_in_any_grouping(second: str, rest: str) -> None:
    number = f"1{second}{rest}"
    assert check_phone(number) == number
    assert check_phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number
