"""Where a station keeps its files (cheap to import: the window needs it before login)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StationPaths:
    """Where a station keeps its files."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "station.db"

    @property
    def keys(self) -> Path:
        return self.root / "station.keys"

    @property
    def throttle(self) -> Path:
        return self.root / "login.throttle"

    @property
    def materials(self) -> Path:
        return self.root / "materials"

    def exists(self) -> bool:
        return self.keys.exists() or self.db.exists()
