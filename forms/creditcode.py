"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY``: registration authority (1), entity
type (2), the registering authority's GB/T 2260 region code (3-8), the organisation code
(9-17) and a check character (18) with weights 3^(i-1) mod 31.

A wrong check character is reported in ``checksum_ok``, not raised: some codes issued in
practice fail it and the agent may accept them with a reason. Likewise a region segment
that is not in the bundled GB/T 2260 table (development zones register under their own
codes) only clears ``region_ok``; an unknown province part is an error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from forms.errors import ValidationError
from forms.i18n import _
from forms.regions import is_known_province, is_known_region, region_name

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_NATIONAL_REGION = "100000"

# Registration authorities and their entity types: GB 32100-2015 table 1 as amended
# (amendments added 2, 3, 4, 6, 7, 8, A and N). Names are data shown as published.
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {
            "1": "机关",
            "2": "事业单位",
            "3": "中央编办直接管理机构编制的群众团体",
            "9": "其他",
        },
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {
            "1": "组级集体经济组织",
            "2": "村级集体经济组织",
            "3": "乡镇级集体经济组织",
            "9": "其他",
        },
    ),
    "Y": ("其他", {"1": "其他"}),
}


class InvalidCreditCodeError(ValidationError):
    """A credit code breaks a rule; ``code`` is one of length, charset, authority, type,
    region."""


@dataclass(frozen=True)
class CreditCodeResult:
    """A structurally valid credit code and what the checks found."""

    code: str
    checksum_ok: bool
    region_ok: bool
    authority_name: str
    entity_type_name: str
    region_code: str
    region_name: str | None


def check_credit_code(text: str) -> CreditCodeResult:
    """Validate and normalise (upper case, half width, no spaces) a credit code.

    Raises InvalidCreditCodeError for a wrong length, character, authority, type or
    province; a wrong check character only clears ``checksum_ok``.
    """
    code = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
    if len(code) != 18:
        raise InvalidCreditCodeError(_("A unified social credit code has 18 characters."), "length")
    if any(char not in ALPHABET for char in code) or not code[2:8].isdigit():
        raise InvalidCreditCodeError(
            _("A unified social credit code uses digits and capital letters except I, O, S, V, Z."),
            "charset",
        )
    authority_name, type_name = _authority(code[0], code[1])
    region = code[2:8]
    region_ok = _check_region(region)
    return CreditCodeResult(
        code=code,
        checksum_ok=credit_check_char(code[:17]) == code[17],
        region_ok=region_ok,
        authority_name=authority_name,
        entity_type_name=type_name,
        region_code=region,
        region_name=region_name(region) if region_ok else None,
    )


def credit_check_char(body: str) -> str:
    """The check character of the first 17 characters ``body``."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[-total % 31]


def _authority(authority: str, entity_type: str) -> tuple[str, str]:
    if authority not in AUTHORITIES:
        raise InvalidCreditCodeError(
            _("The first character of the credit code is not a registration authority."),
            "authority",
        )
    authority_name, types = AUTHORITIES[authority]
    if entity_type not in types:
        raise InvalidCreditCodeError(
            _("The second character of the credit code is not an entity type of its authority."),
            "type",
        )
    return authority_name, types[entity_type]


def _check_region(region: str) -> bool:
    if region == _NATIONAL_REGION:
        return True
    if not is_known_province(region[:2]):
        raise InvalidCreditCodeError(
            _("Characters 3 to 8 of the credit code are not a region code."), "region"
        )
    return is_known_region(region)
