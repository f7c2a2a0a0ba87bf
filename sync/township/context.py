"""What every township service works with: storage, keys, limits, an injected clock and id
generator (tests move time and name things without sleeping or guessing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peewee import Database

from sync.township.blobs import BlobFiles
from sync.township.config import Clock, Limits, utc_now
from sync.township.keys import TownshipKeys


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Context:
    database: Database
    keys: TownshipKeys
    blobs: BlobFiles
    files: Path
    limits: Limits = field(default_factory=Limits)
    clock: Clock = utc_now
    new_id: Callable[[], str] = new_uuid
