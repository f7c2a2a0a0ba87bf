"""The settings screen: this PC's preferences, a backup on demand, the enrolment."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from station import preferences
from station.backup import BackupReport, create_backup
from station.i18n import _
from station.preferences import Preferences
from station.session import Session
from station.ui.presenters.enrol import EnrolmentInfo, enrolment_info


class SettingsPresenter:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.data_dir = session.paths.root
        self.current = preferences.load(self.data_dir)
        self.restart_needed = False

    def save(self, **changes: Any) -> Preferences:
        """Store the changed preferences. Raises PreferencesError; nothing is saved then."""
        chosen = replace(self.current, **changes)
        preferences.save(self.data_dir, chosen)
        language_changed = chosen.language != self.current.language
        self.current = chosen
        self.restart_needed = language_changed
        return chosen

    def enrolment(self) -> EnrolmentInfo | None:
        """The station's enrolment with its township; None before it is enrolled."""
        return enrolment_info()

    def backup(self, target: Path) -> BackupReport:
        """Write a backup (slow: runs on the worker)."""
        return create_backup(self._session, target)

    @staticmethod
    def backup_done(report: BackupReport) -> str:
        return _("Backup written to {path}.").format(path=report.path)
