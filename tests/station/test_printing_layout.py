"""The pieces under the printed documents: Chinese line breaking, display formats, finding
the font, and characters the font lacks."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.printing import display
from station.printing.documents import CommitmentLetter, DeferredItem, Heading
from station.printing.fonts import (
    COLLECTION_FILE,
    FontMissingError,
    PrintFont,
    default_dirs,
    face_index,
    find_font,
)
from station.printing.pdf import render
from station.printing.wrap import CLOSING, OPENING, is_wide, units, wrap
from tests.station.test_printing import pdf_text


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """The source language, whatever the machine's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


def width_of(text: str) -> int:
    """Wide characters count 2, the others 1: a stand-in for a font's advance widths."""
    return sum(2 if is_wide(char) else 1 for char in text)


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("居民身份证", 10, ["居民身份证"]),
        ("居民身份证复印件", 10, ["居民身份证", "复印件"]),
        # a Latin word or a number stays whole; a long Chinese run after a space does not
        # jump to the next line
        ("2. 属于事实无人抚养", 10, ["2. 属于事", "实无人抚养"]),
        ("编号TEST01-0001", 12, ["编号", "TEST01-0001"]),
        # no line starts with closing punctuation: the character before it comes along
        ("父母双方，均", 8, ["父母双", "方，均"]),
        ("他说：“好的。”然后", 12, ["他说：“好", "的。”然后"]),
        # no line ends with opening punctuation
        ("材料名（复印件）", 8, ["材料名", "（复印", "件）"]),
        # a word wider than a line is cut
        ("ABCDEFGHIJ", 4, ["ABCD", "EFGH", "IJ"]),
        ("第一行\n第二行", 20, ["第一行", "第二行"]),
        ("", 10, [""]),
        ("two  words", 3, ["two", "wor", "ds"]),
    ],
)
def test_wrap_breaks_as_chinese_typesetting_does(text: str, width: int, lines: list[str]) -> None:
    assert wrap(text, width, width_of) == lines


def test_wrap_leaves_room_for_the_first_line_indent() -> None:
    assert wrap("本人承诺所提供的信息真实", 12, width_of, indent=4) == [
        "本人承诺",
        "所提供的信息",
        "真实",
    ]


_ALPHABET = st.sampled_from(
    list("居民身份证户口簿材料") + list("，。、：（）《》“”") + list("AB12-. ") + ["  "]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join), st.integers(min_value=4, max_value=30))
def test_wrap_loses_nothing_and_every_line_fits(text: str, width: int) -> None:
    lines = wrap(text, width, width_of)
    assert all(width_of(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(line == line.strip() for line in lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("材料证明，。、（）《》")), max_size=40).map("".join))
def test_lines_keep_the_punctuation_rules_unless_a_line_has_one_piece(text: str) -> None:
    lines = wrap(text, 10, width_of)
    for previous, line in zip(lines, lines[1:]):
        if line[0] in CLOSING or previous[-1] in OPENING:
            assert len(units(previous)) == 1, (previous, line)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(date(2026, 11, 23), "2026-11-23"), (date(2027, 1, 5), "2027-1-5")],
)
def test_dates_in_the_source_language(value: date, shown: str) -> None:
    assert display.day(value) == shown


@pytest.mark.parametrize(
    ("provisional", "shown"), [(False, "2027-1-5"), (True, "2027-1-5 (estimated)")]
)
def test_a_provisional_promised_date_is_marked(provisional: bool, shown: str) -> None:
    assert display.promised_day(date(2027, 1, 5), provisional) == shown


def test_moments_show_the_time_of_day() -> None:
    assert display.moment(datetime(2026, 11, 23, 9, 5)) == "2026-11-23 09:05"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("010-65123456", "010-****3456"),
        ("0571-8765432-801", "057*-******2-801"),
        ("1234567", "*******"),
    ],
)
def test_phone_numbers_are_masked_like_on_receipts(phone: str, masked: str) -> None:
    assert display.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("40"), "¥40.00 (RMB 肆拾元整)"),
        (Decimal("1234.5"), "¥1,234.50 (RMB 壹仟贰佰叁拾肆元伍角整)"),
    ],
)
def test_money_in_figures_and_capital_numerals(amount: Decimal, shown: str) -> None:
    assert display.money(amount) == shown


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "Shown, returned"), (1, "1 copy"), (3, "3 copies")]
)
def test_copies(count: int, shown: str) -> None:
    assert display.copies(count) == shown


def test_find_font_takes_the_sc_face_of_the_system_collection() -> None:
    font = find_font()
    assert font.path.name in (
        COLLECTION_FILE,
        "NotoSansCJKsc-Regular.otf",
        "NotoSansSC-Regular.otf",
    )
    if font.path.name == COLLECTION_FILE:
        assert face_index(font.path, "Noto Sans CJK SC") == font.index


def test_find_font_searches_the_given_folders_in_order(tmp_path: Path) -> None:
    system = find_font()
    empty, bundled = tmp_path / "empty", tmp_path / "bundled"
    empty.mkdir()
    bundled.mkdir()
    (bundled / system.path.name).symlink_to(system.path)
    assert find_font([empty, bundled]) == PrintFont(bundled / system.path.name, system.index)


@pytest.mark.parametrize(
    "content", [b"not a font collection", b"ttcf\x00\x01\x00\x00\x00\x00\x00\x02\x00\x00\x00\x10"]
)
def test_a_missing_font_says_what_to_install(tmp_path: Path, content: bytes) -> None:
    (tmp_path / COLLECTION_FILE).write_bytes(content)
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        find_font([tmp_path, tmp_path / "absent"])


def test_the_app_folder_is_searched_first() -> None:
    assert default_dirs()[0].parts[-2:] == ("assets", "fonts")


def _letter(name: str) -> CommitmentLetter:
    heading = Heading(
        case_uuid="u",
        case_number="TEST01-20261123-0001",
        matter_name="测试补助申请",
        matter_code="TEST-BZ-001",
        applicant_name=name,
        id_number=None,
        phone=None,
        station_name="测试村便民服务站",
        township="测试镇",
        agent_name="王代办",
        issued_on=date(2026, 11, 23),
    )
    item = DeferredItem("户口簿", "copy", 1, date(2026, 12, 1), None)
    return CommitmentLetter(heading, (item,), f"本人{name}承诺。", "后果自负。")


def test_a_character_without_glyph_prints_as_a_box_and_is_not_logged(
    tmp_path: Path, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    rare = "\U00030000"  # an extension G character: Noto Sans CJK has no glyph for it
    rendered = render(_letter(f"王{rare}"), tmp_path / "letter.pdf")
    assert rendered.missing_glyphs == 2  # in the heading and in the statement
    assert "王□" in pdf_text(rendered.path)
    assert rare not in caplog.text and "王" not in caplog.text


def test_a_font_file_that_is_gone_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        render(_letter("王明"), tmp_path / "x.pdf", font=PrintFont(tmp_path / "gone.otf"))
    assert not (tmp_path / "x.pdf").exists()


def test_the_ui_can_import_printing_without_loading_the_pdf_libraries() -> None:
    code = (
        "import sys; from station import printing as p; "
        "p.PrintService, p.Paper, p.DocumentKind, p.FontMissingError, p.PrintError, "
        "p.output_dir, p.open_pdf; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fpdf', 'fontTools', 'qrcode'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
