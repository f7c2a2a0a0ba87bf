"""Per-PC preferences: defaults, round trip, bad values refused, damaged file tolerated."""

from __future__ import annotations

from pathlib import Path

import pytest

from station import preferences
from station.preferences import Preferences, PreferencesError


def test_defaults_when_missing(tmp_path: Path) -> None:
    assert preferences.load(tmp_path) == Preferences()
    assert Preferences().language == "zh_CN"


def test_round_trip(tmp_path: Path) -> None:
    chosen = Preferences(language="en", large_font=True, idle_minutes=3, scan_folder=str(tmp_path),
                         paper_size="A5")
    preferences.save(tmp_path, chosen)
    assert preferences.load(tmp_path) == chosen


@pytest.mark.parametrize(
    "change", [{"language": "fr"}, {"paper_size": "B5"}, {"idle_minutes": 0},
               {"scan_folder": "/no/such/folder"}],
)
def test_bad_values_are_refused(tmp_path: Path, change: dict) -> None:
    with pytest.raises(PreferencesError):
        preferences.save(tmp_path, Preferences(**change))
    assert not (tmp_path / preferences.FILE_NAME).exists()


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"idle_minutes": "x"}',
                                     '{"language": "fr"}'])
def test_damaged_file_gives_defaults(tmp_path: Path, content: str) -> None:
    (tmp_path / preferences.FILE_NAME).write_text(content, "utf-8")
    assert preferences.load(tmp_path) == Preferences()


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    (tmp_path / preferences.FILE_NAME).write_text('{"large_font": true, "colour": "red"}', "utf-8")
    assert preferences.load(tmp_path).large_font is True
