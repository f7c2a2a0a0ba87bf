"""This PC's preferences for the window: language, large fonts, idle lock, scans, printing.

They are needed before anyone logs in (the login screen's language and font size), so they
live in a small plain JSON file beside the encrypted store, and hold nothing personal.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from station.errors import StationError
from station.i18n import _
from station.atomic import write_atomically

log = logging.getLogger(__name__)

FILE_NAME = "preferences.json"
LANGUAGES = ("zh_CN", "en")
PAPER_SIZES = ("A4", "A5")


class PreferencesError(StationError):
    """A preference value is not acceptable."""


@dataclass(frozen=True)
class Preferences:
    language: str = "zh_CN"
    large_font: bool = False
    idle_minutes: float = 10.0
    scan_folder: str = ""
    printer: str = ""
    paper_size: str = "A4"

    def checked(self) -> Preferences:
        """This set of preferences; raises PreferencesError for a value out of range."""
        if self.language not in LANGUAGES:
            raise PreferencesError(_("Unknown language."))
        if self.paper_size not in PAPER_SIZES:
            raise PreferencesError(_("Unknown paper size."))
        if not 1 <= self.idle_minutes <= 240:
            raise PreferencesError(_("The idle lock must be between 1 and 240 minutes."))
        if self.scan_folder and not Path(self.scan_folder).is_dir():
            raise PreferencesError(_("The scan folder does not exist."))
        return self


def load(data_dir: Path) -> Preferences:
    """The saved preferences; defaults for a missing or damaged file (logged, not fatal)."""
    path = Path(data_dir) / FILE_NAME
    try:
        raw = json.loads(path.read_text("utf-8"))
        known = {f.name for f in fields(Preferences)}
        return replace(Preferences(), **{k: v for k, v in raw.items() if k in known}).checked()
    except FileNotFoundError:
        return Preferences()
    except (ValueError, TypeError, PreferencesError, AttributeError):
        log.warning("preferences file unreadable; using defaults")
        return Preferences()


def save(data_dir: Path, preferences: Preferences) -> None:
    """Check and store ``preferences`` atomically."""
    data = json.dumps(asdict(preferences.checked()), ensure_ascii=False, indent=1)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    write_atomically(Path(data_dir) / FILE_NAME, data.encode("utf-8"))
