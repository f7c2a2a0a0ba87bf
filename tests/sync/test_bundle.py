"""Offline bundles: round trips, tampering, wrong signers, unsafe names, zip bombs,
truncation, limits, atomic writing and bounded memory (``docs/protocol.md`` section 9)."""

from __future__ import annotations

import functools
import hashlib
import io
import random
import re
import struct
import tempfile
import tracemalloc
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sync import bundle, envelope, messages
from sync import signed as documents
from sync.errors import MalformedError, SignatureError
from sync.seal import SealingKey

STATION = "st-0042"
STATION_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
TOWNSHIP_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
SEALING = SealingKey.generate()
MOMENT = datetime(2026, 11, 23, 8, 15)
VALID_NAME = re.compile(r"manifest\.json|envelopes/[1-9][0-9]{0,17}\.json|blobs/[0-9a-f]{64}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _envelope(seq: int, blobs: list[tuple[str, int]], station: str = STATION,
              key: Ed25519PrivateKey = STATION_KEY) -> bytes:
    header = envelope.Header(station, seq, str(uuid.UUID(int=seq)), 1, "submission", MOMENT,
                             tuple(envelope.BlobRef(sha, size) for sha, size in blobs))
    return envelope.build(header, {"case": {"seq": seq}}, suite=SEALING.suite,
                          sealing_key=SEALING.public_bytes(), station_key=key)


@functools.cache
def _blobs() -> tuple[bytes, ...]:
    rng = random.Random(7)
    return rng.randbytes(3 * 1024 * 1024 + 17), rng.randbytes(1024 * 1024), b""


@functools.cache
def _envelopes() -> tuple[tuple[int, bytes], ...]:
    big, small, empty = ((_sha(b), len(b)) for b in _blobs())
    return (1, _envelope(1, [big])), (2, _envelope(2, [small, empty])), (3, _envelope(3, [small]))


def _openers() -> list[tuple[str, int, Callable[[], io.BytesIO]]]:
    return [(_sha(b), len(b), functools.partial(io.BytesIO, b)) for b in _blobs()]


@functools.cache
def _outbound_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "out.zip"
        bundle.write_outbound(path, STATION, STATION_KEY, _envelopes(), _openers(),
                              created_at=MOMENT)
        return path.read_bytes()


def _write_outbound(path: Path) -> Path:
    """A copy of the one bundle the writer made of ``_envelopes`` and ``_blobs``."""
    path.write_bytes(_outbound_bytes())
    return path


def _keys(station: str) -> Ed25519PublicKey | None:
    return STATION_KEY.public_key() if station == STATION else None


def _read_outbound(path: Path, **options) -> bundle.OutboundBundle:
    return bundle.read_outbound(path, _keys, work_dir=path.parent, **options)


def _receipt(seq: int, station: str = STATION) -> bytes:
    return messages.make_receipt(messages.Receipt(
        station, seq, str(uuid.UUID(int=seq)), 1, _sha(b"%d" % seq), MOMENT, f"XZ-{seq}",
    ), TOWNSHIP_KEY)


def _event(cursor: int, station: str = STATION) -> bytes:
    return messages.make_event(messages.Event(
        station, cursor, str(uuid.UUID(int=cursor)), MOMENT, "accepted",
        str(uuid.UUID(int=1)), {"township_number": "XZ-1"},
    ), TOWNSHIP_KEY)


def _write_return(path: Path) -> Path:
    bundle.write_return(path, TOWNSHIP_KEY, STATION, [_receipt(1), _receipt(2)],
                        [_event(1), _event(2), _event(3)], created_at=MOMENT)
    return path


def _read_return(path: Path) -> bundle.ReturnBundle:
    return bundle.read_return(path, TOWNSHIP_KEY.public_key(), STATION)


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data, compress_type=method)
    return path


def _kind(name: str) -> str:
    return {"envelopes": "envelope", "blobs": "blob", "receipts": "receipt",
            "events": "event"}[name.split("/")[0]]


