"""`station demo`: the demo station and a local township it is enrolled with, for real."""

from __future__ import annotations

import socket
from pathlib import Path

from station import session as sessions, syncstate
from station.demo import DEMO_LOGIN, DEMO_PASSWORD
from tests.station.test_cli import one_line_error, run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_demo_sets_up_both_ends_enrols_and_stops_its_township(tmp_path: Path) -> None:
    port = _free_port()
    station_dir = tmp_path / "station"
    first = run(station_dir, "demo", "--no-window", "--port", str(port), password=None)
    assert first.exit_code == 0, first.output
    assert f"http://127.0.0.1:{port}/console/" in first.output
    assert "reviewer / review-pass-2026" in first.output
    assert "Enrolled the demo station" in first.output
    assert (tmp_path / "station-township" / "township.keys").exists()
    assert not _listening(port), "the township stops with the demo"
    with sessions.login(station_dir, DEMO_LOGIN, DEMO_PASSWORD) as session:
        enrolment = syncstate.enrolment()
        assert enrolment is not None and enrolment.url == f"http://127.0.0.1:{port}"
        assert session.agent.login == DEMO_LOGIN

    again = run(station_dir, "demo", "--no-window", "--port", str(port), password=None)
    assert again.exit_code == 0, again.output
    assert "already set up" in again.output and "is enrolled" in again.output


def test_a_township_that_cannot_start_is_a_plain_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(tmp_path / "station", "demo", "--no-window", "--port", str(port),
                     password=None)
    error = one_line_error(result)
    assert str(port) in error and "another program" in error and "serve.log" in error
