"""The ``township`` command: init, serve, station add/code/revoke, bundles, maintain,
openapi."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from sync.bundle import read_return, write_outbound
from sync.township.api import openapi_text
from sync.township.cli import main
from sync.township.service import init_township, open_township
from tests.township.client import enrol_directly
from tests.township.server import CHEAP_KDF

PASSPHRASE = "a long township passphrase"
ENV = {"TOWNSHIP_PASSPHRASE": PASSPHRASE, "TOWNSHIP_LANGUAGE": "en", "LANGUAGE": "en"}


def _run(data: Path, *args: str, passphrase: str = PASSPHRASE) -> Result:
    return CliRunner().invoke(main, ["--data", str(data), *args],
                              env={**ENV, "TOWNSHIP_PASSPHRASE": passphrase})


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A township made like ``init`` makes it, with a cheap KDF to keep the suite fast."""
    data = tmp_path / "township"
    init_township(data, PASSPHRASE, "Lianhua", url="https://township.example", kdf=CHEAP_KDF)
    return data


def test_init_creates_keys_settings_and_database(tmp_path: Path) -> None:
    data = tmp_path / "new"
    result = _run(data, "init", "--name", "Lianhua", "--url", "https://township.example/")
    assert result.exit_code == 0, result.output
    names = {p.name for p in data.iterdir()}
    assert names >= {"township.keys", "township.json", "township.db"}
    township = open_township(data, PASSPHRASE)
    try:
        assert township.keys.name == "Lianhua"
        assert township.settings.url == "https://township.example"
    finally:
        township.close()


def test_init_twice_is_refused(data: Path) -> None:
    result = _run(data, "init", "--name", "Again")
    assert result.exit_code == 1
    assert "Error:" in result.output


def test_a_wrong_passphrase_says_so(data: Path) -> None:
    result = _run(data, "station", "add", "Village A", passphrase="guess")
    assert result.exit_code == 1
    assert "passphrase does not open" in result.output


def test_station_add_prints_the_code_and_writes_its_qr(data: Path, tmp_path: Path) -> None:
    qr = tmp_path / "code.png"
    result = _run(data, "station", "add", "Village A", "--qr", str(qr))
    assert result.exit_code == 0, result.output
    code = result.output.split("Enrolment code: ")[1][:9]
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(qr)], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert decoded == f"vsenrol:https://township.example#{code}"


def test_station_code_and_revoke(data: Path) -> None:
    township = open_township(data, PASSPHRASE)
    try:
        station = enrol_directly(township)
    finally:
        township.close()
    assert _run(data, "station", "code", station.id).exit_code == 0
    assert _run(data, "station", "revoke", station.id).exit_code == 0
    unknown = _run(data, "station", "revoke", "nobody")
    assert (unknown.exit_code, unknown.output) == (1, "Error: There is no station with that id.\n")


def test_import_bundle_writes_the_return_bundle(data: Path, tmp_path: Path) -> None:
    township = open_township(data, PASSPHRASE)
    try:
        station = enrol_directly(township)
    finally:
        township.close()
    page = os.urandom(1000)
    bundle = tmp_path / "station.zip"
    write_outbound(bundle, station.id, station.key, [(1, station.envelope(1, blobs=(page,)))],
                   [(hashlib.sha256(page).hexdigest(), len(page), lambda: io.BytesIO(page))])
    result = _run(data, "import-bundle", str(bundle))
    assert result.exit_code == 0, result.output
    assert "1 new, 0 already held, 0 refused" in result.output
    back = read_return(tmp_path / "station-return.zip", station.enrolment.signing_key,
                       station.id)
    assert len(back.receipts) == 1
    exported = tmp_path / "again.zip"
    assert _run(data, "export-bundle", "--station", station.id, str(exported)).exit_code == 0
    assert read_return(exported, station.enrolment.signing_key, station.id).receipts == \
        back.receipts


def test_a_bad_bundle_is_one_line_of_error(data: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    result = _run(data, "import-bundle", str(junk))
    assert result.exit_code == 1
    assert result.output.startswith("Error:")


def test_maintain_purges_and_says_how_much(data: Path) -> None:
    township = open_township(data, PASSPHRASE, clock=lambda: datetime(2020, 1, 1))
    try:
        station = enrol_directly(township).id
        township.uploads.create(station, hashlib.sha256(b"page").hexdigest(), 4)
        township.reconciliation.heartbeat(station, {"queue": 0, "quarantined": 0,
                                                    "app_version": "1.0", "highest_seq": 0})
        township.reconciliation.heartbeat(station, {"queue": 1, "quarantined": 0,
                                                    "app_version": "1.0", "highest_seq": 0})
    finally:
        township.close()
    result = _run(data, "maintain", "--upload-days", "30", "--heartbeat-days", "30")
    assert result.exit_code == 0, result.output
    assert result.output == ("Removed 1 idle partial uploads, 0 expired nonces and "
                             "1 old heartbeats.\n")
    assert _run(data, "maintain", "--upload-days", "0").exit_code == 2


def test_openapi_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    assert CliRunner().invoke(main, ["openapi", str(target)], env=ENV).exit_code == 0
    assert target.read_text(encoding="utf-8") == openapi_text()


def test_serve_answers_hello(data: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from sync.township.cli import main; main()", "--data",
         str(data), "serve", "--port", str(port)],
        env={**os.environ, **ENV}, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if "Uvicorn running" in line:
                break
        answer = requests.get(f"http://127.0.0.1:{port}/api/v1/hello",
                              headers={"Sync-Protocol": "1"})
        assert answer.json()["protocol"] == [1]
    finally:
        process.terminate()
        process.wait()


def test_every_command_has_help() -> None:
    for path in (["init"], ["serve"], ["station", "add"], ["station", "code"],
                 ["station", "revoke"], ["import-bundle"], ["export-bundle"], ["maintain"],
                 ["openapi"]):
        result = CliRunner().invoke(main, [*path, "--help"], env=ENV)
        assert result.exit_code == 0 and "Usage:" in result.output
