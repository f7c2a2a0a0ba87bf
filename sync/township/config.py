"""Where a township keeps its files and the limits it enforces."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sync.envelope import MAX_ENVELOPE_BYTES

KEYS_FILE = "township.keys"
DATABASE_FILE = "township.db"
SETTINGS_FILE = "township.json"
MiB = 1024 * 1024
MAX_NUMBER = 2 ** 31 - 1  # sequences, revisions, cursors: what every backend's INTEGER holds
MAX_NAME = 255  # names, versions and codes: what a CharField holds

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: naive UTC, the form the database keeps."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Limits:
    """What the township accepts; the API refuses anything larger with 413."""

    max_chunk: int = 8 * MiB
    max_blob: int = 256 * MiB
    max_envelope: int = MAX_ENVELOPE_BYTES
    max_ledger: int = 16 * MiB
    max_json: int = 64 * 1024
    max_result_file: int = 64 * MiB
    events_page: int = 100
    max_events_page: int = 500
    enrolment_valid: timedelta = timedelta(days=7)
    nonce_window: timedelta = timedelta(seconds=600)

    @property
    def max_body(self) -> int:
        return max(self.max_chunk, self.max_envelope, self.max_ledger, self.max_json)


@dataclass(frozen=True)
class Retention:
    """How long housekeeping keeps what only serves for a while: a partial upload nobody
    continued, and heartbeats (the newest of each station always stays)."""

    upload_idle: timedelta = timedelta(days=7)
    heartbeats: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Layout:
    """The files of one township's data directory."""

    root: Path

    @property
    def keys(self) -> Path:
        return self.root / KEYS_FILE

    @property
    def settings(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def files(self) -> Path:
        return self.root / "files"

    def default_database(self) -> str:
        return str(self.root / DATABASE_FILE)


@dataclass(frozen=True)
class Settings:
    """What ``township init`` records beside the keys: where the database is, the public URL."""

    database: str | None = None
    url: str = "http://127.0.0.1:8470"

    def save(self, path: Path) -> None:
        body = {"database": self.database, "url": self.url}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", "utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """The saved settings, or the defaults when there is no file."""
        if not path.exists():
            return cls()
        body = json.loads(path.read_text("utf-8"))
        return cls(body.get("database"), body.get("url", cls.url))
