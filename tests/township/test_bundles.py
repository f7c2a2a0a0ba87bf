"""Offline bundles at the township: an imported bundle is taken exactly as if it had come
online, twice changes nothing, and the return bundle carries receipts and events."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.bundle import UnknownStationError, read_return, write_outbound
from sync.messages import read_event, read_receipt
from sync.township.models import Envelope
from sync.township.service import Township
from tests.township.client import DirectStation, enrol_directly, ledger_bytes
from tests.township.server import create_township


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Township]:
    service = create_township(tmp_path / "township")
    try:
        yield service
    finally:
        service.close()


def _bundle(path: Path, station: DirectStation, envelopes: list[tuple[int, bytes]],
            pages: list[bytes]) -> Path:
    blobs = [(hashlib.sha256(p).hexdigest(), len(p), (lambda p=p: io.BytesIO(p)))
             for p in pages]
    write_outbound(path, station.id, station.key, envelopes, blobs)
    return path


def _two_cases(tmp_path: Path, station: DirectStation) -> tuple[Path, list[bytes]]:
    pages = [os.urandom(3000), os.urandom(5000)]
    envelopes = [(1, station.envelope(1, blobs=(pages[0],))),
                 (2, station.envelope(2, blobs=(pages[1],)))]
    return _bundle(tmp_path / "out.zip", station, envelopes, pages), [e for _, e in envelopes]


def test_an_imported_bundle_is_taken_as_if_online(township: Township, tmp_path: Path) -> None:
    station = enrol_directly(township)
    path, envelopes = _two_cases(tmp_path, station)
    result = township.bundles.import_outbound(path)
    assert (result.station, result.received, result.refused) == (station.id, (1, 2), ())
    online = township.intake.receive(station.id, envelopes[0])
    assert not online.created
    assert [row.source for row in Envelope.select().order_by(Envelope.seq)] == ["bundle"] * 2


def test_importing_twice_changes_nothing(township: Township, tmp_path: Path) -> None:
    station = enrol_directly(township)
    path, _ = _two_cases(tmp_path, station)
    township.bundles.import_outbound(path)
    receipts = [bytes(r.receipt) for r in Envelope.select().order_by(Envelope.seq)]
    again = township.bundles.import_outbound(path)
    assert (again.received, again.already_held) == ((), (1, 2))
    assert [bytes(r.receipt) for r in Envelope.select().order_by(Envelope.seq)] == receipts


def test_a_conflict_in_a_bundle_is_listed_and_the_rest_taken(township: Township,
                                                             tmp_path: Path) -> None:
    station = enrol_directly(township)
    township.intake.receive(station.id, station.envelope(1))
    envelopes = [(1, station.envelope(1)), (2, station.envelope(2))]
    result = township.bundles.import_outbound(_bundle(tmp_path / "b.zip", station,
                                                      envelopes, []))
    assert (result.received, result.refused) == ((2,), ((1, "conflict"),))
    assert [(r.seq, r.code) for r in township.overview.refusals(station.id)] == \
        [(1, "conflict")]


def test_a_bundle_of_a_station_not_enrolled_here_is_refused(township: Township,
                                                            tmp_path: Path) -> None:
    station = enrol_directly(township)
    path, _ = _two_cases(tmp_path, station)
    township.stations.revoke(station.id)
    with pytest.raises(UnknownStationError):
        township.bundles.import_outbound(path)
    assert Envelope.select().count() == 0


def test_the_return_bundle_carries_receipts_and_events(township: Township,
                                                       tmp_path: Path) -> None:
    station = enrol_directly(township)
    case = str(uuid.uuid4())
    path = _bundle(tmp_path / "out.zip", station, [(1, station.envelope(1, case=case))], [])
    result = township.bundles.import_outbound(path)
    township.decisions.accept(station.id, case)
    township.bundles.write_return(station.id, tmp_path / "back.zip", result.answered)
    back = read_return(tmp_path / "back.zip", station.enrolment.signing_key, station.id)
    receipt = read_receipt(back.receipts[0], station.enrolment.signing_key)
    event = read_event(back.events[0], station.enrolment.signing_key)
    assert (receipt.seq, receipt.case, event.kind, event.case) == (1, case, "accepted", case)


def test_an_export_leaves_out_what_the_ledger_settled(township: Township,
                                                      tmp_path: Path) -> None:
    station = enrol_directly(township)
    first = station.envelope(1)
    township.intake.receive(station.id, first)
    township.intake.receive(station.id, station.envelope(2))
    township.reconciliation.ledger(station.id, ledger_bytes(
        station.id, station.key, {1: hashlib.sha256(first).hexdigest()}),
        station.key.public_key())
    township.decisions.message(station.id, "one")
    township.decisions.message(station.id, "two")
    township.bundles.write_return(station.id, tmp_path / "back.zip", after_cursor=1)
    back = read_return(tmp_path / "back.zip", station.enrolment.signing_key, station.id)
    key = station.enrolment.signing_key
    assert [read_receipt(r, key).seq for r in back.receipts] == [2]
    assert [read_event(e, key).payload["text"] for e in back.events] == ["two"]
