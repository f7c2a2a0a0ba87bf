"""Backups: a full round trip on disk, and every damaged or foreign file refused untouched."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from station import audit, session as sessions
from station.backup import BackupError, create_backup, restore_backup
from station.keyfile import WrongPasswordError
from station.models import AuditEvent, Case, MaterialFile
from tests.station.conftest import COMPLETE_ANSWERS, PASSWORD, SETUP


@pytest.fixture
def filled(session, matter, applicant, scans):
    """The session's station with a draft with pages and a queued case."""
    draft = session.cases.create_draft(matter, 1, applicant, {"applicant_name": "欧阳明珠"})
    session.materials.attach_pages(draft.uuid, "id_card", scans)
    queued = session.cases.create_draft(matter, 1, applicant, dict(COMPLETE_ANSWERS))
    session.materials.attach_pages(queued.uuid, "id_card", scans[1:2])
    session.materials.defer(queued.uuid, "hukou", date(2026, 12, 1))
    session.cases.submit(queued.uuid, matter)
    return session


@pytest.fixture
def backup_file(filled, tmp_path) -> Path:
    target = tmp_path / "backups" / "station.zip"
    target.parent.mkdir()
    create_backup(filled, target)
    return target


def _summary(session) -> dict:
    cases = Case.select().order_by(Case.id)
    pages = MaterialFile.select().order_by(MaterialFile.id)
    return {
        "cases": [(c.uuid, c.local_number, c.state, c.answers, c.revision) for c in cases],
        "pages": {p.uuid: b"".join(session.materials.read_page(p.uuid)) for p in pages},
    }


def _chain() -> list[tuple[int, str]]:
    return [(e.id, e.hash) for e in AuditEvent.select().order_by(AuditEvent.id)]


