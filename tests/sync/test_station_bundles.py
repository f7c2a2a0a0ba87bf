"""Offline bundles at the station, with a real station store and a real township: the
queue goes out on a file, the township's return bundle comes back with receipts and
decisions, each applied once; a bundle that does not verify is refused with nothing
applied; an online sync of the same items afterwards changes nothing more."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station import syncstate
from station.bundles import StationBundleSide, export_bundle, import_bundle, import_lines
from station.lifecycle import CaseState
from station.models import (
    AuditEvent,
    Case,
    CaseTransition,
    OutboxItem,
    Receipt,
    SupplementItem,
    SyncCursor,
)
from station.outbox import ItemState
from station.sync_models import SyncEvent, SyncResultFile
from sync.bundle import (
    BundleError,
    BundleSignatureError,
    DamagedBundleError,
    NotABundleError,
    TamperedBundleError,
    WrongStationError,
    write_return,
)
from sync.engine import EventResult
from sync.engine.offline import ReceiptResult, import_return
from sync.messages import Receipt as ReceiptDoc
from sync.messages import make_receipt, read_receipt
from sync.township.decisions import MissingItem, ResultUpload
from sync.township.models import Envelope
from tests.sync.conftest import engine_at, queue_case
from tests.township.server import RunningTownship


def _station(session) -> str:  # noqa: ANN001
    with session.db.atomic():
        return syncstate.require_enrolment().station_id


def _queue(session, matter, applicant, pages, count: int) -> list[Case]:  # noqa: ANN001
    return [queue_case(session, matter, applicant, pages) for _ in range(count)]


def _states(cases: list[Case]) -> list[str]:
    return [Case.get_by_id(case.id).state for case in cases]


def _receipts() -> dict[int, bytes]:
    query = Receipt.select(Receipt, OutboxItem).join(OutboxItem)
    return {row.outbox_item.seq: bytes(row.body) for row in query}


def _snapshot() -> tuple[Any, ...]:
    """Everything an import could change in the station's store."""
    return (
        list(OutboxItem.select(OutboxItem.seq, OutboxItem.state, OutboxItem.attempts,
                               OutboxItem.last_error).order_by(OutboxItem.seq).tuples()),
        _receipts(),
        list(SyncEvent.select(SyncEvent.event_id, SyncEvent.applied, SyncEvent.reason)
             .order_by(SyncEvent.id).tuples()),
        list(SyncCursor.select(SyncCursor.name, SyncCursor.value).order_by(SyncCursor.name)
             .tuples()),
        list(Case.select(Case.uuid, Case.state, Case.revision).order_by(Case.id).tuples()),
        CaseTransition.select().count(), SupplementItem.select().count(),
        SyncResultFile.select().count(), AuditEvent.select().count(),
    )


def _sent_to_township(session, township: RunningTownship, tmp_path: Path,  # noqa: ANN001
                      ) -> tuple[str, Path]:
    """Export the queue and import it at the township; the station id and the bundle."""
    out = tmp_path / "out.zip"
    assert export_bundle(session, out).seqs
    township.service.bundles.import_outbound(out)
    return _station(session), out


def _return_bundle(township: RunningTownship, station: str, path: Path,
                   after_cursor: int = 0) -> Path:
    township.service.bundles.write_return(station, path, after_cursor=after_cursor)
    return path


