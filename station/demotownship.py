"""The demo's township platform: made once beside the demo station, served on 127.0.0.1
while the demo runs, with a reviewer and an admin account, and the demo station enrolled.

The township runs as its own process through the ``township`` command (``python -m
sync.township``), exactly as a township centre would run it; the station only talks
to it over HTTP, and enrols by reading the QR picture the township writes, as an agent
would. Demo secrets are printed on purpose: they guard demo data only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from station import session as sessions, syncstate
from station.demo import DEMO_LOGIN, DEMO_PASSWORD, DEMO_SETUP
from station.enrolment import enrol, parse_link, read_qr_link
from station.errors import StationError
from station.i18n import _

PASSPHRASE = "demo-township-2026"
REVIEWER = ("reviewer", "review-pass-2026")
ADMIN = ("admin", "admin-pass-2026")
DEFAULT_PORT = 8470
_START_SECONDS = 30.0


class DemoTownshipError(StationError):
    """The demo township could not be set up or started; the message says what to do."""


@dataclass(frozen=True)
class DemoTownship:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def console_url(self) -> str:
        return self.url + "/console/"

    def ensure(self) -> list[str]:
        """Create the township with its two console accounts unless it is there."""
        if (self.directory / "township.keys").exists():
            return [_("The demo township is already set up in {path}.").format(
                path=self.directory)]
        self._run("init", "--name", _("Demo township"), "--url", self.url)
        for (login, password), role in ((REVIEWER, "reviewer"), (ADMIN, "admin")):
            self._run("user", "add", login, "--role", role, password=password)
        return [_("Created the demo township in {path}.").format(path=self.directory)]

    def start(self) -> subprocess.Popen:
        """Serve the township until the returned process is stopped; wait until it answers.

        Raises DemoTownshipError when it does not come up (the port may be taken).
        """
        with open(self.directory / "serve.log", "ab") as log:
            server = subprocess.Popen(self._command("serve", "--port", str(self.port)),
                                      env=self._env(), stdout=log, stderr=log)
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            if self._answers():
                return server
            time.sleep(0.2)
        stop(server)
        raise DemoTownshipError(_(
            "The demo township did not start on port {port}: another program may use it. "
            "Close it, or run the demo with --port and another number; the township's log is "
            "{log}.").format(port=self.port, log=self.directory / "serve.log"))

    def enrol_station(self, station_dir: Path) -> list[str]:
        """Enrol the demo station unless it is enrolled: the township makes a code and its QR
        picture, the station reads the picture and enrols."""
        with sessions.login(station_dir, DEMO_LOGIN, DEMO_PASSWORD) as session:
            if syncstate.enrolment() is not None:
                return [_("The demo station is enrolled with the demo township.")]
            with tempfile.TemporaryDirectory() as scratch:
                picture = Path(scratch) / "enrolment.png"
                self._run("station", "add", DEMO_SETUP.name, "--qr", str(picture))
                url, code = parse_link(read_qr_link(picture))
            enrol(session, url, code)
        return [_("Enrolled the demo station with the demo township.")]

    def _answers(self) -> bool:
        hello = urllib.request.Request(self.url + "/api/v1/hello",
                                       headers={"Sync-Protocol": "1"})
        try:
            with urllib.request.urlopen(hello, timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def _run(self, *args: str, password: str | None = None) -> None:
        env = self._env()
        if password is not None:
            env["TOWNSHIP_USER_PASSWORD"] = password
        done = subprocess.run(self._command(*args), env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise DemoTownshipError(_("Setting up the demo township failed ({step}): {error}")
                                    .format(step=args[0], error=done.stderr.strip()[-300:]))

    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "sync.township", "--data", str(self.directory), *args]

    @staticmethod
    def _env() -> dict[str, str]:
        return {**os.environ, "TOWNSHIP_PASSPHRASE": PASSPHRASE}


def stop(server: subprocess.Popen) -> None:
    """Stop a township started by :meth:`DemoTownship.start`."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def sign_in_lines(township: DemoTownship) -> list[str]:
    """How to open the console, for the agent trying the demo."""
    return [
        _("Township console: {url}").format(url=township.console_url),
        _("  reviewer: {login} / {password}").format(login=REVIEWER[0], password=REVIEWER[1]),
        _("  admin:    {login} / {password}").format(login=ADMIN[0], password=ADMIN[1]),
    ]