def _fingerprint(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` (and its parent's entries) with its SHA-256."""
    files = {
        str(p.relative_to(directory.parent)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in directory.rglob("*")
        if p.is_file()
    }
    files["<siblings>"] = ",".join(sorted(p.name for p in directory.parent.iterdir()))
    return files


def _login(data_dir: Path, clock):
    return sessions.login(data_dir, SETUP.login, PASSWORD, clock=clock)


def test_round_trip_into_a_fresh_directory(filled, tmp_path, clock) -> None:
    expected = _summary(filled)
    chain = _chain()
    report = create_backup(filled, tmp_path / "b.zip")
    assert report.pages == 4 == len(expected["pages"])
    assert report.size == (tmp_path / "b.zip").stat().st_size
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (last.action, last.detail) == ("export", {"what": "backup", "pages": 4})
    filled.close()

    restored = tmp_path / "elsewhere" / "station"
    assert restore_backup(tmp_path / "b.zip", restored, SETUP.login, PASSWORD) is None

    with _login(restored, clock) as again:
        assert _chain()[: len(chain)] == chain
        assert _summary(again) == expected
        assert audit.verify().ok
    assert not list(restored.parent.glob(".restore-*"))


def test_backup_after_key_rotation_restores(filled, tmp_path, clock) -> None:
    filled.rotate_data_key()
    expected = _summary(filled)
    create_backup(filled, tmp_path / "b.zip")
    filled.close()
    restore_backup(tmp_path / "b.zip", tmp_path / "restored", SETUP.login, PASSWORD)
    with _login(tmp_path / "restored", clock) as again:
        assert _summary(again) == expected


def test_restore_over_an_existing_station_keeps_the_old_data(
    filled, backup_file, station_dir, clock, matter, applicant
) -> None:
    expected = _summary(filled)
    filled.cases.create_draft(matter, 1, applicant)
    filled.close()
    old = _fingerprint(station_dir)

    aside = restore_backup(backup_file, station_dir, SETUP.login, PASSWORD)

    assert aside is not None and aside.is_dir() and aside.parent == station_dir.parent
    moved = _fingerprint(aside).items()
    renamed = {k.replace(aside.name, station_dir.name, 1): v for k, v in moved}
    assert {k: v for k, v in renamed.items() if k != "<siblings>"} == {
        k: v for k, v in old.items() if k != "<siblings>"
    }
    with _login(station_dir, clock) as again:
        assert _summary(again) == expected
        assert audit.verify().ok


def test_an_earlier_set_aside_copy_is_never_replaced(filled, backup_file, station_dir) -> None:
    filled.close()
    now = datetime.now()
    decoys = {}
    for seconds in range(-2, 30):  # whatever second the restores run in
        stamp = (now + timedelta(seconds=seconds)).strftime("%Y%m%d-%H%M%S")
        decoy = station_dir.with_name(f"{station_dir.name}.before-restore-{stamp}")
        decoy.mkdir(exist_ok=True)
        (decoy / "keep").write_text(stamp)
        decoys[decoy] = stamp
    first = restore_backup(backup_file, station_dir, SETUP.login, PASSWORD)
    second = restore_backup(backup_file, station_dir, SETUP.login, PASSWORD)
    assert len({first, second, *decoys}) == len(decoys) + 2
    assert {d: (d / "keep").read_text() for d in decoys} == decoys
    assert [p.name for p in first.iterdir()] and (second / "station.keys").exists()


# --- refused restores -----------------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(path: Path, members: dict[str, bytes], manifest_change=None) -> Path:
    """Rewrite the archive (valid ZIP, fresh CRCs), optionally editing the manifest."""
    manifest = json.loads(members["manifest.json"])
    if manifest_change:
        manifest_change(manifest)
    out = path.with_name("edited.zip")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            if name != "manifest.json":
                archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest))
    return out


def _flip(path: Path, member: str) -> Path:
    """Flip one byte in the middle of ``member``'s stored data (the ZIP is left as it is)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x40
    out = path.with_name("flipped.zip")
    out.write_bytes(bytes(data))
    return out


def _first_material(path: Path) -> str:
    return next(name for name in _members(path) if name.startswith("materials/"))


def _traversal(name: str):
    def change(manifest: dict) -> None:
        manifest["members"][name] = hashlib.sha256(b"evil").hexdigest()

    return change


def _with_evil_member(path: Path, name: str) -> Path:
    members = _members(path)
    members[name] = b"evil"
    return _rezip(path, members, _traversal(name))


def _drop_material(path: Path) -> Path:
    members = _members(path)
    name = _first_material(path)
    del members[name]

    def change(manifest: dict) -> None:
        del manifest["members"][name]

    return _rezip(path, members, change)


def _alter_material(path: Path) -> Path:
    members = _members(path)
    name = _first_material(path)
    members[name] = members[name][:-1] + bytes([members[name][-1] ^ 1])
    return _rezip(path, members)


def _manifest_as(value) -> callable:
    def make(path: Path) -> Path:
        members = _members(path)
        members["manifest.json"] = json.dumps(value).encode()
        out = path.with_name("edited.zip")
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return out

    return make


def _newer_version(path: Path) -> Path:
    return _rezip(path, _members(path), lambda m: m.update(version=m["version"] + 1))


def _without_manifest(path: Path) -> Path:
    members = _members(path)
    out = path.with_name("edited.zip")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            if name != "manifest.json":
                archive.writestr(name, data)
    return out


def _truncated(path: Path) -> Path:
    out = path.with_name("truncated.zip")
    out.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return out


def _tail_cut(path: Path) -> Path:
    out = path.with_name("truncated.zip")
    out.write_bytes(path.read_bytes()[:-10])
    return out


def _not_a_zip(path: Path) -> Path:
    out = path.with_name("photo.jpg")
    out.write_bytes(b"\xff\xd8\xff\xe0" + bytes(5000))
    return out


def _empty(path: Path) -> Path:
    out = path.with_name("empty.zip")
    out.write_bytes(b"")
    return out


def _missing(path: Path) -> Path:
    return path.with_name("no-such-backup.zip")


DAMAGE = {
    "truncated-half": _truncated,
    "truncated-tail": _tail_cut,
    "flipped-db": lambda p: _flip(p, "station.db"),
    "flipped-keys": lambda p: _flip(p, "station.keys"),
    "flipped-material": lambda p: _flip(p, _first_material(p)),
    "flipped-manifest": lambda p: _flip(p, "manifest.json"),
    "altered-material": _alter_material,
    "dropped-material": _drop_material,
    "traversal": lambda p: _with_evil_member(p, "../evil"),
    "deep-traversal": lambda p: _with_evil_member(p, "materials/../../evil"),
    "absolute": lambda p: _with_evil_member(p, "/tmp/evil"),
    "unknown-member": lambda p: _with_evil_member(p, "autorun.sh"),
    "manifest-list": _manifest_as(["station.db"]),
    "manifest-string": _manifest_as("village-station-backup"),
    "manifest-members-list": _manifest_as({"format": "village-station-backup", "version": 1,
                                           "members": ["station.db"]}),
    "manifest-no-db": lambda p: _rezip(p, _members(p), lambda m: m["members"].pop("station.db")),
    "manifest-foreign": lambda p: _rezip(p, _members(p), lambda m: m.update(format="other")),
    "newer-version": _newer_version,
    "no-manifest": _without_manifest,
    "not-a-zip": _not_a_zip,
    "empty-file": _empty,
    "missing-file": _missing,
}


@pytest.fixture
def untouched(filled, backup_file, station_dir):
    """The station's directory (closed) and a check that a restore left it as it was."""
    filled.close()
    before = _fingerprint(station_dir)
    yield station_dir
    assert _fingerprint(station_dir) == before
    assert not (station_dir.parent / "evil").exists() and not Path("/tmp/evil").exists()


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_backup_is_refused_and_nothing_changes(untouched, backup_file, damage) -> None:
    source = damage(backup_file)
    with pytest.raises(BackupError) as raised:
        restore_backup(source, untouched, SETUP.login, PASSWORD)
    message = str(raised.value)
    assert message and "\n" not in message and str(untouched) not in message


@pytest.mark.parametrize(
    "login, password", [(SETUP.login, "wrong password"), ("nobody", PASSWORD)]
)
def test_wrong_password_is_refused_and_nothing_changes(untouched, backup_file, login, password):
    with pytest.raises(WrongPasswordError):
        restore_backup(backup_file, untouched, login, password)


def test_backup_holds_no_plaintext_personal_data(backup_file, scans) -> None:
    data = backup_file.read_bytes()
    secrets = ["欧阳明珠", "11010519491231002X", "13800138000", SETUP.display_name]
    for secret in secrets:
        assert secret.encode("utf-8") not in data
        assert secret.encode("utf-16-le") not in data
    for scan in scans:
        assert scan.read_bytes()[100:4196] not in data
    names = set(_members(backup_file)) - {"station.db", "station.keys", "manifest.json"}
    assert len(names) == 4 and all(n.startswith("materials/") for n in names)


def test_backup_into_a_missing_directory_fails_cleanly(filled, tmp_path) -> None:
    with pytest.raises(BackupError):
        create_backup(filled, tmp_path / "no-such-dir" / "b.zip")
    assert not (tmp_path / "no-such-dir").exists()


def test_backup_with_a_lost_page_file_leaves_no_partial_file(filled, tmp_path) -> None:
    page = MaterialFile.select().first()
    filled.blobs.path_of(page.blob_name).unlink()
    target = tmp_path / "out" / "b.zip"
    target.parent.mkdir()
    with pytest.raises(BackupError):
        create_backup(filled, target)
    assert list(target.parent.iterdir()) == []
