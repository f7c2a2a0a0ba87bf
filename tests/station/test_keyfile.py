"""The key file: unlocking by password, recovery code and escrow; agents; rotation; damage."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.keyfile import (
    AgentExistsError,
    DataKeys,
    KdfParams,
    KeyFile,
    KeyFileCorruptError,
    KeyFileExistsError,
    KeyFileMissingError,
    LastAgentError,
    NoRotationPendingError,
    RotationPendingError,
    UnknownAgentError,
    WrongDataKeyError,
    WrongEscrowKeyError,
    WrongPasswordError,
    WrongRecoveryCodeError,
)

KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
KEY = bytes(range(32))
NEW_KEY = bytes(range(32, 64))
CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){5}$")


def x25519_escrow() -> tuple[Any, bytes]:
    private_key = x25519.X25519PrivateKey.generate()
    return private_key, private_key.public_key().public_bytes_raw()


def hybrid_escrow() -> tuple[Any, bytes]:
    """An ML-KEM768-X25519 pair; the raw public key is ML-KEM-768 ‖ X25519 (X-Wing)."""
    pq, classic = mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    raw = pq.public_key().public_bytes_raw() + classic.public_key().public_bytes_raw()
    return hpke.MLKEM768X25519PrivateKey(pq, classic), raw


ESCROWS = [pytest.param(x25519_escrow, id="x25519"), pytest.param(hybrid_escrow, id="hybrid")]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "station.keys"


@pytest.fixture
def created(path: Path) -> tuple[KeyFile, str]:
    return KeyFile.create(path, station_id="TEST01", data_key=KEY, login="wang",
                          password="pw-wang", kdf=KDF)


@pytest.fixture
def keyfile(created: tuple[KeyFile, str]) -> KeyFile:
    return created[0]


@pytest.fixture
def code(created: tuple[KeyFile, str]) -> str:
    return created[1]


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def write_json(path: Path, body: dict[str, Any], *, reseal: bool = False) -> None:
    """Write ``body``; with ``reseal`` recompute the checksum as a deliberate editor would."""
    if reseal:
        rest = {k: v for k, v in body.items() if k != "checksum"}
        canonical = json.dumps(rest, sort_keys=True, separators=(",", ":")).encode("utf-8")
        body = {**rest, "checksum": "sha256:" + hashlib.sha256(canonical).hexdigest()}
    path.write_text(json.dumps(body), "utf-8")


def flip_b64(text: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_create_then_load_and_unlock(keyfile: KeyFile, path: Path) -> None:
    assert KeyFile.load(path).unlock("wang", "pw-wang") == DataKeys(KEY, None)
    assert keyfile.logins() == ["wang"]
    assert keyfile.station_id == "TEST01"


def test_file_holds_no_key_in_the_clear(keyfile: KeyFile, path: Path) -> None:
    raw = path.read_bytes()
    assert KEY not in raw and base64.b64encode(KEY) not in raw
    assert KEY.hex() not in repr(DataKeys(KEY, NEW_KEY))


def test_create_refuses_to_overwrite(keyfile: KeyFile, path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(KeyFileExistsError):
        KeyFile.create(path, station_id="TEST01", data_key=NEW_KEY, login="li",
                       password="pw", kdf=KDF)
    assert path.read_bytes() == before


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileMissingError, match="backup"):
        KeyFile.load(tmp_path / "station.keys")


def test_defaults_are_argon2id_64_mib_three_passes(path: Path) -> None:
    keyfile, _ = KeyFile.create(path, station_id="TEST01", data_key=KEY, login="wang",
                                password="pw-wang")
    body = read_json(path)
    expected = {"name": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4}
    assert body["kdf"] == expected
    for pid in ("agent:wang", "recovery"):
        wrap_kdf = body["principals"][pid]["private_key"]["kdf"]
        assert {k: v for k, v in wrap_kdf.items() if k != "salt"} == expected
    assert KeyFile.load(path).unlock("wang", "pw-wang").current == KEY


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_file_mode_is_0600_and_no_temporary_files_remain(keyfile: KeyFile, path: Path) -> None:
    keyfile.add_agent(KEY, "li", "pw-li")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["station.keys"]


@pytest.mark.parametrize("password", ["pw-wang ", "PW-WANG", "", "pw-li"])
def test_wrong_password(keyfile: KeyFile, password: str) -> None:
    with pytest.raises(WrongPasswordError):
        keyfile.unlock("wang", password)


def test_unknown_login_is_indistinguishable_from_wrong_password(keyfile: KeyFile) -> None:
    with pytest.raises(WrongPasswordError) as wrong:
        keyfile.unlock("wang", "nope")
    with pytest.raises(WrongPasswordError) as unknown:
        keyfile.unlock("nobody", "nope")
    assert str(wrong.value) == str(unknown.value)
    assert "nobody" not in str(unknown.value)


def test_recovery_code_shape(code: str) -> None:
    assert CODE_PATTERN.match(code), code


@pytest.mark.parametrize("spell", [
    lambda code: code,
    lambda code: code.lower(),
    lambda code: code.replace("-", ""),
    lambda code: code.replace("-", "").lower(),
    lambda code: " ".join(code.split("-")),
    lambda code: code.replace("0", "o").replace("1", "l"),
], ids=["as-shown", "lower", "no-dashes", "lower-no-dashes", "spaces", "crockford-aliases"])
def test_recovery_code_unlocks(keyfile: KeyFile, code: str,
                               spell: Callable[[str], str]) -> None:
    assert keyfile.unlock_with_recovery(spell(code)) == DataKeys(KEY, None)


@pytest.mark.parametrize("bad", ["", "ABCDE-FGHJK", "U" * 30, "0" * 31])
def test_malformed_recovery_code(keyfile: KeyFile, bad: str) -> None:
    with pytest.raises(WrongRecoveryCodeError, match="30"):
        keyfile.unlock_with_recovery(bad)


def test_wrong_recovery_code(keyfile: KeyFile, code: str) -> None:
    other = ("1" if code[0] != "1" else "2") + code[1:]
    with pytest.raises(WrongRecoveryCodeError):
        keyfile.unlock_with_recovery(other)


def test_new_recovery_code_replaces_the_old(keyfile: KeyFile, code: str) -> None:
    new_code = keyfile.new_recovery_code(KEY)
    assert CODE_PATTERN.match(new_code) and new_code != code
    with pytest.raises(WrongRecoveryCodeError):
        keyfile.unlock_with_recovery(code)
    assert keyfile.unlock_with_recovery(new_code).current == KEY


@pytest.mark.parametrize("make_escrow", ESCROWS)
def test_escrow_unlocks(path: Path, make_escrow: Callable[[], tuple[Any, bytes]]) -> None:
    private_key, public_key = make_escrow()
    KeyFile.create(path, station_id="TEST01", data_key=KEY, login="wang", password="pw",
                   escrow_public_key=public_key, kdf=KDF)
    assert KeyFile.load(path).unlock_with_escrow(private_key) == DataKeys(KEY, None)


@pytest.mark.parametrize("make_escrow", ESCROWS)
@pytest.mark.parametrize("make_other", ESCROWS)
def test_other_escrow_key_refused(keyfile: KeyFile, make_escrow: Callable[[], tuple[Any, bytes]],
                                  make_other: Callable[[], tuple[Any, bytes]]) -> None:
    keyfile.set_escrow(KEY, make_escrow()[1])
    with pytest.raises(WrongEscrowKeyError):
        keyfile.unlock_with_escrow(make_other()[0])


def test_escrow_absent(keyfile: KeyFile) -> None:
    with pytest.raises(WrongEscrowKeyError):
        keyfile.unlock_with_escrow(x25519_escrow()[0])


@pytest.mark.parametrize("make_escrow", ESCROWS)
def test_set_escrow_replaces_the_old_key(keyfile: KeyFile, path: Path,
                                         make_escrow: Callable[[], tuple[Any, bytes]]) -> None:
    old_private, old_public = x25519_escrow()
    keyfile.set_escrow(KEY, old_public)
    new_private, new_public = make_escrow()
    keyfile.set_escrow(KEY, new_public)
    reloaded = KeyFile.load(path)
    assert reloaded.unlock_with_escrow(new_private).current == KEY
    with pytest.raises(WrongEscrowKeyError):
        reloaded.unlock_with_escrow(old_private)


@pytest.mark.parametrize("public_key", [b"", b"\x01" * 31, b"\x01" * 1215])
def test_malformed_escrow_key(keyfile: KeyFile, public_key: bytes) -> None:
    with pytest.raises(ValueError):
        keyfile.set_escrow(KEY, public_key)


def test_change_password(keyfile: KeyFile, path: Path) -> None:
    keyfile.add_agent(KEY, "li", "pw-li")
    keyfile.change_password("wang", "pw-wang", "new-pw")
    reloaded = KeyFile.load(path)
    with pytest.raises(WrongPasswordError):
        reloaded.unlock("wang", "pw-wang")
    assert reloaded.unlock("wang", "new-pw").current == KEY
    assert reloaded.unlock("li", "pw-li").current == KEY


@pytest.mark.parametrize("login", ["wang", "nobody"])
def test_change_password_needs_the_old_one(keyfile: KeyFile, path: Path, login: str) -> None:
    before = path.read_bytes()
    with pytest.raises(WrongPasswordError):
        keyfile.change_password(login, "wrong", "new-pw")
    assert path.read_bytes() == before


def test_add_agent(keyfile: KeyFile, path: Path) -> None:
    keyfile.add_agent(KEY, "zhao", "pw-zhao")
    keyfile.add_agent(KEY, "li", "pw-li")
    reloaded = KeyFile.load(path)
    assert reloaded.logins() == ["li", "wang", "zhao"]
    assert reloaded.unlock("li", "pw-li").current == KEY


@pytest.mark.parametrize(("login", "data_key", "error"), [
    ("wang", KEY, AgentExistsError),
    ("li", NEW_KEY, WrongDataKeyError),
    ("", KEY, ValueError),
    (" li", KEY, ValueError),
    ("li", KEY[:16], ValueError),
])
def test_add_agent_refused(keyfile: KeyFile, login: str, data_key: bytes,
                           error: type[Exception]) -> None:
    with pytest.raises(error):
        keyfile.add_agent(data_key, login, "pw")
    assert keyfile.logins() == ["wang"]


def test_remove_agent(keyfile: KeyFile, path: Path) -> None:
    keyfile.add_agent(KEY, "li", "pw-li")
    keyfile.remove_agent("li")
    reloaded = KeyFile.load(path)
    assert reloaded.logins() == ["wang"]
    assert "agent:li" not in read_json(path)["data_keys"]["current"]["sealed"]
    with pytest.raises(WrongPasswordError):
        reloaded.unlock("li", "pw-li")
    assert reloaded.unlock("wang", "pw-wang").current == KEY


@pytest.mark.parametrize(("login", "error"), [("wang", LastAgentError),
                                              ("nobody", UnknownAgentError)])
def test_remove_agent_refused(keyfile: KeyFile, login: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        keyfile.remove_agent(login)
    assert keyfile.logins() == ["wang"]


def test_reset_forgotten_password_with_the_recovery_code(keyfile: KeyFile, code: str,
                                                         path: Path) -> None:
    keyfile.add_agent(KEY, "li", "pw-li")
    data_key = keyfile.unlock_with_recovery(code).current
    keyfile.reset_password(data_key, "wang", "fresh-pw")
    reloaded = KeyFile.load(path)
    with pytest.raises(WrongPasswordError):
        reloaded.unlock("wang", "pw-wang")
    assert reloaded.unlock("wang", "fresh-pw").current == KEY
    assert reloaded.unlock("li", "pw-li").current == KEY


@pytest.mark.parametrize(("login", "data_key", "error"), [
    ("nobody", KEY, UnknownAgentError),
    ("wang", NEW_KEY, WrongDataKeyError),
])
def test_reset_password_refused(keyfile: KeyFile, login: str, data_key: bytes,
                                error: type[Exception]) -> None:
    with pytest.raises(error):
        keyfile.reset_password(data_key, login, "fresh-pw")
    assert keyfile.unlock("wang", "pw-wang").current == KEY


@pytest.mark.parametrize("make_escrow", ESCROWS)
def test_rotation_staged_then_committed(path: Path,
                                        make_escrow: Callable[[], tuple[Any, bytes]]) -> None:
    escrow_private, escrow_public = make_escrow()
    keyfile, code = KeyFile.create(path, station_id="TEST01", data_key=KEY, login="wang",
                                   password="pw-wang", escrow_public_key=escrow_public, kdf=KDF)
    keyfile.stage_rotation(KEY, NEW_KEY)
    staged = KeyFile.load(path)
    assert staged.rotation_pending
    both = DataKeys(KEY, NEW_KEY)
    assert staged.unlock("wang", "pw-wang") == both
    assert staged.unlock_with_recovery(code) == both
    assert staged.unlock_with_escrow(escrow_private) == both
    staged.commit_rotation()
    committed = KeyFile.load(path)
    assert not committed.rotation_pending
    assert committed.unlock("wang", "pw-wang") == DataKeys(NEW_KEY, None)
    assert committed.unlock_with_escrow(escrow_private) == DataKeys(NEW_KEY, None)
    committed.add_agent(NEW_KEY, "li", "pw-li")
    assert committed.unlock("li", "pw-li") == DataKeys(NEW_KEY, None)


def test_rotation_aborted(keyfile: KeyFile, path: Path) -> None:
    keyfile.stage_rotation(KEY, NEW_KEY)
    keyfile.abort_rotation()
    assert KeyFile.load(path).unlock("wang", "pw-wang") == DataKeys(KEY, None)


def test_agent_removed_during_rotation(keyfile: KeyFile, path: Path) -> None:
    keyfile.add_agent(KEY, "li", "pw-li")
    keyfile.stage_rotation(KEY, NEW_KEY)
    keyfile.remove_agent("li")
    KeyFile.load(path).commit_rotation()
    assert KeyFile.load(path).unlock("wang", "pw-wang") == DataKeys(NEW_KEY, None)


@pytest.mark.parametrize("action", [
    lambda k: k.stage_rotation(KEY, bytes(32)),
    lambda k: k.add_agent(KEY, "li", "pw-li"),
    lambda k: k.reset_password(KEY, "wang", "fresh"),
    lambda k: k.new_recovery_code(KEY),
    lambda k: k.set_escrow(KEY, x25519_escrow()[1]),
], ids=["stage", "add", "reset", "recovery", "escrow"])
def test_actions_that_seal_wait_for_a_pending_rotation(keyfile: KeyFile,
                                                       action: Callable[[KeyFile], Any]) -> None:
    keyfile.stage_rotation(KEY, NEW_KEY)
    with pytest.raises(RotationPendingError):
        action(keyfile)


@pytest.mark.parametrize("finish", [KeyFile.commit_rotation, KeyFile.abort_rotation])
def test_nothing_to_finish(keyfile: KeyFile, finish: Callable[[KeyFile], None]) -> None:
    with pytest.raises(NoRotationPendingError):
        finish(keyfile)


def test_stage_rotation_needs_the_current_key(keyfile: KeyFile) -> None:
    with pytest.raises(WrongDataKeyError):
        keyfile.stage_rotation(NEW_KEY, bytes(32))
    assert not keyfile.rotation_pending


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        body = read_json(path)
        change(body)
        write_json(path, body)
    return apply


def _wrap_of(body: dict[str, Any]) -> dict[str, Any]:
    return body["principals"]["agent:wang"]["private_key"]


def _flip_wrap(body: dict[str, Any]) -> None:
    _wrap_of(body)["ciphertext"] = flip_b64(_wrap_of(body)["ciphertext"])


def _halve_memory(body: dict[str, Any]) -> None:
    _wrap_of(body)["kdf"]["memory_kib"] //= 2


@pytest.mark.parametrize(("damage", "message"), [
    (_truncate, "damaged"),
    (lambda path: path.write_bytes(b"\xff\xfe not text"), "damaged"),
    (lambda path: path.write_text("[]"), "damaged"),
    (_edit(_flip_wrap), "damaged"),
    (_edit(_halve_memory), "damaged"),
    (_edit(lambda body: body.update(version=2)), "format version 2"),
    (_edit(lambda body: body.update(version="1")), "damaged"),
    (_edit(lambda body: body.pop("station_id")), "damaged"),
], ids=["truncated", "not-utf8", "not-an-object", "flipped-wrap-byte", "edited-kdf",
        "newer-version", "version-type", "missing-field"])
def test_damaged_file_is_refused_on_load(keyfile: KeyFile, path: Path,
                                         damage: Callable[[Path], None], message: str) -> None:
    damage(path)
    with pytest.raises(KeyFileCorruptError, match=message) as error:
        KeyFile.load(path)
    assert "backup" in str(error.value)


@pytest.mark.parametrize("change", [
    lambda body: _wrap_of(body)["kdf"].update(memory_kib=0),
    lambda body: _wrap_of(body)["kdf"].update(iterations=True),
    lambda body: _wrap_of(body).update(nonce="AAAA"),
    lambda body: body["principals"].pop("recovery"),
    lambda body: body["data_keys"]["current"]["sealed"].pop("agent:wang"),
    lambda body: body["principals"]["agent:wang"].update(kem="MLKEM768-X25519"),
    lambda body: body["data_keys"]["current"]["sealed"]["recovery"]["suite"].update(kdf="MD5"),
], ids=["zero-memory", "bool-iterations", "short-nonce", "no-recovery", "missing-box",
        "kem-mismatch", "unknown-suite"])
def test_invalid_fields_are_refused_even_with_a_valid_checksum(
        keyfile: KeyFile, path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    body = read_json(path)
    change(body)
    write_json(path, body, reseal=True)
    with pytest.raises(KeyFileCorruptError, match="damaged"):
        KeyFile.load(path)


def test_edited_kdf_with_valid_checksum_only_fails_the_password(keyfile: KeyFile,
                                                                path: Path) -> None:
    body = read_json(path)
    _halve_memory(body)
    write_json(path, body, reseal=True)
    with pytest.raises(WrongPasswordError):
        KeyFile.load(path).unlock("wang", "pw-wang")


def test_damaged_box_points_to_the_recovery_code(keyfile: KeyFile, code: str,
                                                 path: Path) -> None:
    body = read_json(path)
    box = body["data_keys"]["current"]["sealed"]["agent:wang"]
    box["sealed"] = flip_b64(box["sealed"], index=40)
    write_json(path, body, reseal=True)
    reloaded = KeyFile.load(path)
    with pytest.raises(KeyFileCorruptError, match="recovery code"):
        reloaded.unlock("wang", "pw-wang")
    assert reloaded.unlock_with_recovery(code).current == KEY


def test_entries_are_bound_to_the_station(keyfile: KeyFile, path: Path) -> None:
    body = read_json(path)
    body["station_id"] = "OTHER1"
    write_json(path, body, reseal=True)
    with pytest.raises(WrongPasswordError):
        KeyFile.load(path).unlock("wang", "pw-wang")


def test_a_box_moved_to_another_agent_does_not_open(keyfile: KeyFile, path: Path) -> None:
    keyfile.add_agent(KEY, "li", "pw-li")
    body = read_json(path)
    sealed = body["data_keys"]["current"]["sealed"]
    sealed["agent:wang"] = sealed["agent:li"]
    write_json(path, body, reseal=True)
    with pytest.raises(KeyFileCorruptError):
        KeyFile.load(path).unlock("wang", "pw-wang")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True),
       mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_is_detected_or_harmless(keyfile: KeyFile, path: Path,
                                                  position: float, mask: int) -> None:
    original = path.read_bytes()
    damaged = bytearray(original)
    damaged[int(position * len(damaged))] ^= mask
    path.write_bytes(bytes(damaged))
    try:
        assert KeyFile.load(path).unlock("wang", "pw-wang") == DataKeys(KEY, None)
    except KeyFileCorruptError:
        pass
    finally:
        path.write_bytes(original)


def test_the_login_names_read_without_cryptography_match_the_key_file(
    keyfile: KeyFile, path: Path, tmp_path: Path
) -> None:
    from station import keynames

    assert keynames.logins(path) == keyfile.logins()
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"agent:', b'"agent:x', 1))
    assert keynames.logins(path) is None, "a checksum mismatch is left to KeyFile.load"
    assert keynames.logins(tmp_path / "missing.keys") is None
