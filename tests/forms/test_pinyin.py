"""Pinyin spellings: full and initials, overrides for place names and surnames."""

from __future__ import annotations

import pytest

from forms.pinyin import to_pinyin


@pytest.mark.parametrize(
    ("text", "full", "initials"),
    [
        ("城乡居民基本医疗保险参保登记", "chengxiangjuminjibenyiliaobaoxiancanbaodengji",
         "cxjmjbylbxcbdj"),
        ("单县", "shanxian", "sx"),
        ("山东省单县单城镇", "shandongshengshanxianshanchengzhen", "sdssxscz"),
        ("洪洞县", "hongtongxian", "htx"),
        ("朝阳市", "chaoyangshi", "cys"),
        ("六安市", "luanshi", "las"),
        ("长治市", "changzhishi", "czs"),
        ("绿色通道", "lvsetongdao", "lstd"),
        ("CT检查3级", "ctjiancha3ji", "ctjc3j"),
        ("ＡＢＣ", "abc", "abc"),
        ("", "", ""),
    ],
)
def test_full_and_initials(text: str, full: str, initials: str) -> None:
    assert to_pinyin(text) == (full, initials)


@pytest.mark.parametrize(
    ("name", "full"),
    [
        ("曾志伟", "zengzhiwei"),
        ("解晓东", "xiexiaodong"),
        ("区伟", "ouwei"),
        ("仇和", "qiuhe"),
        ("朴树", "piaoshu"),
        ("查良镛", "zhaliangyong"),
        ("盖叫天", "gejiaotian"),
        ("单田芳", "shantianfang"),
        ("尉迟恭", "yuchigong"),
        ("万俟卨", "moqixie"),
        ("翟志刚", "zhaizhigang"),
        ("张曾", "zhangceng"),
    ],
)
def test_surnames_in_personal_names(name: str, full: str) -> None:
    assert to_pinyin(name, personal_name=True)[0] == full


def test_surname_readings_apply_only_to_personal_names() -> None:
    assert to_pinyin("曾经")[0] == "cengjing"
    assert to_pinyin("解决", personal_name=False)[0] == "jiejue"
