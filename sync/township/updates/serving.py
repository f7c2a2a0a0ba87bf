"""Which file of the TUF repository answers ``GET /tuf/<path>``: read-only, no listing,
nothing outside ``<data>/tuf/`` (TUF's signatures are the security; no request auth)."""

from __future__ import annotations

from pathlib import Path

from sync.township.errors import NotFoundError

REPOSITORY_DIR = "tuf"
_TOP = ("metadata", "targets")


def repository_dir(data_dir: Path) -> Path:
    """The repository of the township whose data directory is ``data_dir``."""
    return data_dir / REPOSITORY_DIR


def served_file(directory: Path, path: str) -> Path:
    """The file at ``path`` under ``directory``. Raises NotFoundError for anything that is
    not a regular file under ``metadata/`` or ``targets/`` (``..``, hidden, temporary)."""
    parts = path.split("/")
    if (len(parts) < 2 or parts[0] not in _TOP
            or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
            or parts[-1].endswith(".tmp")):
        raise NotFoundError("no such repository file")
    found = directory.joinpath(*parts)
    if not found.is_file():
        raise NotFoundError("no such repository file")
    return found
