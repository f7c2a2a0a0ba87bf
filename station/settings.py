"""Station settings kept in the encrypted store, with their defaults."""

from __future__ import annotations

from typing import Any

from station.models import Setting

DEFAULTS: dict[str, Any] = {
    # Days after delivery before a case's page files are purged (the ledger row stays).
    "retention_days": 365,
}


def get(key: str) -> Any:
    """The setting's value, or its default."""
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else DEFAULTS[key]


def put(key: str, value: Any) -> None:
    """Store a setting (inside the caller's transaction, if any)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    Setting.replace(key=key, value=value).execute()
