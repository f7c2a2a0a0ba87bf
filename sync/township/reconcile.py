"""Heartbeats and ledgers: what each station says about itself, compared with what arrived
(``docs/protocol.md`` section 7)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.errors import MalformedError, SignatureError
from sync.messages import Ledger, LedgerEntry, ledger_digest, read_ledger
from sync.township.config import MAX_NAME, MAX_NUMBER
from sync.township.context import Context
from sync.township.db import batches, lock_station
from sync.township.errors import MalformedRequestError, SignatureInvalidError
from sync.township.models import Envelope, Heartbeat, LedgerReport, Station
from sync.township.models import LedgerEntry as AgreedEntry
from sync.township.refusals import refused_digests

_COUNTS = ("queue", "quarantined", "highest_seq")
_TEXTS = ("catalog_version", "last_error")


@dataclass(frozen=True)
class LedgerAnswer:
    through: int
    missing: tuple[int, ...]
    mismatched: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"through": self.through, "missing": list(self.missing),
                "mismatched": list(self.mismatched)}


def heartbeat_fields(body: Any) -> dict[str, Any]:
    """The heartbeat's fields, checked. Raises MalformedRequestError. Fields the protocol
    does not name are ignored (a newer station may send more)."""
    if not isinstance(body, dict):
        raise MalformedRequestError("heartbeat is not an object")
    for name in _COUNTS:
        if type(body.get(name)) is not int or not 0 <= body[name] <= MAX_NUMBER:
            raise MalformedRequestError(f"bad {name}")
    if not isinstance(body.get("app_version"), str) or not body["app_version"]:
        raise MalformedRequestError("bad app_version")
    for name in _TEXTS:
        if not isinstance(body.get(name, ""), (str, type(None))):
            raise MalformedRequestError(f"bad {name}")
    if len(body["app_version"]) > MAX_NAME or len(body.get("catalog_version") or "") > MAX_NAME:
        raise MalformedRequestError("version too long")
    free = body.get("free_disk")
    if free is not None and (type(free) is not int or free < 0):
        raise MalformedRequestError("bad free_disk")
    return {name: body.get(name) for name in
            (*_COUNTS, "app_version", *_TEXTS, "free_disk")}


class Reconciliation:
    def __init__(self, context: Context) -> None:
        self._context = context

    def heartbeat(self, station: str, body: Any) -> None:
        """Store what the station says about itself. Raises MalformedRequestError."""
        facts = heartbeat_fields(body)
        facts["last_error"] = (facts["last_error"] or "")[:MAX_NAME] or None
        with self._context.database.atomic():
            Heartbeat.create(station=station, received_at=self._context.clock(), **facts)
            Station.update(app_version=facts["app_version"]).where(Station.id == station) \
                .execute()

    def ledger(self, station: str, data: bytes, key: Ed25519PublicKey) -> LedgerAnswer:
        """Compare the station's signed ledger with what arrived; remember what agrees.

        Raises MalformedRequestError, SignatureInvalidError (not signed by ``key`` or
        about another station).
        """
        try:
            ledger = read_ledger(data, key)
        except MalformedError as error:
            raise MalformedRequestError(f"ledger: {error.reason}") from None
        except SignatureError:
            raise SignatureInvalidError("the ledger's signature does not verify") from None
        if ledger.station != station:
            raise SignatureInvalidError("the ledger is about another station")
        if max([ledger.highest_seq, ledger.count, *(e.seq for e in ledger.entries)]) > MAX_NUMBER:
            raise MalformedRequestError("ledger: a number beyond any sequence")
        with self._context.database.atomic():
            lock_station(station)
            answer = self._compare(station, ledger)
            self._remember(station, ledger, answer)
        return answer

    def _compare(self, station: str, ledger: Ledger) -> LedgerAnswer:
        """Missing and mismatched entries, and the sequence both sides agree through. An
        entry the township refused is settled when the station lists it without an
        envelope (``-``) or with the digest of the envelope refused at that sequence."""
        seqs = [entry.seq for entry in ledger.entries]
        held: dict[int, str] = {}
        for part in batches(seqs):
            held.update(Envelope.select(Envelope.seq, Envelope.digest).where(
                Envelope.station == station, Envelope.seq.in_(list(part))).tuples())
        refused = refused_digests(station, seqs)
        open_entries = [e for e in ledger.entries if not _settled_by_refusal(e, refused)]
        missing = tuple(e.seq for e in open_entries
                        if e.envelope_sha256 is not None and e.seq not in held)
        mismatched = tuple(e.seq for e in open_entries
                           if e.seq in held and held[e.seq] != e.envelope_sha256)
        if not self._history_agrees(station, ledger):
            return LedgerAnswer(0, missing, mismatched)
        start = ledger.entries[0].seq if ledger.entries else ledger.highest_seq + 1
        unsettled = set(range(start, ledger.highest_seq + 1)) - set(seqs)
        problems = set(missing) | set(mismatched) | unsettled
        return LedgerAnswer(min(problems) - 1 if problems else ledger.highest_seq,
                            missing, mismatched)

    @staticmethod
    def _history_agrees(station: str, ledger: Ledger) -> bool:
        """Whether the lines agreed before, followed by the new entries, give the
        station's count and digest."""
        first = ledger.entries[0].seq if ledger.entries else ledger.highest_seq + 1
        earlier = [LedgerEntry(seq, digest) for seq, digest in AgreedEntry.select(
            AgreedEntry.seq, AgreedEntry.envelope_sha256).where(
            AgreedEntry.station == station, AgreedEntry.seq < first)
            .order_by(AgreedEntry.seq).tuples()]
        lines = earlier + list(ledger.entries)
        return len(lines) == ledger.count and ledger_digest(lines) == ledger.digest

    def _remember(self, station: str, ledger: Ledger, answer: LedgerAnswer) -> None:
        AgreedEntry.delete().where(AgreedEntry.station == station,
                                   AgreedEntry.seq > answer.through).execute()
        agreed = [e for e in ledger.entries if e.seq <= answer.through]
        if agreed:
            AgreedEntry.delete().where(AgreedEntry.station == station,
                                       AgreedEntry.seq >= agreed[0].seq).execute()
        for part in batches(agreed):
            AgreedEntry.insert_many([(station, e.seq, e.envelope_sha256) for e in part], fields=[
                AgreedEntry.station, AgreedEntry.seq, AgreedEntry.envelope_sha256]).execute()
        Station.update(ledger_through=answer.through).where(Station.id == station).execute()
        LedgerReport.create(station=station, received_at=self._context.clock(),
                            highest_seq=ledger.highest_seq, count=ledger.count,
                            digest=ledger.digest, through=answer.through,
                            missing=_numbers(answer.missing),
                            mismatched=_numbers(answer.mismatched))


def _settled_by_refusal(entry: LedgerEntry, refused: Mapping[int, frozenset[str]]) -> bool:
    digests = refused.get(entry.seq)
    return digests is not None and (entry.envelope_sha256 is None
                                    or entry.envelope_sha256 in digests)


def _numbers(values: Sequence[int]) -> str:
    return json.dumps(list(values))
