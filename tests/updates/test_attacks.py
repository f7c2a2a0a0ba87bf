"""Every attack of TUF's threat model that the issue names is refused with a typed error
and a plain message: real township server, real metadata, real signatures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata

from sync.engine.updates import (
    UpdateError,
    UpdateFreezeError,
    UpdateMixAndMatchError,
    UpdateRollbackError,
    UpdateTamperedError,
    UpdateTooLargeError,
    UpdateTransportError,
    UpdateUntrustedError,
)
from sync.township.config import utc_now
from tests.updates.conftest import Published, UpdaterFactory

Check = Callable[[], object]


def _rollback_timestamp(published: Published, check: Check) -> None:
    """The server replays a timestamp older than the one the station has seen."""
    old = (published.metadata / "timestamp.json").read_bytes()
    published.repository().refresh()
    check()
    (published.metadata / "timestamp.json").write_bytes(old)


def _rollback_snapshot(published: Published, check: Check) -> None:
    """A newer timestamp pointing at an older snapshot (what a replayed state looks like
    once the attacker also holds the online timestamp key)."""
    check()
    path = published.metadata / "timestamp.json"
    timestamp = Metadata.from_file(str(path))
    timestamp.signed.version += 1
    timestamp.signed.snapshot_meta.version -= 1
    timestamp.sign(published.online["timestamp"])
    timestamp.to_file(str(path))


def _freeze(published: Published, check: Check) -> None:
    """The newest timestamp the station can get expired a day ago."""
    published.repository(clock=lambda: utc_now() - timedelta(days=15)).refresh()


def _mix_and_match(published: Published, check: Check) -> None:
    """The snapshot lists targets version 3; the server answers with version 2."""
    published.release("0.3.0")
    published.metadata.joinpath("3.targets.json").write_bytes(
        published.metadata.joinpath("2.targets.json").read_bytes())


def _untrusted_key(published: Published, check: Check) -> None:
    """A timestamp signed by a key the root does not name."""
    path = published.metadata / "timestamp.json"
    timestamp = Metadata.from_file(str(path))
    timestamp.signed.version += 1
    timestamp.sign(CryptoSigner.generate_ed25519())
    timestamp.to_file(str(path))


def _unsigned_edit(published: Published, check: Check) -> None:
    """Targets metadata edited after signing (a release's rollout widened)."""
    path = published.metadata / "2.targets.json"
    path.write_bytes(path.read_bytes().replace(b'"percent": 100', b'"percent": 99'))


def _tampered_target(published: Published, check: Check) -> None:
    target = published.stored_target("0.2.0")
    content = bytearray(target.read_bytes())
    content[100] ^= 0xFF
    target.write_bytes(bytes(content))


def _endless_data(published: Published, check: Check) -> None:
    with open(published.stored_target("0.2.0"), "ab") as handle:
        handle.write(b"\0" * 1_000_000)


def _target_gone(published: Published, check: Check) -> None:
    published.stored_target("0.2.0").unlink()


ATTACKS = [
    pytest.param(_rollback_timestamp, "check", UpdateRollbackError, id="rollback-timestamp"),
    pytest.param(_rollback_snapshot, "check", UpdateRollbackError, id="rollback-snapshot"),
    pytest.param(_freeze, "check", UpdateFreezeError, id="freeze"),
    pytest.param(_mix_and_match, "check", UpdateMixAndMatchError, id="mix-and-match"),
    pytest.param(_untrusted_key, "check", UpdateUntrustedError, id="untrusted-key"),
    pytest.param(_unsigned_edit, "check", UpdateUntrustedError, id="edited-metadata"),
    pytest.param(_tampered_target, "download", UpdateTamperedError, id="tampered-target"),
    pytest.param(_endless_data, "download", UpdateTooLargeError, id="endless-data"),
    pytest.param(_target_gone, "download", UpdateTransportError, id="target-gone"),
]


@pytest.mark.parametrize(("attack", "stage", "refusal"), ATTACKS)
def test_attack_is_refused(published: Published, updater: UpdaterFactory,
                           attack: Callable[[Published, Check], None], stage: str,
                           refusal: type[UpdateError]) -> None:
    published.release("0.2.0")
    attack(published, lambda: updater().check())
    station = updater()
    with pytest.raises(UpdateError) as raised:
        release = station.check()
        assert stage == "download" and release is not None
        station.download(release)
    assert type(raised.value) is refusal
    assert str(raised.value) and "http" not in str(raised.value)
    assert not list(station.config.staging_dir.rglob("*.zip"))


@pytest.mark.parametrize("running", ["0.2.0", "0.3.0", "1.0"])
def test_release_not_above_the_running_version_is_refused(
        published: Published, updater: UpdaterFactory, running: str) -> None:
    """Not offered by ``check``, and refused even when a caller insists on downloading."""
    published.release("0.2.0")
    offered = updater().check()
    assert offered is not None
    station = updater(running=running)
    assert station.check() is None
    with pytest.raises(UpdateRollbackError):
        station.download(offered)


def test_trusted_state_survives_the_refusal(published: Published,
                                            updater: UpdaterFactory) -> None:
    """After a refused replay the station still trusts the newer state it had."""
    published.release("0.2.0")
    _rollback_timestamp(published, lambda: updater().check())
    with pytest.raises(UpdateRollbackError):
        updater().check()
    published.repository().refresh()
    release = updater().check()
    assert release is not None and release.version == "0.2.0"
