"""Offline bundles at the township: import a station's bundle exactly as if its envelopes
had arrived online (same receipts, same conflicts) and write return bundles of receipts
and events (``docs/protocol.md`` section 9; the zip format is :mod:`sync.bundle`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sync.bundle import CHUNK, Manifest, OutboundBundle, read_outbound, write_return
from sync.township.context import Context
from sync.township.errors import NotFoundError, TownshipError
from sync.township.intake import BUNDLE, IntakeService
from sync.township.models import Envelope, Event, Station
from sync.township.stations import StationService
from sync.township.uploads import UploadService


@dataclass(frozen=True)
class ImportResult:
    """What became of each envelope of an imported bundle."""

    station: str
    received: tuple[int, ...]
    already_held: tuple[int, ...]
    refused: tuple[tuple[int, str], ...]

    @property
    def answered(self) -> tuple[int, ...]:
        """The sequences that have a receipt now."""
        return tuple(sorted(self.received + self.already_held))


class BundleService:
    def __init__(self, context: Context, stations: StationService, uploads: UploadService,
                 intake: IntakeService) -> None:
        self._context = context
        self._stations = stations
        self._uploads = uploads
        self._intake = intake

    def import_outbound(self, path: Path) -> ImportResult:
        """Verify the whole bundle, then take its page files and envelopes in sequence order.

        Raises a ``sync.bundle.BundleError`` (nothing is taken then). An envelope the
        township refuses (a conflict, a malformed one) is listed in ``refused`` with its
        error code and does not stop the others.
        """
        with read_outbound(path, self._stations.public_key) as bundle:
            return self._take(bundle)

    def write_return(self, station: str, path: Path, seqs: tuple[int, ...] | None = None,
                     after_cursor: int = 0) -> Manifest:
        """A return bundle for ``station``: receipts of ``seqs`` (None: of every envelope
        above the ledger sequence both sides agree on) and events after ``after_cursor``.

        Raises NotFoundError, ``sync.bundle.BundleWriteError``.
        """
        row = Station.get_or_none(Station.id == station)
        if row is None:
            raise NotFoundError("no such station")
        receipts = Envelope.select(Envelope.receipt).where(Envelope.station == station)
        receipts = receipts.where(Envelope.seq.in_(seqs) if seqs is not None
                                  else Envelope.seq > row.ledger_through)
        events = Event.select(Event.data).where(Event.station == station,
                                                Event.cursor > after_cursor)
        return write_return(path, self._context.keys.signing, station,
                            (bytes(r.receipt) for r in receipts.order_by(Envelope.seq)),
                            (bytes(e.data) for e in events.order_by(Event.cursor)))

    def _take(self, bundle: OutboundBundle) -> ImportResult:
        station = bundle.manifest.station
        for blob in bundle.blobs:
            with blob.open() as source:
                self._uploads.store_whole(station, blob.sha256, blob.size, _chunks(source))
        received: list[int] = []
        held: list[int] = []
        refused: list[tuple[int, str]] = []
        for seq, data in bundle.envelopes:
            try:
                delivery = self._intake.receive(station, data, BUNDLE)
            except TownshipError as error:
                refused.append((seq, error.code))
                continue
            (received if delivery.created else held).append(seq)
        return ImportResult(station, tuple(received), tuple(held), tuple(refused))


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk
