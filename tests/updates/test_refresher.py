"""The township keeps its update repository fresh by itself: the refresher of ``township
serve`` (injected clock and waits), ``township maintain``, and the lock that lets
``township release add`` in another process run while the server re-signs."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Timestamp

from sync.engine.updates import Rollout, UpdateError, UpdateFreezeError
from sync.township.cli import main
from sync.township.config import utc_now
from sync.township.updates.keys import online_signers
from sync.township.updates.refresher import RepositoryRefresher, refresh_if_present
from sync.township.updates.repository import ReleaseRepository
from sync.township.updates.serving import repository_dir
from tests.township.server import PASSPHRASE, create_township
from tests.updates.conftest import Published, UpdaterFactory

ENV = {"TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en"}
LOG = "sync.township.updates.refresher"


def _timestamp(metadata: Path) -> Timestamp:
    signed = Metadata.from_file(str(metadata / "timestamp.json")).signed
    assert isinstance(signed, Timestamp)
    return signed


def _township(data: Path, *, repository: bool) -> ReleaseRepository:
    """A township in ``data``, with a new update repository when asked."""
    township = create_township(data)
    try:
        found = ReleaseRepository(repository_dir(data), online_signers(township.keys))
    finally:
        township.close()
    if repository:
        found.init_root([CryptoSigner.generate_ed25519()], 1)
    return found


class Days:
    """The refresher's injected clock and wait: time stands still except that each wait
    moves it on by as long as asked, and the refresher is told to stop once it reaches
    ``until``. ``first`` runs at the first wait (something changes meanwhile)."""

    def __init__(self, start: datetime, until: datetime,
                 first: Callable[[], object] = lambda: None) -> None:
        self.now, self.until, self._first = start, until, first
        self.waits: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def wait(self, seconds: float) -> bool:
        if not self.waits:
            self._first()
        self.waits.append(seconds)
        self.now += timedelta(seconds=seconds)
        return self.now >= self.until


def _refusal(updater: UpdaterFactory, refusals: list[type[Exception]]) -> None:
    """A station checks (after the refresh at start, signed 15 days ago)."""
    try:
        updater().check()
    except UpdateError as error:
        refusals.append(type(error))


def test_daily_refresh_keeps_a_station_updating(published: Published,
                                                updater: UpdaterFactory) -> None:
    published.release("0.2.0")
    now = utc_now().replace(microsecond=0)
    refusals: list[type[Exception]] = []
    days = Days(now - timedelta(days=15), until=now - timedelta(hours=12),
                first=lambda: _refusal(updater, refusals))
    before = _timestamp(published.metadata).version
    refresher = RepositoryRefresher(published.repository(clock=days.clock),
                                    clock=days.clock, wait=days.wait)
    refresher.start()
    refresher.stop()
    assert refusals == [UpdateFreezeError]
    assert _timestamp(published.metadata).version == before + 15
    assert set(days.waits) == {timedelta(hours=1).total_seconds()}
    assert _timestamp(published.metadata).expires.replace(tzinfo=None) == (
        now - timedelta(days=1) + timedelta(days=14))
    release = updater().check()
    assert release is not None and release.version == "0.2.0"


def test_refresh_at_start_unfreezes_a_station(published: Published,
                                              updater: UpdaterFactory) -> None:
    published.release("0.2.0")
    published.repository(clock=lambda: utc_now() - timedelta(days=15)).refresh()
    with pytest.raises(UpdateFreezeError):
        updater().check()
    refresher = RepositoryRefresher(published.repository())
    refresher.start()
    try:
        release = updater().check()
    finally:
        refresher.stop()
    assert release is not None and release.version == "0.2.0"


@pytest.mark.parametrize("present", ["nothing", "empty directory"])
def test_no_repository_nothing_happens(tmp_path: Path, present: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "tuf"
    if present == "empty directory":
        directory.mkdir()
    repository = ReleaseRepository(directory, {})
    refresher = RepositoryRefresher(repository)
    with caplog.at_level(logging.DEBUG, logger=LOG):
        refresher.start()
        refresher.stop()
        assert refresher.run_once() is False
    assert not refresh_if_present(repository)
    assert caplog.records == []
    assert sorted(tmp_path.rglob("*")) == ([directory] if present == "empty directory" else [])


def test_a_failing_refresh_is_logged_and_retried(published: Published,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    stamp = published.metadata / "timestamp.json"
    good = stamp.read_bytes()
    stamp.write_bytes(b'{"signed": "damaged by a full disk"}')
    now = utc_now()
    days = Days(now, until=now + timedelta(days=1, hours=1),
                first=lambda: stamp.write_bytes(good))
    refresher = RepositoryRefresher(published.repository(clock=days.clock),
                                    clock=days.clock, wait=days.wait)
    with caplog.at_level(logging.INFO, logger=LOG):
        refresher.start()
        refresher.stop()
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and "DeserializationError" in record.getMessage()
    assert str(published.directory) not in record.getMessage()
    assert "full disk" not in record.getMessage()
    assert _timestamp(published.metadata).version == Metadata.from_bytes(good).signed.version + 1
    assert days.waits.count(timedelta(hours=1).total_seconds()) == 25


@pytest.mark.parametrize("repository", [True, False])
def test_stop_ends_the_thread(tmp_path: Path, repository: bool) -> None:
    refresher = RepositoryRefresher(_township(tmp_path / "township", repository=repository))
    assert not refresher.running
    refresher.start()
    assert refresher.running
    refresher.stop()
    assert not refresher.running


def _cli(data: Path, *arguments: str) -> Result:
    return CliRunner().invoke(main, ["--data", str(data), *arguments], env=ENV)


MAINTAIN = [
    ("repository", [], True, 14),
    ("repository", ["--timestamp-days", "3"], True, 3),
    ("none", [], False, None),
]


@pytest.mark.parametrize(("state", "options", "refreshed", "days"), MAINTAIN)
def test_maintain_refreshes_the_repository(tmp_path: Path, state: str, options: list[str],
                                           refreshed: bool, days: int | None) -> None:
    data = tmp_path / "township"
    repository = _township(data, repository=state == "repository")
    before = utc_now().replace(microsecond=0)
    result = _cli(data, "maintain", *options)
    after = utc_now()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Removed 0 idle partial uploads")
    assert lines[1:] == (["The update repository is re-signed."] if refreshed else [])
    if days is None:
        assert not repository.directory.exists()
        return
    timestamp = _timestamp(repository.metadata_dir)
    assert timestamp.version == 2
    lifetime = timedelta(days=days)
    assert before + lifetime <= timestamp.expires.replace(tzinfo=None) <= after + lifetime


def test_maintain_reports_a_damaged_repository(tmp_path: Path) -> None:
    data = tmp_path / "township"
    repository = _township(data, repository=True)
    (repository.metadata_dir / "timestamp.json").write_bytes(b"{}")
    result = _cli(data, "maintain")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[1:] == [
        "Error: The update repository's metadata is damaged; restore the data directory's "
        "tuf folder from a backup."]


ADDS = 6
_ADDER = """
import sys
from sync.township.cli import main
data, artifact = sys.argv[1:]
print("ready", flush=True)
sys.stdin.readline()
for minor in range(%d):
    main(["--data", data, "release", "add", artifact, "--version", f"1.{minor}"],
         standalone_mode=False)
""" % ADDS


def test_release_add_in_another_process_while_the_server_refreshes(
        published: Published, updater: UpdaterFactory) -> None:
    artifact = published.artifacts / "village-station.zip"
    artifact.write_bytes(b"app" * 10_000)
    refresher = RepositoryRefresher(published.repository())
    refreshes = 0
    with subprocess.Popen([sys.executable, "-c", _ADDER, str(published.township.data_dir),
                           str(artifact)], env={**os.environ, **ENV}, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as adder:
        assert adder.stdin is not None and adder.stdout is not None
        assert adder.stdout.readline() == "ready\n"
        adder.stdin.write("go\n")
        adder.stdin.close()
        while adder.poll() is None:
            refreshes += refresher.run_once()
    assert adder.returncode == 0 and refreshes > 0
    assert published.repository().releases() == [Rollout(f"1.{minor}") for minor in range(ADDS)]
    assert _timestamp(published.metadata).version == 1 + ADDS + refreshes
    release = updater().check()
    assert release is not None and release.version == f"1.{ADDS - 1}"


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[ReleaseRepository, subprocess.Popen[str]]]:
    """``township serve`` in a process of its own, on a township with a repository."""
    data = tmp_path / "township"
    repository = _township(data, repository=True)
    with subprocess.Popen(
            [sys.executable, "-c", "from sync.township.cli import main; main()", "--data",
             str(data), "serve", "--port", "0"],
            env={**os.environ, **ENV}, stderr=subprocess.PIPE, text=True) as process:
        try:
            yield repository, process
        finally:
            process.terminate()


def test_serve_refreshes_at_start_and_stops_cleanly(
        serving: tuple[ReleaseRepository, subprocess.Popen[str]]) -> None:
    repository, process = serving
    assert process.stderr is not None
    for line in process.stderr:
        if "Uvicorn running" in line:
            break
    assert _timestamp(repository.metadata_dir).version == 2
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait() == 0 and "Traceback" not in rest