def _manifest(members: dict[str, bytes], key: Ed25519PrivateKey, station: str = STATION,
              direction: str = "outbound") -> bytes:
    listed = [{"name": n, "kind": _kind(n), "size": len(d), "sha256": _sha(d)}
              for n, d in sorted(members.items())]
    return documents.sign("bundle", {"station": station, "direction": direction,
                                     "created_at": "2026-11-23T08:15:00Z",
                                     "members": listed}, key)


def _forge(path: Path, members: dict[str, bytes], key: Ed25519PrivateKey = STATION_KEY,
           method: int = zipfile.ZIP_STORED, **manifest) -> Path:
    """A bundle whose manifest lists ``members`` exactly and is signed by ``key``."""
    return _rezip(path, {"manifest.json": _manifest(members, key, **manifest), **members},
                  method)


def _without_manifest(path: Path) -> dict[str, bytes]:
    return {n: d for n, d in _entries(path).items() if n != "manifest.json"}


def _flip(data: bytes, at: int = -1) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at:][1:]


def _work_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p != path)


# --- round trips ---------------------------------------------------------------------


def test_outbound_round_trip_gives_every_envelope_and_page_file(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    with _read_outbound(path) as read:
        assert read.envelopes == _envelopes()
        assert {b.sha256: b.path.read_bytes() for b in read.blobs} == {
            _sha(b): b for b in _blobs()}
        assert (read.manifest.station, read.manifest.direction) == (STATION, "outbound")
        assert read.manifest.created_at == MOMENT
        directory = read.directory
    assert not directory.exists()
    assert _work_files(path) == []


def test_bundle_layout_is_the_documented_one(tmp_path: Path) -> None:
    entries = _entries(_write_outbound(tmp_path / "out.zip"))
    names = set(entries) - {"manifest.json"}
    assert names == {f"envelopes/{s}.json" for s, _ in _envelopes()} | {
        f"blobs/{_sha(b)}" for b in _blobs()}
    signed = documents.read(entries["manifest.json"], "bundle", STATION_KEY.public_key())
    assert signed["members"] == [
        {"name": n, "kind": _kind(n), "size": len(entries[n]), "sha256": _sha(entries[n])}
        for n in sorted(names)]


def test_return_round_trip_gives_receipts_and_events_in_order(tmp_path: Path) -> None:
    read = _read_return(_write_return(tmp_path / "back.zip"))
    assert read.receipts == (_receipt(1), _receipt(2))
    assert read.events == (_event(1), _event(2), _event(3))
    assert (read.manifest.station, read.manifest.direction) == (STATION, "return")


def test_reading_twice_gives_the_same_bundle_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    before = path.read_bytes()
    with _read_outbound(path) as first, _read_outbound(path) as second:
        assert (first.manifest, first.envelopes) == (second.manifest, second.envelopes)
        assert [b.path.read_bytes() for b in first.blobs] == [
            b.path.read_bytes() for b in second.blobs]
    assert path.read_bytes() == before


def test_an_empty_bundle_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    bundle.write_outbound(path, STATION, STATION_KEY, [], [])
    with _read_outbound(path) as read:
        assert (read.envelopes, read.blobs) == ((), ())


# --- tampering and signers -----------------------------------------------------------


@pytest.mark.parametrize("write, read, name", [
    (_write_outbound, _read_outbound, "envelopes/2.json"),
    (_write_outbound, _read_outbound, f"blobs/{_sha(_blobs()[0])}"),
    (_write_return, _read_return, "receipts/1.json"),
    (_write_return, _read_return, "events/3.json"),
])
def test_a_flipped_byte_in_a_member_is_refused(tmp_path: Path, write, read, name) -> None:
    entries = _entries(write(tmp_path / "b.zip"))
    entries[name] = _flip(entries[name], len(entries[name]) // 2)
    with pytest.raises(bundle.TamperedBundleError):
        read(_rezip(tmp_path / "b.zip", entries))
    assert _work_files(tmp_path / "b.zip") == []


@pytest.mark.parametrize("write, read", [(_write_outbound, _read_outbound),
                                         (_write_return, _read_return)])
@pytest.mark.parametrize("at", [30, 200, -20])
def test_a_flipped_byte_in_the_manifest_is_refused(tmp_path: Path, write, read, at) -> None:
    entries = _entries(write(tmp_path / "b.zip"))
    entries["manifest.json"] = _flip(entries["manifest.json"], at)
    with pytest.raises((bundle.TamperedBundleError, bundle.BundleSignatureError)):
        read(_rezip(tmp_path / "b.zip", entries))


def test_a_changed_manifest_entry_breaks_its_signature(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    entries = _entries(path)
    small = _sha(_blobs()[1])
    entries["manifest.json"] = entries["manifest.json"].replace(
        small.encode(), _sha(b"other").encode())
    with pytest.raises(bundle.BundleSignatureError):
        _read_outbound(_rezip(path, entries))


def test_a_bundle_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    members = _without_manifest(_write_outbound(tmp_path / "out.zip"))
    with pytest.raises(bundle.BundleSignatureError):
        _read_outbound(_forge(tmp_path / "out.zip", members, OTHER_KEY))


def test_envelopes_signed_by_another_station_are_refused(tmp_path: Path) -> None:
    members = {"envelopes/1.json": _envelope(1, [], key=OTHER_KEY)}
    with pytest.raises(bundle.BundleSignatureError):
        _read_outbound(_forge(tmp_path / "out.zip", members))


@pytest.mark.parametrize("name, data", [
    ("envelopes/2.json", _envelope(1, [])),
    ("envelopes/1.json", _envelope(1, [], station="st-other")),
])
def test_an_envelope_must_match_its_name_and_station(tmp_path: Path, name, data) -> None:
    with pytest.raises(bundle.TamperedBundleError):
        _read_outbound(_forge(tmp_path / "out.zip", {name: data}))


@pytest.mark.parametrize("name, data", [
    ("receipts/2.json", _receipt(1)),
    ("receipts/1.json", _receipt(1, station="st-other")),
    ("events/1.json", _event(1, station="st-other")),
    ("events/1.json", messages.make_event(messages.Event(
        STATION, 1, str(uuid.UUID(int=1)), MOMENT, "message", None, {"text": "hi"}),
        OTHER_KEY)),
])
def test_a_return_document_must_match_its_name_station_and_signer(
        tmp_path: Path, name, data) -> None:
    path = _forge(tmp_path / "back.zip", {name: data}, TOWNSHIP_KEY, direction="return")
    with pytest.raises((bundle.TamperedBundleError, bundle.BundleSignatureError)):
        _read_return(path)


def test_a_return_bundle_signed_by_another_township_is_refused(tmp_path: Path) -> None:
    path = _write_return(tmp_path / "back.zip")
    with pytest.raises(bundle.BundleSignatureError):
        bundle.read_return(path, OTHER_KEY.public_key(), STATION)


def test_a_return_bundle_for_another_station_is_refused(tmp_path: Path) -> None:
    path = _write_return(tmp_path / "back.zip")
    with pytest.raises(bundle.WrongStationError):
        bundle.read_return(path, TOWNSHIP_KEY.public_key(), "st-other")


def test_an_unknown_station_is_refused(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    with pytest.raises(bundle.UnknownStationError):
        bundle.read_outbound(path, lambda station: None, work_dir=tmp_path)


def test_a_bundle_of_the_other_direction_is_not_taken_for_one(tmp_path: Path) -> None:
    with pytest.raises(bundle.NotABundleError):
        _read_return(_write_outbound(tmp_path / "out.zip"))
    with pytest.raises(bundle.NotABundleError):
        _read_outbound(_write_return(tmp_path / "back.zip"))


# --- names and members ---------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "../evil", "/etc/passwd", "envelopes/../../evil.json", "blobs/../manifest.json",
    "C:/evil", "envelopes\\1.json", "envelopes/01.json", "envelopes/1.json/", "envelopes/",
    "blobs/" + "A" * 64, "blobs/" + "a" * 63, "other.txt", "Manifest.json", "./manifest.json",
    "envelopes/1.json\n", "envelope/1.json",
])
def test_a_member_name_outside_the_pattern_is_refused(tmp_path: Path, name: str) -> None:
    members = {**_without_manifest(_write_outbound(tmp_path / "out.zip")), name: b"{}"}
    path = _rezip(tmp_path / "out.zip", {"manifest.json": _manifest({}, STATION_KEY),
                                         **members})
    with pytest.raises(bundle.UnsafeBundleError):
        _read_outbound(path)
    assert _work_files(path) == []


def test_a_name_with_a_hidden_nul_byte_is_refused(tmp_path: Path) -> None:
    members = {"envelopes/1.json": _lone_envelope()}
    path = _rezip(tmp_path / "out.zip", {"manifest.json": _manifest(members, STATION_KEY),
                                         "envelopes/1.jsonX": _lone_envelope()})
    path.write_bytes(path.read_bytes().replace(b"envelopes/1.jsonX", b"envelopes/1.json\x00"))
    with pytest.raises(bundle.UnsafeBundleError):
        _read_outbound(path)


def test_a_member_not_in_the_manifest_is_refused(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    entries = {**_entries(path), "envelopes/9.json": _envelope(9, [])}
    with pytest.raises(bundle.BundleMembersError):
        _read_outbound(_rezip(path, entries))


def test_a_member_missing_from_the_zip_is_refused(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    entries = _entries(path)
    del entries[f"blobs/{_sha(_blobs()[1])}"]
    with pytest.raises(bundle.BundleMembersError):
        _read_outbound(_rezip(path, entries))


@pytest.mark.parametrize("extra", ["envelopes/1.json", "manifest.json"])
def test_duplicate_member_names_are_refused(tmp_path: Path, extra: str) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as archive:
        warnings.simplefilter("ignore")
        archive.writestr(extra, b"{}")
    with pytest.raises(bundle.UnsafeBundleError):
        _read_outbound(path)


def test_page_files_must_be_exactly_those_the_envelopes_name(tmp_path: Path) -> None:
    members = _without_manifest(_write_outbound(tmp_path / "out.zip"))
    stray = b"a page nobody names"
    with pytest.raises(bundle.BundleMembersError):
        _read_outbound(_forge(tmp_path / "out.zip", {**members, f"blobs/{_sha(stray)}": stray}))
    del members[f"blobs/{_sha(_blobs()[0])}"]
    with pytest.raises(bundle.BundleMembersError):
        _read_outbound(_forge(tmp_path / "out.zip", members))


_NAMES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
    st.lists(st.sampled_from(["..", ".", "", "envelopes", "blobs", "1.json", "a" * 64, "C:",
                              "manifest.json", "\\", "\x00"]), min_size=1, max_size=5)
    .map("/".join),
)


@functools.cache
def _lone_envelope() -> bytes:
    return _envelope(1, [])


@functools.cache
def _small_bundle() -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "small.zip"
        bundle.write_outbound(path, STATION, STATION_KEY, [(1, _lone_envelope())], [])
        return path.read_bytes()


@settings(max_examples=150, deadline=None)
@given(name=_NAMES)
def test_any_added_member_is_refused_and_nothing_lands_outside(name: str) -> None:
    assume(name.split("\x00")[0])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "inner" / "small.zip"
        path.parent.mkdir()
        path.write_bytes(_small_bundle())
        with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as archive:
            warnings.simplefilter("ignore")
            archive.writestr(name, b"{}")
            stored = archive.infolist()[-1].filename
        expected = bundle.BundleError if VALID_NAME.fullmatch(stored) else bundle.UnsafeBundleError
        with pytest.raises(expected):
            _read_outbound(path)
        assert [p.name for p in Path(directory).rglob("*")] == ["inner", "small.zip"]


@settings(max_examples=150, deadline=None)
@given(at=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_refused_or_changes_nothing(at: int, bit: int) -> None:
    data = bytearray(_small_bundle())
    data[at % len(data)] ^= 1 << bit
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "small.zip"
        path.write_bytes(data)
        try:
            read = _read_outbound(path)
        except bundle.BundleError:
            return
        with read:
            assert read.envelopes == ((1, _lone_envelope()),)


# --- zip bombs, truncation, limits ---------------------------------------------------


def _patch(path: Path, name: str, **values: int) -> None:
    """Overwrite ``crc``, ``compress_size`` or ``file_size`` of ``name`` in both its local
    header and its central directory entry."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    central = data.index(b"PK\x01\x02", local + 4)
    while data[central + 6:central + 28] != data[local + 4:local + 26]:
        central = data.index(b"PK\x01\x02", central + 4)
    for field, offset in (("crc", 14), ("compress_size", 18), ("file_size", 22)):
        if field in values:
            struct.pack_into("<I", data, local + offset, values[field])
            struct.pack_into("<I", data, central + offset + 2, values[field])
    path.write_bytes(bytes(data))


def _peak(action: Callable[[], object], error: type) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(error):
            action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ZEROS = 24 * 1024 * 1024
LIE = 1000


@pytest.mark.parametrize("name, crc_of_prefix, error", [
    ("envelopes/1.json", False, bundle.DamagedBundleError),
    ("envelopes/1.json", True, bundle.TamperedBundleError),
    ("manifest.json", False, bundle.DamagedBundleError),
    ("manifest.json", True, bundle.TamperedBundleError),
])
def test_a_member_whose_header_lies_about_its_size_is_refused_in_bounded_memory(
        tmp_path: Path, name: str, crc_of_prefix: bool, error: type) -> None:
    truth = bytes(LIE)
    entries = {} if name == "manifest.json" else {
        "manifest.json": _manifest({name: truth}, STATION_KEY)}
    entries[name] = bytes(ZEROS)
    path = _rezip(tmp_path / "bomb.zip", entries, zipfile.ZIP_DEFLATED)
    _patch(path, name, file_size=LIE, **({"crc": zlib.crc32(truth)} if crc_of_prefix else {}))
    assert _peak(lambda: _read_outbound(path), error) < ZEROS // 6
    assert _work_files(path) == []


def test_an_honest_but_huge_compression_ratio_is_refused_before_reading(tmp_path: Path) -> None:
    zeros = bytes(ZEROS)
    path = _forge(tmp_path / "bomb.zip", {f"blobs/{_sha(zeros)}": zeros},
                  method=zipfile.ZIP_DEFLATED)
    assert _peak(lambda: _read_outbound(path), bundle.OversizedBundleError) < 1024 * 1024


def test_overlapping_members_are_refused(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    name = f"blobs/{_sha(_blobs()[0])}"
    _patch(path, name, compress_size=path.stat().st_size)
    with pytest.raises(bundle.UnsafeBundleError):
        _read_outbound(path)


@pytest.mark.parametrize("limits", [
    bundle.BundleLimits(max_members=3),
    bundle.BundleLimits(max_total_bytes=4 * 1024 * 1024),
    bundle.BundleLimits(max_blob_bytes=2 * 1024 * 1024),
    bundle.BundleLimits(max_document_bytes=500),
    bundle.BundleLimits(max_documents_total=3000),
    bundle.BundleLimits(max_manifest_bytes=500),
    bundle.BundleLimits(max_ratio=1),
])
def test_limits_refuse_a_bundle_before_reading_it(tmp_path: Path, limits) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    with pytest.raises(bundle.OversizedBundleError):
        _read_outbound(path, limits=limits)
    with _read_outbound(path, limits=bundle.BundleLimits(max_members=6)) as read:
        assert len(read.blobs) == 3


@pytest.mark.parametrize("method, flag", [(zipfile.ZIP_BZIP2, 0), (zipfile.ZIP_LZMA, 0),
                                          (zipfile.ZIP_DEFLATED, 0x1)])
def test_other_compression_and_encrypted_members_are_refused(
        tmp_path: Path, method: int, flag: int) -> None:
    members = {"envelopes/1.json": _envelope(1, [])}
    path = _rezip(tmp_path / "out.zip", {"manifest.json": _manifest(members, STATION_KEY),
                                         **members}, method)
    if flag:
        data = bytearray(path.read_bytes())
        for at in (m.start() for m in re.finditer(b"PK\x01\x02", bytes(data))):
            data[at + 8] |= flag
        path.write_bytes(bytes(data))
    with pytest.raises(bundle.UnsafeBundleError):
        _read_outbound(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -22, -1])
def test_a_truncated_bundle_is_refused_as_damaged(tmp_path: Path, keep: float) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep) if keep > 0 else len(data) + int(keep)])
    with pytest.raises(bundle.DamagedBundleError):
        _read_outbound(path)
    assert _work_files(path) == []


@pytest.mark.parametrize("content", [b"", b"not a zip at all", random.Random(1).randbytes(5000),
                                     b"PK\x05\x06" + bytes(18)])
def test_a_file_that_is_not_a_bundle_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "out.zip"
    path.write_bytes(content)
    with pytest.raises(bundle.NotABundleError):
        _read_outbound(path)
    with pytest.raises(bundle.NotABundleError):
        _read_return(path)


def test_a_missing_file_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(bundle.NotABundleError):
        _read_outbound(tmp_path / "absent.zip")


# --- messages ------------------------------------------------------------------------


def test_messages_say_what_to_do_and_name_no_member(tmp_path: Path) -> None:
    path = _write_outbound(tmp_path / "out.zip")
    entries = _entries(path)
    name = f"blobs/{_sha(_blobs()[1])}"
    entries[name] = _flip(entries[name])
    with pytest.raises(bundle.TamperedBundleError) as refused:
        _read_outbound(_rezip(path, entries))
    assert "Ask the station to export the bundle again." in str(refused.value)
    assert _sha(_blobs()[1]) not in str(refused.value)
    with pytest.raises(bundle.WrongStationError) as wrong:
        bundle.read_return(_write_return(tmp_path / "back.zip"), TOWNSHIP_KEY.public_key(),
                           "st-other")
    assert "Check that you chose the right file." in str(wrong.value)
    assert "return bundle" in str(bundle.DamagedBundleError("x", outbound=False))


# --- writing -------------------------------------------------------------------------


class _Failing(io.BytesIO):
    def read(self, size: int = -1) -> bytes:
        if self.tell():
            raise OSError("the disk went away")
        return super().read(size)


@pytest.mark.parametrize("opener, problem", [
    (lambda: _Failing(_blobs()[0]), bundle.MaterialFileProblem.MISSING),
    (lambda: io.BytesIO(_flip(_blobs()[0])), bundle.MaterialFileProblem.ALTERED),
    (lambda: io.BytesIO(_blobs()[0][:-1]), bundle.MaterialFileProblem.ALTERED),
    (lambda: open("/nonexistent/page", "rb"), bundle.MaterialFileProblem.MISSING),
])
def test_a_damaged_page_file_writes_no_bundle_and_keeps_the_old_one(
        tmp_path: Path, opener, problem: bundle.MaterialFileProblem) -> None:
    path = tmp_path / "out.zip"
    path.write_bytes(b"the previous bundle")
    openers = _openers()
    openers[0] = (openers[0][0], openers[0][1], opener)
    with pytest.raises(bundle.MaterialFileError) as raised:
        bundle.write_outbound(path, STATION, STATION_KEY, _envelopes(), openers)
    assert raised.value.reason is problem
    assert path.read_bytes() == b"the previous bundle"
    assert _work_files(path) == []


def test_an_unwritable_target_is_a_write_error(tmp_path: Path) -> None:
    with pytest.raises(bundle.BundleWriteError):
        bundle.write_outbound(tmp_path / "no-such-stick" / "out.zip", STATION, STATION_KEY,
                              _envelopes(), _openers())
    with pytest.raises(bundle.BundleWriteError):
        _write_return(tmp_path / "no-such-stick" / "back.zip")


@pytest.mark.parametrize("envelopes, blobs", [
    ([(2, _envelope(1, []))], []),
    ([(1, _envelope(1, [], station="st-other"))], []),
    ([(1, _envelope(1, [])), (1, _envelope(1, []))], []),
    ([(1, _envelope(1, []))], [(_sha(b"x"), 1, lambda: io.BytesIO(b"x"))]),
    ([(1, _envelope(1, [(_sha(b"x"), 1)]))], []),
    ([(1, _envelope(1, []))], [("../x", 1, lambda: io.BytesIO(b"x"))]),
])
def test_the_writer_refuses_what_a_reader_would_refuse(tmp_path: Path, envelopes, blobs) -> None:
    with pytest.raises(ValueError):
        bundle.write_outbound(tmp_path / "out.zip", STATION, STATION_KEY, envelopes, blobs)
    assert list(tmp_path.iterdir()) == []


def test_the_writer_refuses_envelopes_and_documents_of_another_signer(tmp_path: Path) -> None:
    with pytest.raises(SignatureError):
        bundle.write_outbound(tmp_path / "out.zip", STATION, OTHER_KEY, _envelopes(), _openers())
    with pytest.raises(ValueError):
        bundle.write_return(tmp_path / "back.zip", TOWNSHIP_KEY, STATION,
                            [_receipt(1, station="st-other")], [])
    with pytest.raises((SignatureError, MalformedError)):
        bundle.write_return(tmp_path / "back.zip", OTHER_KEY, STATION, [_receipt(1)], [])
    assert list(tmp_path.iterdir()) == []


# --- bounded memory ------------------------------------------------------------------

BIG = 50 * 1024 * 1024
_BLOCK = random.Random(3).randbytes(bundle.CHUNK)


class _Stream(io.RawIOBase):
    """``size`` bytes of a repeated random block that refuses to be read whole."""

    def __init__(self, size: int) -> None:
        self.position, self.size = 0, size

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert 0 < size <= bundle.CHUNK, "a page file must be read in chunks"
        offset = self.position % len(_BLOCK)
        data = _BLOCK[offset:offset + min(size, self.size - self.position)]
        self.position += len(data)
        return data


def _digest_of_stream(size: int) -> str:
    hasher, stream = hashlib.sha256(), _Stream(size)
    while chunk := stream.read(bundle.CHUNK):
        hasher.update(chunk)
    return hasher.hexdigest()


def _traced(action: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        return action(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_50_mb_page_file_round_trips_without_being_held_whole(tmp_path: Path) -> None:
    digest = _digest_of_stream(BIG)
    path = tmp_path / "out.zip"
    envelopes = [(1, _envelope(1, [(digest, BIG)]))]
    _, written = _traced(lambda: bundle.write_outbound(
        path, STATION, STATION_KEY, envelopes, [(digest, BIG, lambda: _Stream(BIG))]))
    read, peak = _traced(lambda: _read_outbound(path))
    with read:
        (blob,) = read.blobs
        hasher = hashlib.sha256()
        with blob.open() as handle:
            while chunk := handle.read(bundle.CHUNK):
                hasher.update(chunk)
        assert (blob.size, hasher.hexdigest()) == (BIG, digest)
    assert max(written, peak) < 8 * 1024 * 1024