def test_a_round_trip_by_bundle_settles_the_queue_and_applies_decisions(
        enrolled, township, matter, applicant, pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 5)
    out = tmp_path / "out.zip"
    exported = export_bundle(enrolled, out)
    assert (exported.seqs, exported.set_aside, exported.blobs) == ((1, 2, 3, 4, 5), (), 10)
    assert exported.size == out.stat().st_size > 10 * 40_000
    assert {item.state for item in OutboxItem.select()} == {ItemState.SENDING}
    taken = township.service.bundles.import_outbound(out)
    assert (taken.received, taken.refused) == ((1, 2, 3, 4, 5), ())
    station, decide = _station(enrolled), township.service.decisions
    decide.accept(station, cases[0].uuid)
    decide.return_case(station, cases[1].uuid, "材料不全",
                       [MissingItem("hukou", "户口簿", "缺户主页")])

    imported = import_bundle(enrolled, _return_bundle(township, station, tmp_path / "back.zip"))
    assert imported.receipts[ReceiptResult.APPLIED] == (1, 2, 3, 4, 5)
    assert imported.events == {EventResult.APPLIED: 2, EventResult.QUARANTINED: 0,
                               EventResult.DUPLICATE: 0}
    assert imported.events_left == 0 and imported.changed
    assert _states(cases) == [CaseState.ACCEPTED, CaseState.RETURNED] + [CaseState.UPLOADED] * 3
    assert SupplementItem.select().where(SupplementItem.case == cases[1].id).count() == 1
    pinned = syncstate.identity().signing_key
    for item in OutboxItem.select().order_by(OutboxItem.seq):
        receipt = read_receipt(_receipts()[item.seq], pinned)
        assert (item.state, receipt.seq, receipt.case, receipt.envelope_sha256) == (
            ItemState.SENT, item.seq, item.case.uuid, syncstate.stored_envelope(item).digest)


def test_importing_the_same_return_bundle_again_changes_nothing(
        enrolled, township, matter, applicant, pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 3)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    township.service.decisions.accept(station, cases[2].uuid)
    back = _return_bundle(township, station, tmp_path / "back.zip")
    assert import_bundle(enrolled, back).changed
    before = _snapshot()
    again = import_bundle(enrolled, back)
    assert again.receipts[ReceiptResult.APPLIED] == ()
    assert again.receipts[ReceiptResult.HELD] == (1, 2, 3)
    assert (again.events[EventResult.APPLIED], again.events[EventResult.DUPLICATE]) == (0, 1)
    assert not again.changed
    assert _snapshot() == before


def test_an_online_sync_after_the_return_bundle_changes_nothing_more(
        enrolled, township, matter, applicant, pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 3)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    township.service.decisions.refuse(station, cases[0].uuid, "不符合条件")
    import_bundle(enrolled, _return_bundle(township, station, tmp_path / "back.zip"))
    receipts, states = _receipts(), _states(cases)
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.ok, outcome.sent, outcome.events_applied, outcome.requeued) == (
        True, 0, 0, ())
    assert (_receipts(), _states(cases)) == (receipts, states)
    assert Envelope.select().where(Envelope.station == station).count() == 3


def test_an_export_then_an_online_sync_reaches_the_township_once(
        enrolled, township, matter, applicant, pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 3)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.ok, outcome.sent) == (True, 3)
    held = {row.seq: row for row in Envelope.select().where(Envelope.station == station)}
    assert sorted(held) == [1, 2, 3] and {row.source for row in held.values()} == {"bundle"}
    assert _receipts() == {seq: bytes(row.receipt) for seq, row in held.items()}
    assert set(_states(cases)) == {CaseState.UPLOADED}
    back = tmp_path / "back.zip"
    township.service.bundles.write_return(station, back, (1, 2, 3))
    late = import_bundle(enrolled, back)
    assert (late.receipts[ReceiptResult.HELD], late.changed) == ((1, 2, 3), False)


def test_exporting_again_writes_the_same_envelopes(enrolled, matter, applicant, pages,
                                                   tmp_path) -> None:
    _queue(enrolled, matter, applicant, pages, 2)
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    export_bundle(enrolled, first)
    export_bundle(enrolled, second)
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(second) as two:
        names = sorted(n for n in one.namelist() if n != "manifest.json")
        assert names == sorted(n for n in two.namelist() if n != "manifest.json")
        assert [one.read(n) for n in names] == [two.read(n) for n in names]
    assert len([n for n in names if n.startswith("envelopes/")]) == 2


def test_an_empty_queue_writes_no_file(enrolled, tmp_path) -> None:
    target = tmp_path / "out.zip"
    outcome = export_bundle(enrolled, target)
    assert (outcome.seqs, outcome.set_aside, outcome.size) == ((), (), 0)
    assert not target.exists()


def _page_path(session, case: Case) -> Path:  # noqa: ANN001
    page = next(iter(Case.get_by_id(case.id).pages))
    return session.blobs.path_of(page.blob_name)


