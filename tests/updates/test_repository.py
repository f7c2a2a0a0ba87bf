"""The township's repository on its own: what each command signs, when it re-signs, what
it refuses; the rollout format and the version order both ends share."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata

from sync.engine.updates import Rollout, parse_version, station_bucket
from sync.township.errors import NotFoundError
from sync.township.updates.keys import RootKeyError, generate_root_key, load_root_signer
from sync.township.updates.repository import Expiry, ReleaseError, ReleaseRepository
from sync.township.updates.serving import served_file
from tests.updates.conftest import Published


def _versions(published: Published) -> dict[str, int]:
    timestamp = Metadata.from_file(str(published.metadata / "timestamp.json")).signed
    snapshot = Metadata.from_file(
        str(published.metadata / f"{timestamp.snapshot_meta.version}.snapshot.json")).signed
    return {"timestamp": timestamp.version, "snapshot": snapshot.version,
            "targets": snapshot.meta["targets.json"].version}


def test_add_re_signs_targets_snapshot_and_timestamp(published: Published) -> None:
    assert _versions(published) == {"timestamp": 1, "snapshot": 1, "targets": 1}
    published.release("0.2.0")
    assert _versions(published) == {"timestamp": 2, "snapshot": 2, "targets": 2}


def _at(days: int) -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=days)


REFRESHES = [
    (0, {"timestamp": 2, "snapshot": 1, "targets": 1}),
    (80, {"timestamp": 2, "snapshot": 2, "targets": 2}),
]


@pytest.mark.parametrize(("days_later", "expected"), REFRESHES)
def test_refresh_re_signs_what_would_expire(published: Published, days_later: int,
                                            expected: dict[str, int]) -> None:
    published.repository(clock=lambda: _at(days_later)).refresh()
    assert _versions(published) == expected
    timestamp = Metadata.from_file(str(published.metadata / "timestamp.json")).signed
    assert timestamp.expires.replace(tzinfo=None) > _at(days_later + 13)


def test_snapshot_alone_is_re_signed_when_it_expires_first(tmp_path: Path,
                                                           published: Published) -> None:
    short = Expiry(snapshot=timedelta(days=30))
    ReleaseRepository(tmp_path, published.online, expiry=short).init_root(
        [CryptoSigner.generate_ed25519()], 1)
    later = ReleaseRepository(tmp_path, published.online, expiry=short,
                              clock=lambda: _at(20))
    later.refresh()
    snapshot = Metadata.from_file(str(tmp_path / "metadata" / "2.snapshot.json")).signed
    assert snapshot.meta["targets.json"].version == 1
    assert not (tmp_path / "metadata" / "2.targets.json").exists()


def _artifact(directory: Path) -> Path:
    path = directory / "app.zip"
    path.write_bytes(b"app")
    return path


def test_same_version_twice_is_refused(published: Published) -> None:
    published.release("0.2.0")
    with pytest.raises(ReleaseError):
        published.repository().add(_artifact(published.artifacts), Rollout("0.2.0"))


def test_second_root_is_refused(published: Published) -> None:
    with pytest.raises(ReleaseError):
        published.repository().init_root([CryptoSigner.generate_ed25519()], 1)


@pytest.mark.parametrize("threshold", [0, 3])
def test_threshold_must_fit_the_keys(tmp_path: Path, published: Published,
                                     threshold: int) -> None:
    repository = ReleaseRepository(tmp_path, published.online)
    with pytest.raises(ReleaseError):
        repository.init_root([CryptoSigner.generate_ed25519()] * 2, threshold)


def test_root_is_signed_by_every_root_key(tmp_path: Path, published: Published) -> None:
    signers = [CryptoSigner.generate_ed25519() for _ in range(3)]
    root = Metadata.from_bytes(
        ReleaseRepository(tmp_path, published.online).init_root(signers, 2))
    assert set(root.signatures) == {signer.public_key.keyid for signer in signers}
    root.verify_delegate("root", root)


@pytest.mark.parametrize("command", ["add", "refresh"])
def test_commands_need_a_repository(tmp_path: Path, published: Published,
                                    command: str) -> None:
    repository = ReleaseRepository(tmp_path, published.online)
    with pytest.raises(ReleaseError):
        if command == "add":
            repository.add(_artifact(tmp_path), Rollout("1.0"))
        else:
            repository.refresh()


def test_root_key_file_round_trip(tmp_path: Path) -> None:
    key_id = generate_root_key(tmp_path / "root.pem", "secret words")
    assert (tmp_path / "root.pem").stat().st_mode & 0o777 == 0o600
    assert load_root_signer(tmp_path / "root.pem", "secret words").public_key.keyid == key_id
    assert b"ENCRYPTED" in (tmp_path / "root.pem").read_bytes()


@pytest.mark.parametrize("problem", ["wrong-passphrase", "missing", "exists", "no-passphrase"])
def test_root_key_file_problems(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "root.pem"
    generate_root_key(path, "secret words")
    with pytest.raises(RootKeyError):
        if problem == "wrong-passphrase":
            load_root_signer(path, "guess")
        elif problem == "missing":
            load_root_signer(tmp_path / "other.pem", "secret words")
        elif problem == "exists":
            generate_root_key(path, "other words")
        else:
            generate_root_key(tmp_path / "new.pem", "")


SERVED_PATHS = [
    ("metadata/1.root.json", True),
    ("targets/village-station/1.0/abc.app.zip", True),
    ("metadata/../township.keys", False),
    ("township.keys", False),
    ("metadata/.hidden", False),
    ("metadata/timestamp.json.tmp", False),
    ("metadata//1.root.json", False),
    ("other/1.root.json", False),
    ("metadata", False),
]


@pytest.mark.parametrize(("path", "served"), SERVED_PATHS)
def test_served_file(tmp_path: Path, path: str, served: bool) -> None:
    for name in ("metadata/1.root.json", "targets/village-station/1.0/abc.app.zip",
                 "metadata/.hidden", "metadata/timestamp.json.tmp", "other/1.root.json",
                 "township.keys"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    if served:
        assert served_file(tmp_path, path) == tmp_path / path
    else:
        with pytest.raises(NotFoundError):
            served_file(tmp_path, path)


versions = st.lists(st.integers(0, 999_999), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts)))


@given(versions, st.lists(st.text(min_size=1, max_size=20), max_size=5),
       st.integers(0, 100))
def test_rollout_round_trip(version: str, stations: list[str], percent: int) -> None:
    rollout = Rollout(version, tuple(stations), percent)
    assert Rollout.from_json(rollout.to_json()) == rollout


@given(st.text(max_size=30), st.integers(0, 99))
def test_wider_rollout_keeps_its_stations(station: str, percent: int) -> None:
    narrow, wide = Rollout("1.0", percent=percent), Rollout("1.0", percent=percent + 1)
    assert wide.eligible(station) or not narrow.eligible(station)
    assert 0 <= station_bucket(station) < 100


@given(versions, versions)
def test_version_order_is_numeric(left: str, right: str) -> None:
    assert (parse_version(left) < parse_version(right)) == (
        [int(part) for part in left.split(".")] < [int(part) for part in right.split(".")])


@pytest.mark.parametrize("text", ["", "1.", "v1.0", "1.2.3.4.5", "1.0-rc1", "1234567"])
def test_bad_versions(text: str) -> None:
    with pytest.raises(ValueError):
        parse_version(text)


@pytest.mark.parametrize("data", [None, [], {"version": "1"} | {"percent": 101},
                                  {"version": "1", "stations": "a"},
                                  {"version": "1", "stations": [""]}, {"percent": 5}])
def test_bad_rollouts(data: object) -> None:
    with pytest.raises(ValueError):
        Rollout.from_json(data)
