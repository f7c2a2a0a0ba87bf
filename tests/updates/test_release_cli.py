"""``township release``: keygen, init-root, add, refresh and list through the real CLI on a
real township data directory; refusals print one line and exit 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tuf.api.metadata import Metadata

from sync.engine.updates import Rollout
from sync.township.cli import main
from sync.township.updates.repository import ReleaseRepository
from sync.township.updates.serving import repository_dir
from tests.township.server import PASSPHRASE, create_township

ROOT_PASSPHRASE = "offline root words"


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    """A township data directory, with an artifact beside it."""
    create_township(tmp_path / "township").close()
    (tmp_path / "app.zip").write_bytes(b"app" * 1000)
    yield tmp_path / "township"


def _run(data: Path, *arguments: str, root_passphrase: str = ROOT_PASSPHRASE) -> Result:
    environment = {"TOWNSHIP_PASSPHRASE": PASSPHRASE, "TUF_ROOT_PASSPHRASE": root_passphrase,
                   "TOWNSHIP_LANGUAGE": "en"}
    return CliRunner().invoke(main, ["--data", str(data), "release", *arguments],
                              env=environment)


def _init(data: Path) -> None:
    for name in ("root-1.pem", "root-2.pem"):
        assert _run(data, "keygen", str(data.parent / name)).exit_code == 0
    result = _run(data, "init-root", "--root-key", str(data.parent / "root-1.pem"),
                  "--root-key", str(data.parent / "root-2.pem"), "--threshold", "2")
    assert result.exit_code == 0, result.output


def test_admin_workflow(data: Path) -> None:
    _init(data)
    assert _run(data, "add", str(data.parent / "app.zip"), "--version", "1.1.0",
                "--stations", "s2, s1").exit_code == 0
    assert _run(data, "add", str(data.parent / "app.zip"), "--version", "1.2.0",
                "--percent", "10").exit_code == 0
    assert _run(data, "refresh", "--timestamp-days", "3").exit_code == 0
    assert ReleaseRepository(repository_dir(data), {}).releases() == [
        Rollout("1.1.0", ("s1", "s2"), 0), Rollout("1.2.0", (), 10)]
    listing = _run(data, "list")
    assert listing.output.splitlines() == ["1.1.0\ts1, s2", "1.2.0\t10% of stations"]
    root = Metadata.from_file(str(repository_dir(data) / "metadata" / "root.json"))
    assert root.signed.roles["root"].threshold == 2 and len(root.signatures) == 2


REFUSALS = [
    (["add", "{app}", "--version", "1.1.0"], "has been released already"),
    (["add", "{app}", "--version", "1.2", "--stations", "a", "--percent", "5"], "not both"),
    (["add", "{app}", "--version", "v2"], "a version is"),
    (["init-root", "--root-key", "{root}"], "already has an update repository"),
    (["keygen", "{root}"], "exists already"),
    (["add", "{odd}", "--version", "1.3"], "file name may hold only"),
]


@pytest.mark.parametrize(("arguments", "message"), REFUSALS)
def test_refusals(data: Path, arguments: list[str], message: str) -> None:
    _init(data)
    assert _run(data, "add", str(data.parent / "app.zip"), "--version", "1.1.0").exit_code == 0
    (data.parent / "odd name.zip").write_bytes(b"app")
    paths = {"app": str(data.parent / "app.zip"), "root": str(data.parent / "root-1.pem"),
             "odd": str(data.parent / "odd name.zip")}
    result = _run(data, *[argument.format(**paths) for argument in arguments])
    assert result.exit_code != 0
    assert message in result.output


def test_wrong_root_passphrase(data: Path) -> None:
    assert _run(data, "keygen", str(data.parent / "root.pem")).exit_code == 0
    result = _run(data, "init-root", "--root-key", str(data.parent / "root.pem"),
                  root_passphrase="wrong")
    assert result.exit_code == 1 and "passphrase is wrong" in result.output
    assert not repository_dir(data).exists()


def test_add_before_init_root(data: Path) -> None:
    result = _run(data, "add", str(data.parent / "app.zip"), "--version", "1.0")
    assert result.exit_code == 1 and "init-root" in result.output


def test_refresh_of_damaged_metadata_says_so(data: Path) -> None:
    _init(data)
    (repository_dir(data) / "metadata" / "timestamp.json").write_text('{"signed": 1}')
    result = _run(data, "refresh")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "metadata is damaged" in result.output