def _lose(path: Path) -> None:
    path.unlink()


def _alter(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("built_first", "spoil", "reason"), [
    (False, _lose, "page_missing"),
    (True, _lose, "page_missing"),
    (True, _alter, "blob_digest_mismatch"),
], ids=["lost-before-building", "lost-after-building", "altered-after-building"])
def test_an_item_whose_page_file_fails_is_set_aside(
        enrolled, matter, applicant, pages, tmp_path, built_first: bool,
        spoil: Callable[[Path], None], reason: str) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 3)
    if built_first:
        export_bundle(enrolled, tmp_path / "first.zip")
    spoil(_page_path(enrolled, cases[1]))
    outcome = export_bundle(enrolled, tmp_path / "out.zip")
    assert (outcome.seqs, outcome.set_aside) == ((1, 3), ((2, reason),))
    assert OutboxItem.get(OutboxItem.seq == 2).state == ItemState.QUARANTINED
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        envelopes = sorted(n for n in archive.namelist() if n.startswith("envelopes/"))
    assert envelopes == ["envelopes/1.json", "envelopes/3.json"]


def test_a_result_file_waits_for_the_next_online_sync(enrolled, township, matter, applicant,
                                                      pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 2)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    decide = township.service.decisions
    decide.accept(station, cases[0].uuid)
    decide.complete(station, cases[0].uuid, True, "准予办理",
                    ResultUpload("决定书.pdf", "application/pdf", b"%PDF-1.7 result"))
    decide.message(station, "请携带身份证领取")
    imported = import_bundle(enrolled, _return_bundle(township, station, tmp_path / "back.zip"))
    assert (imported.events[EventResult.APPLIED], imported.events_left) == (1, 2)
    assert syncstate.counter(syncstate.EVENTS_CURSOR) == 1
    assert _states(cases) == [CaseState.ACCEPTED, CaseState.UPLOADED]
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.ok, outcome.events_applied) == (True, 2)
    assert _states(cases)[0] == CaseState.COMPLETED
    assert SyncResultFile.select().count() == 1


def test_events_after_a_gap_are_left_for_the_online_sync(enrolled, township, matter,
                                                         applicant, pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 2)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    for case in cases:
        township.service.decisions.accept(station, case.uuid)
    back = _return_bundle(township, station, tmp_path / "back.zip", after_cursor=1)
    imported = import_bundle(enrolled, back)
    assert imported.receipts[ReceiptResult.APPLIED] == (1, 2)
    assert (imported.events[EventResult.APPLIED], imported.events_left) == (0, 1)
    assert syncstate.counter(syncstate.EVENTS_CURSOR) == 0
    assert engine_at(enrolled, township.url).run_round().events_applied == 2
    assert set(_states(cases)) == {CaseState.ACCEPTED}


def _receipt_doc(item: OutboxItem, **changes: Any) -> ReceiptDoc:
    """A receipt for ``item`` as the township would sign it, with ``changes``."""
    values = dict(station=syncstate.require_enrolment().station_id, seq=item.seq,
                  case=item.case.uuid,
                  revision=item.revision, envelope_sha256=syncstate.stored_envelope(item).digest,
                  received_at=datetime(2026, 11, 23, tzinfo=timezone.utc), township_number="X1")
    values.update(changes)
    return ReceiptDoc(**values)


@pytest.mark.parametrize(("changes", "result"), [
    ({"seq": 99}, ReceiptResult.UNKNOWN),
    ({"envelope_sha256": "0" * 64}, ReceiptResult.UNMATCHED),
    ({"revision": 7}, ReceiptResult.UNMATCHED),
], ids=["unknown-seq", "other-envelope", "other-revision"])
def test_a_receipt_that_names_no_item_of_ours_is_reported_not_applied(
        enrolled, township, matter, applicant, pages, tmp_path, changes: dict[str, Any],
        result: ReceiptResult) -> None:
    _queue(enrolled, matter, applicant, pages, 1)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    signing = township.service.context.keys.signing
    item = OutboxItem.get(OutboxItem.seq == 1)
    odd = make_receipt(_receipt_doc(item, **changes), signing)
    write_return(tmp_path / "odd.zip", signing, station, [odd], [])
    imported = import_bundle(enrolled, tmp_path / "odd.zip")
    assert imported.receipts[result] == (changes.get("seq", 1),)
    assert (imported.count(ReceiptResult.APPLIED), imported.changed) == (0, False)
    assert "were not applied: ask the township" in import_lines(imported)[-1]
    assert OutboxItem.get(OutboxItem.seq == 1).state == ItemState.SENDING


