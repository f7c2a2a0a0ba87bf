"""Personal names: Chinese names (with minority middle dots) and Latin-letter names."""

from __future__ import annotations

import pytest

from forms.validators import InvalidNameError, check_name


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("张三", "张三"),
        (" 王 小明 ", "王小明"),
        ("欧阳　娜娜", "欧阳娜娜"),
        ("阿沛·阿旺晋美", "阿沛·阿旺晋美"),
        ("阿沛•阿旺晋美", "阿沛·阿旺晋美"),
        ("买买提江．阿布都热合曼", "买买提江·阿布都热合曼"),
        ("爱新觉罗・溥仪", "爱新觉罗·溥仪"),
        ("迪丽热巴.迪力木拉提", "迪丽热巴·迪力木拉提"),
        ("王𠀀", "王𠀀"),  # extension B
        ("陈䶮", "陈䶮"),  # extension A
        ("宋〇", "宋〇"),
        ("李" * 20, "李" * 20),
        ("John Smith", "John Smith"),
        ("JOHN   SMITH", "JOHN SMITH"),
        ("Ｊｏｈｎ Ｓｍｉｔｈ", "John Smith"),
        ("O'Brien-Smith, Mary J.", "O'Brien-Smith, Mary J."),
    ],
)
def test_names_are_normalised(text: str, normal: str) -> None:
    assert check_name(text) == normal


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "length"),
        ("   ", "length"),
        ("张", "length"),
        ("李" * 21, "length"),
        ("J", "length"),
        ("A" * 81, "length"),
        ("张3", "charset"),
        ("张三a", "charset"),
        ("John 张", "charset"),
        ("·张三", "charset"),
        ("张三·", "charset"),
        ("张··三", "charset"),
        ("张_三", "charset"),
        ("John2", "charset"),
        ("José", "charset"),
        ("-John", "charset"),
    ],
)
def test_other_text_is_refused_with_a_code(text: str, code: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        check_name(text)
    assert caught.value.code == code
    assert not text.strip() or text not in str(caught.value)
