"""The agents' login names in the key file, read without its cryptography.

The login window lists them at start-up, before anything heavier has loaded
(``bench/ui_start.py``); :mod:`station.keyformat` builds on the format constants and the
checksum here and does the full verification.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FORMAT = "village-station-keys"
FORMAT_VERSION = 1
AGENT_PREFIX = "agent:"


def checksum(body: Mapping[str, Any]) -> str:
    """The SHA-256 of the key file body's canonical JSON, as the file stores it."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def logins(path: Path) -> list[str] | None:
    """The agents' login names, sorted; None when the file is missing or not well formed
    (``KeyFile.load`` then says what is wrong)."""
    try:
        obj = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if (not isinstance(obj, dict) or obj.get("format") != FORMAT
            or obj.get("version") != FORMAT_VERSION
            or not isinstance(obj.get("principals"), dict)):
        return None
    body = {key: value for key, value in obj.items() if key != "checksum"}
    if obj.get("checksum") != checksum(body):
        return None
    return sorted(pid[len(AGENT_PREFIX):] for pid in obj["principals"]
                  if pid.startswith(AGENT_PREFIX) and len(pid) > len(AGENT_PREFIX))
