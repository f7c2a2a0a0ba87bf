"""Offline bundles at the station: ``export_bundle`` writes the queue to a file for a USB
stick, ``import_bundle`` applies the township's return bundle (the protocol logic is
:mod:`sync.engine.offline`; this module gives it the store and says the outcome in plain
words)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from station import syncstate
from station.audit import Action
from station.i18n import _
from station.models import Case, OutboxItem, Receipt
from station.outbox import ItemState
from station.syncside import StationSyncSide
from sync.engine import EventResult, describe
from sync.engine.offline import (
    ExportOutcome,
    ImportOutcome,
    ItemRecord,
    ReceiptResult,
    export_bundle as export_items,
    import_return,
)

if TYPE_CHECKING:
    from station.session import Session

log = logging.getLogger(__name__)
_AWAITING = (ItemState.PENDING, ItemState.SENDING)


class StationBundleSide(StationSyncSide):
    """The sync side of a session, with what bundles need besides."""

    def item(self, seq: int) -> ItemRecord | None:
        with self._atomic():
            row = (OutboxItem.select(OutboxItem, Case).join(Case)
                   .where(OutboxItem.seq == seq).first())
            if row is None:
                return None
            kept = syncstate.stored_envelope(row)
            receipt = Receipt.get_or_none(Receipt.outbox_item == row)
            return ItemRecord(row.seq, row.case.uuid, row.revision,
                              kept.digest if kept is not None else None,
                              row.state in _AWAITING,
                              bytes(receipt.body) if receipt is not None else None)

    def exported(self, seqs: Sequence[int]) -> None:
        with self._atomic():
            query = (OutboxItem.select(OutboxItem, Case).join(Case)
                     .where(OutboxItem.seq.in_(list(seqs))).order_by(OutboxItem.seq))
            for row in query:
                self._ctx.audit.record(Action.EXPORT, "case", row.case.uuid,
                                       agent_login=self._ctx.agent.login,
                                       detail={"bundle": row.seq})

    def batch(self) -> AbstractContextManager[object]:
        return self._atomic()


def export_bundle(session: Session, path: str | os.PathLike[str]) -> ExportOutcome:
    """Write every queued item of the enrolled station to ``path`` (nothing when the queue
    is empty). Raises NotEnrolledError and ``sync.bundle.BundleWriteError``."""
    outcome = export_items(StationBundleSide(session), path)
    log.info("bundle exported: %d items, %d set aside, %d bytes", len(outcome.seqs),
             len(outcome.set_aside), outcome.size)
    return outcome


def import_bundle(session: Session, path: str | os.PathLike[str]) -> ImportOutcome:
    """Apply the township's return bundle at ``path``. Raises NotEnrolledError and a
    ``sync.bundle.BundleError`` (the bundle is refused and nothing is applied)."""
    outcome = import_return(StationBundleSide(session), path)
    log.info("return bundle imported: %d receipts applied, %d events applied",
             outcome.count(ReceiptResult.APPLIED), outcome.events[EventResult.APPLIED])
    return outcome


def export_lines(outcome: ExportOutcome, path: str | os.PathLike[str]) -> list[str]:
    """What an export did, in plain words, one line each."""
    lines = [_("Item {seq} was set aside: {words}").format(seq=seq, words=describe(reason))
             for seq, reason in outcome.set_aside]
    if lines and not outcome.seqs:
        return [_("No bundle was written: no waiting item could be exported."), *lines]
    if not outcome.seqs:
        return [_("Nothing to export: no item is waiting for the township.")]
    return [_("Bundle written to {path}: items {items}, page files {pages}, {size} bytes. "
              "Take it to the township; its return bundle or the next sync brings the "
              "receipts.").format(path=os.fspath(path), items=len(outcome.seqs),
                                  pages=outcome.blobs, size=outcome.size), *lines]


def import_lines(outcome: ImportOutcome) -> list[str]:
    """What an import did, in plain words, one line each."""
    events = outcome.events
    lines = [
        _("Receipts: {applied} new, {held} already here.").format(
            applied=outcome.count(ReceiptResult.APPLIED),
            held=outcome.count(ReceiptResult.HELD)),
        _("Township decisions: {applied} applied, {aside} set aside, {seen} already here.")
        .format(applied=events[EventResult.APPLIED], aside=events[EventResult.QUARANTINED],
                seen=events[EventResult.DUPLICATE]),
    ]
    if outcome.events_left:
        lines.append(_("{count} township decisions were left for the next sync (a result "
                       "file to download, or earlier decisions missing here).")
                     .format(count=outcome.events_left))
    odd = sorted(outcome.seqs(ReceiptResult.UNKNOWN) + outcome.seqs(ReceiptResult.UNMATCHED))
    if odd:
        lines.append(_("Receipts for items {seqs} do not match what this station sent and "
                       "were not applied: ask the township.")
                     .format(seqs=", ".join(str(seq) for seq in odd)))
    return lines
