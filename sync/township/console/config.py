"""What the console enforces: session lifetimes, upload sizes, when a station counts as
silent, how many rows a page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sync.township.config import MiB


@dataclass(frozen=True)
class ConsoleConfig:
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_timeout: timedelta = timedelta(hours=12)
    max_form: int = 1 * MiB
    max_bundle: int = 4096 * MiB
    silent_days: int = 3
    due_soon_days: int = 3
    page_size: int = 50
