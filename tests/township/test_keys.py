"""``township.keys``: both private keys wrapped under a passphrase (Argon2id, AES-GCM)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sync.seal import HYBRID_SUITE, X25519_SUITE
from sync.signed import raw_public_key
from sync.township.errors import KeyFileError, WrongPassphraseError
from sync.township.keys import KdfParams, TownshipKeys, load_keys, save_keys
from tests.township.server import CHEAP_KDF


@pytest.fixture
def keyfile(tmp_path: Path) -> Path:
    return tmp_path / "township.keys"


@pytest.mark.parametrize("suite", [X25519_SUITE, HYBRID_SUITE])
def test_keys_come_back_with_the_passphrase(keyfile: Path, suite: str) -> None:
    keys = TownshipKeys.generate("Lianhua township", suite)
    save_keys(keys, keyfile, "secret 密码", CHEAP_KDF)
    loaded = load_keys(keyfile, "secret 密码")
    assert (loaded.township_id, loaded.name) == (keys.township_id, "Lianhua township")
    assert raw_public_key(loaded.signing) == raw_public_key(keys.signing)
    assert loaded.sealing == keys.sealing
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600


def test_a_wrong_passphrase_is_a_typed_error(keyfile: Path) -> None:
    save_keys(TownshipKeys.generate("T"), keyfile, "right", CHEAP_KDF)
    with pytest.raises(WrongPassphraseError):
        load_keys(keyfile, "wrong")


@pytest.mark.parametrize("path, value", [
    (("township", "name"), "Another township"),
    (("signing_key",), "A" * 43),
    (("wrap", "kdf", "iterations"), 2),
])
def test_an_altered_public_part_does_not_open(keyfile: Path, path: tuple, value) -> None:
    save_keys(TownshipKeys.generate("T"), keyfile, "pw", CHEAP_KDF)
    document = json.loads(keyfile.read_text())
    target = document
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    keyfile.write_text(json.dumps(document))
    with pytest.raises(WrongPassphraseError):
        load_keys(keyfile, "pw")


@pytest.mark.parametrize("content", [b"", b"not json", b'{"format": "other"}',
                                     b'{"format": "village-township-keys", "version": 1}'])
def test_a_file_that_is_not_a_key_file_is_refused(keyfile: Path, content: bytes) -> None:
    keyfile.write_bytes(content)
    with pytest.raises(KeyFileError):
        load_keys(keyfile, "pw")


def test_a_missing_file_says_to_init(keyfile: Path) -> None:
    with pytest.raises(KeyFileError, match="init"):
        load_keys(keyfile, "pw")


def test_kdf_costs_beyond_reason_are_refused(keyfile: Path) -> None:
    save_keys(TownshipKeys.generate("T"), keyfile, "pw", CHEAP_KDF)
    document = json.loads(keyfile.read_text())
    document["wrap"]["kdf"]["memory_kib"] = 2 ** 40
    keyfile.write_text(json.dumps(document))
    with pytest.raises(KeyFileError):
        load_keys(keyfile, "pw")


def test_the_default_cost_is_the_station_s() -> None:
    assert KdfParams() == KdfParams(65536, 3, 4)
