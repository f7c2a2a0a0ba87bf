"""The first-run wizard: create the station and its first agent, show the recovery code,
offer enrolment with the township (after the first login)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from station import session as sessions
from station.clock import Clock
from station.i18n import _

FIELDS = ("code", "name", "township", "login", "display_name", "password", "confirm")


@dataclass
class FirstRunForm:
    """What the agent typed in the wizard."""

    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))


class FirstRunPresenter:
    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self._data_dir = Path(data_dir)
        self._clock = clock
        self.recovery_code: str | None = None

    @staticmethod
    def problems(form: FirstRunForm) -> dict[str, str]:
        """Field -> message for everything that must be fixed before creating the station."""
        values = {key: value.strip() for key, value in form.values.items()}
        found = {}
        for key in FIELDS:
            if not values.get(key):
                found[key] = _("Required.")
        code = values.get("code", "").upper()
        if code and not sessions.station_code_ok(code):
            found["code"] = _("2-20 capital letters or digits.")
        if values.get("login") and not sessions.login_ok(values["login"]):
            found["login"] = _("Lower-case letters and digits, starting with a letter.")
        password = form.values.get("password", "")
        if password and len(password) < sessions.MIN_PASSWORD_LENGTH:
            found["password"] = _("At least {n} characters.").format(n=sessions.MIN_PASSWORD_LENGTH)
        if form.values.get("confirm") and form.values.get("confirm") != password:
            found["confirm"] = _("The two passwords differ.")
        return found

    def create(self, form: FirstRunForm) -> str:
        """Create the station (slow: runs on the worker); return the recovery code."""
        values = form.values
        setup = sessions.StationSetup(
            code=values["code"].strip().upper(),
            name=values["name"].strip(),
            township=values["township"].strip(),
            login=values["login"].strip(),
            display_name=values["display_name"].strip(),
            password=values["password"],
        )
        self.recovery_code = sessions.init_station(self._data_dir, setup, clock=self._clock)
        return self.recovery_code

    @staticmethod
    def enrolment_note() -> str:
        """What enrolling is for and what it needs (offered once the station exists)."""
        return _(
            "Enrolling connects the station to the township, so cases upload by themselves. "
            "You need the address and the one-time code the township gave you, or the QR "
            "picture it printed. You can also enrol later, in Settings."
        )
