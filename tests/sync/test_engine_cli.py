"""``station enrol URL CODE`` and ``station sync --once`` against a real township, with
their exit codes: 0 done, 2 items set aside or station refused, 3 offline."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from station import session as sessions
from station.applicants import ApplicantInput
from station.models import Case
from station.sync_models import SyncEnrolment
from tests.station.conftest import PASSWORD, SETUP
from tests.station.test_cli import one_line_error, run
from tests.sync.conftest import queue_case


@pytest.fixture
def enrolled_dir(station_dir: Path, township) -> Path:  # noqa: ANN001
    """A station enrolled through the CLI, with one queued case."""
    code = township.add_station("Village A")
    result = run(station_dir, "enrol", township.url, code.code)
    assert result.exit_code == 0, result.output
    assert code.station in result.output
    return station_dir


def _with_session(station_dir: Path, clock, action) -> None:  # noqa: ANN001
    with sessions.login(station_dir, SETUP.login, PASSWORD, clock=clock) as session:
        action(session)


def _queue(matter, pages):  # noqa: ANN001, ANN202
    def action(session) -> None:  # noqa: ANN001
        applicant = session.applicants.save(ApplicantInput(name="欧阳明珠",
                                                           id_number="11010519491231002x"))
        queue_case(session, matter, applicant, pages)

    return action


def test_sync_once_sends_the_queue(enrolled_dir, clock, matter, pages) -> None:
    _with_session(enrolled_dir, clock, _queue(matter, pages))
    result = run(enrolled_dir, "sync", "--once", "--login", "wang")
    assert result.exit_code == 0, result.output
    assert "Sent 1, set aside 0" in result.output

    def check(session) -> None:  # noqa: ANN001
        assert [c.state for c in Case.select()] == ["uploaded"]

    _with_session(enrolled_dir, clock, check)


def test_a_revoked_station_exits_2(enrolled_dir, township, clock, matter, pages) -> None:
    _with_session(enrolled_dir, clock, _queue(matter, pages))
    township.service.stations.revoke(township.service.overview.health()[0].station)
    result = run(enrolled_dir, "sync", "--once")
    assert result.exit_code == 2
    assert "does not accept this station" in result.stderr


def test_no_network_exits_3(enrolled_dir, clock) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    def move(session) -> None:  # noqa: ANN001
        SyncEnrolment.update(url=f"http://127.0.0.1:{port}").execute()

    _with_session(enrolled_dir, clock, move)
    result = run(enrolled_dir, "sync", "--once")
    assert result.exit_code == 3
    assert "cannot be reached" in result.stderr


def test_sync_before_enrolment_says_so(station_dir) -> None:
    result = run(station_dir, "sync", "--once")
    assert result.exit_code == 1
    assert "not enrolled" in result.stderr


def test_enrol_with_a_used_code_fails_plainly(station_dir, township) -> None:
    code = township.add_station().code
    assert run(station_dir, "enrol", township.url, code).exit_code == 0
    again = run(station_dir, "enrol", township.url, code)
    assert again.exit_code == 1 and "already enrolled" in again.stderr


def _exported_and_answered(station_dir: Path, township, tmp_path: Path) -> Path:  # noqa: ANN001
    """``station export-bundle``, taken by the township; the return bundle it writes."""
    out = tmp_path / "out.zip"
    result = run(station_dir, "export-bundle", str(out), "--login", "wang")
    assert result.exit_code == 0, result.output
    assert "items 1, page files 2" in result.stdout
    taken = township.service.bundles.import_outbound(out)
    back = tmp_path / "back.zip"
    township.service.bundles.write_return(taken.station, back, taken.answered)
    return back


def test_a_bundle_out_and_back_through_the_cli(enrolled_dir, township, clock, matter, pages,
                                               tmp_path) -> None:
    _with_session(enrolled_dir, clock, _queue(matter, pages))
    back = _exported_and_answered(enrolled_dir, township, tmp_path)
    first = run(enrolled_dir, "import-bundle", str(back), "--login", "wang")
    assert first.exit_code == 0, first.output
    assert "Receipts: 1 new, 0 already here." in first.stdout
    again = run(enrolled_dir, "import-bundle", str(back))
    assert again.exit_code == 0, again.output
    assert "Receipts: 0 new, 1 already here." in again.stdout

    def check(session) -> None:  # noqa: ANN001
        assert [c.state for c in Case.select()] == ["uploaded"]

    _with_session(enrolled_dir, clock, check)


def test_a_refused_return_bundle_exits_2(enrolled_dir, township, clock, matter, pages,
                                         tmp_path) -> None:
    _with_session(enrolled_dir, clock, _queue(matter, pages))
    back = _exported_and_answered(enrolled_dir, township, tmp_path)
    short = tmp_path / "short.zip"
    short.write_bytes(back.read_bytes()[:-100])
    line = one_line_error(run(enrolled_dir, "import-bundle", str(short)), 2)
    assert "damaged or incomplete" in line or "not a bundle" in line


def test_an_empty_queue_exports_nothing(enrolled_dir, tmp_path) -> None:
    out = tmp_path / "out.zip"
    result = run(enrolled_dir, "export-bundle", str(out))
    assert result.exit_code == 0, result.output
    assert "Nothing to export" in result.stdout and not out.exists()


def test_an_item_set_aside_on_export_exits_2(enrolled_dir, clock, matter, pages,
                                             tmp_path) -> None:
    _with_session(enrolled_dir, clock, _queue(matter, pages))

    def lose_a_page(session) -> None:  # noqa: ANN001
        page = next(iter(Case.get().pages))
        session.blobs.path_of(page.blob_name).unlink()

    _with_session(enrolled_dir, clock, lose_a_page)
    result = run(enrolled_dir, "export-bundle", str(tmp_path / "out.zip"))
    assert result.exit_code == 2
    assert "No bundle was written" in result.stdout and not (tmp_path / "out.zip").exists()
    assert "Item 1 was set aside" in result.stdout and "page file" in result.stdout


def test_import_bundle_before_enrolment_says_so(station_dir, tmp_path) -> None:
    stray = tmp_path / "back.zip"
    stray.write_bytes(b"PK\x03\x04 not really")
    line = one_line_error(run(station_dir, "import-bundle", str(stray)))
    assert "not enrolled" in line


def test_an_export_that_cannot_be_written_fails_plainly(enrolled_dir, clock, matter, pages,
                                                        tmp_path) -> None:
    _with_session(enrolled_dir, clock, _queue(matter, pages))
    target = tmp_path / "unplugged" / "out.zip"
    line = one_line_error(run(enrolled_dir, "export-bundle", str(target)))
    assert "could not be written" in line and not target.parent.exists()
