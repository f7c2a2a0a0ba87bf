"""Sample matter definitions and catalogs for the forms tests (not a test module)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

TINY_CATALOG = Path(__file__).parent / "catalogs" / "tiny"
BUNDLED_CATALOG = Path(__file__).parents[2] / "assets" / "catalog"
VALID_ID = "11010519491231002X"
VALID_CREDIT_CODE = "91350100M000100Y43"
BAD_CHECK_CREDIT_CODE = "91350100M000100Y44"

_BASE: dict[str, Any] = {
    "format": 1,
    "code": "TEST-001",
    "name": "城乡居民基本医疗保险参保登记",
    "category": "医疗保障",
    "type": "公共服务",
    "department": "县医疗保障局",
    "handling_level": "县级",
    "station_role": "代办",
    "legal_basis": ["《中华人民共和国社会保险法》第二十三条"],
    "conditions": ["本县户籍居民"],
    "materials": [
        {"code": "id_card", "name": "居民身份证", "form": "original", "copies": 0,
         "deferrable": False},
    ],
    "fields": [],
    "process": [{"name": "申请", "actor": "村代办员", "description": "代为提交申请"}],
    "time_limits": {"statutory_days": 20, "promised_days": 5},
    "fees": {"free": True},
    "delivery": {"methods": ["窗口领取"]},
    "guide": "请携带身份证原件。",
}


def matter_data(fields: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    """A complete, valid matter definition with ``fields`` and top-level ``changes``."""
    data = copy.deepcopy(_BASE)
    if fields is not None:
        data["fields"] = copy.deepcopy(fields)
    data.update(copy.deepcopy(changes))
    return data


def choice(field_id: str, *values: str, **extra: Any) -> dict[str, Any]:
    """A choice field with ``values`` (labels are the values)."""
    return {
        "id": field_id,
        "type": "choice",
        "label": field_id,
        "choices": [{"value": value, "label": value} for value in values],
        **extra,
    }


def field(field_id: str, field_type: str = "text", **extra: Any) -> dict[str, Any]:
    """A field definition."""
    return {"id": field_id, "type": field_type, "label": field_id, **extra}


def write_yaml(path: Path, data: Any) -> Path:
    """Write ``data`` as YAML to ``path`` (creating folders); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def write_catalog(root: Path, matters: list[dict[str, Any]], version: int = 1) -> Path:
    """A catalog directory under ``root`` with ``matters``; return its path."""
    header = {"format": 1, "id": "test-county", "title": "测试县事项目录", "version": version,
              "published": "2026-11-01"}
    write_yaml(root / "catalog.yaml", header)
    for data in matters:
        write_yaml(root / "matters" / f"{data['code']}.yaml", data)
    return root
