"""Enrolment codes: Crockford base32, typed loosely, stored only as a keyed hash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.township import codes

RAW = st.text(alphabet=codes.ALPHABET, min_size=8, max_size=8)


def test_a_new_code_is_shown_in_two_groups() -> None:
    code = codes.new_code()
    assert len(code) == 9 and code[4] == "-"
    assert codes.normalise(code) == code.replace("-", "")


@given(RAW)
def test_case_hyphens_and_spaces_do_not_matter(raw: str) -> None:
    for typed in (raw, raw.lower(), f"{raw[:4]}-{raw[4:]}", f" {raw[:4]} {raw[4:]} "):
        assert codes.normalise(typed) == raw


@given(RAW)
def test_confusable_letters_read_as_digits(raw: str) -> None:
    typed = raw.replace("1", "I").replace("0", "O")
    assert codes.normalise(typed) == raw


@pytest.mark.parametrize("typed", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCU-EFGH", "ABCD_EFGH", 12])
def test_what_cannot_be_a_code_is_none(typed) -> None:
    assert codes.normalise(typed) is None


def test_the_stored_hash_needs_the_secret() -> None:
    assert codes.code_hash(b"a" * 32, "ABCDEFGH") != codes.code_hash(b"b" * 32, "ABCDEFGH")
