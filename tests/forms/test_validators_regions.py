"""The bundled GB/T 2260 region table: current and historical codes, and full names."""

from __future__ import annotations

from importlib import resources

import pytest

from forms.regions import is_known_province, is_known_region, region_name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("110000", "北京市"),
        ("110105", "北京市朝阳区"),
        ("110103", "北京市崇文区"),  # merged into 东城区 in 2010
        ("120107", "天津市塘沽区"),  # merged into 滨海新区 in 2009
        ("120110", "天津市东丽区"),  # 东郊区 until 1991: the latest name is shown
        ("130102", "河北省石家庄市长安区"),
        ("370100", "山东省济南市"),
        ("370181", "山东省济南市章丘市"),  # a district under another code since 2016
        ("419001", "河南省济源市"),  # grouping entry 省直辖县级行政单位 left out
        ("440305", "广东省深圳市南山区"),
        ("540102", "西藏自治区拉萨市城关区"),
        ("810000", "香港特别行政区"),
    ],
)
def test_known_codes_and_their_names(code: str, name: str) -> None:
    assert is_known_region(code)
    assert region_name(code) == name


@pytest.mark.parametrize("code", ["000000", "110199", "990000", "1101", "abcdef", ""])
def test_unknown_codes(code: str) -> None:
    assert not is_known_region(code)
    assert region_name(code) is None


@pytest.mark.parametrize(
    ("prefix", "known"), [("11", True), ("65", True), ("82", True), ("10", False), ("99", False)]
)
def test_provinces(prefix: str, known: bool) -> None:
    assert is_known_province(prefix) is known


def test_the_table_ships_as_package_data_and_states_its_source() -> None:
    text = resources.files("forms").joinpath("data", "regions.csv").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("python-stdnum 2.2" in line for line in header)
    assert sum(1 for line in text.splitlines() if line[:1].isdigit()) > 6000