def _flip_a_receipt_byte(township: RunningTownship, station: str, back: Path,
                         tmp_path: Path) -> Path:
    data = bytearray(back.read_bytes())
    with zipfile.ZipFile(back) as archive:
        info = archive.getinfo("receipts/1.json")
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26:header + 28], "little")
    extra_length = int.from_bytes(data[header + 28:header + 30], "little")
    data[header + 30 + name_length + extra_length + info.compress_size // 2] ^= 0x40
    (tmp_path / "flipped.zip").write_bytes(bytes(data))
    return tmp_path / "flipped.zip"


def _other_stations(township: RunningTownship, station: str, back: Path,
                    tmp_path: Path) -> Path:
    other = township.add_station("Village B").station
    township.service.decisions.message(other, "另一个站点")
    return _return_bundle(township, other, tmp_path / "other.zip")


def _signed_by_another_key(township: RunningTownship, station: str, back: Path,
                           tmp_path: Path) -> Path:
    forger = Ed25519PrivateKey.generate()
    forged = [make_receipt(_receipt_doc(item), forger)
              for item in OutboxItem.select().order_by(OutboxItem.seq)]
    write_return(tmp_path / "forged.zip", forger, station, forged, [])
    return tmp_path / "forged.zip"


def _the_outbound_bundle(township: RunningTownship, station: str, back: Path,
                         tmp_path: Path) -> Path:
    return tmp_path / "out.zip"


def _cut_short(township: RunningTownship, station: str, back: Path, tmp_path: Path) -> Path:
    (tmp_path / "short.zip").write_bytes(back.read_bytes()[:-200])
    return tmp_path / "short.zip"


Spoil = Callable[[RunningTownship, str, Path, Path], Path]


@pytest.mark.parametrize(("spoil", "error"), [
    (_flip_a_receipt_byte, (DamagedBundleError, TamperedBundleError)),
    (_other_stations, WrongStationError),
    (_signed_by_another_key, BundleSignatureError),
    (_the_outbound_bundle, NotABundleError),
    (_cut_short, (DamagedBundleError, NotABundleError)),
], ids=["flipped-byte", "other-station", "other-key", "outbound-bundle", "truncated"])
def test_a_spoilt_return_bundle_is_refused_with_nothing_applied(
        enrolled, township, matter, applicant, pages, tmp_path, spoil: Spoil,
        error: type[BundleError] | tuple[type[BundleError], ...]) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 2)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    township.service.decisions.accept(station, cases[0].uuid)
    back = _return_bundle(township, station, tmp_path / "back.zip")
    spoilt = spoil(township, station, back, tmp_path)
    before = _snapshot()
    with pytest.raises(error) as refused:
        import_bundle(enrolled, spoilt)
    assert isinstance(refused.value, BundleError) and str(refused.value)
    assert _snapshot() == before
    assert import_bundle(enrolled, back).count(ReceiptResult.APPLIED) == 2


class _FailingSide(StationBundleSide):
    """The real side, failing where the cursor would be stored (after the receipts and the
    first event were applied): a crash in the middle of an import."""

    def set_cursor(self, cursor: int) -> None:
        raise RuntimeError("power cut")


def test_an_import_that_fails_half_way_leaves_nothing_applied(
        enrolled, township, matter, applicant, pages, tmp_path) -> None:
    cases = _queue(enrolled, matter, applicant, pages, 2)
    station, _ = _sent_to_township(enrolled, township, tmp_path)
    township.service.decisions.accept(station, cases[0].uuid)
    back = _return_bundle(township, station, tmp_path / "back.zip")
    before = _snapshot()
    with pytest.raises(RuntimeError):
        import_return(_FailingSide(enrolled), back)
    assert _snapshot() == before
    assert import_bundle(enrolled, back).changed
