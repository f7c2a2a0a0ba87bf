"""Receiving envelopes: verify, detect resends and conflicts, check the blobs, store, and
answer with a signed receipt (``docs/protocol.md`` sections 3-5).

An identical resend gets the original receipt bytes; the same sequence or the same case
revision with other content is a conflict that changes nothing but the record of refusals
(:mod:`sync.township.refusals`), as does every other refusal for good (422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync import envelope as envelopes
from sync.errors import MalformedError, SealError, SignatureError
from sync.messages import Receipt, make_receipt
from sync.signed import raw_public_key
from sync.township.casestate import after_envelope, first_state
from sync.township.config import MAX_NUMBER
from sync.township.context import Context
from sync.township.db import lock_station
from sync.township.errors import (
    BlobsMissingError,
    ConflictError,
    EnvelopeRefusedError,
    SignatureInvalidError,
)
from sync.township.models import Blob, Case, Envelope
from sync.township.refusals import RefusalLog

ONLINE, BUNDLE = "online", "bundle"


@dataclass(frozen=True)
class Delivery:
    """A receipt, and whether the envelope was new (201) or a resend (200)."""

    receipt: bytes
    created: bool


class IntakeService:
    def __init__(self, context: Context,
                 station_key: Callable[[str], Ed25519PublicKey | None]) -> None:
        self._context = context
        self._station_key = station_key
        self._refusals = RefusalLog(context)

    def receive(self, station: str, data: bytes, source: str = ONLINE) -> Delivery:
        """Store the envelope ``data`` from ``station`` and answer with its receipt.

        Raises SignatureInvalidError (the station is unknown or revoked),
        EnvelopeRefusedError (``malformed``, ``envelope_signature_invalid``,
        ``undecryptable``, ``sequence_invalid``), ConflictError, BlobsMissingError. The
        refusals for good (422, 409) are recorded before they are raised.
        """
        key = self._station_key(station)
        if key is None:
            raise SignatureInvalidError("unknown or revoked station")
        try:
            return self._receive(station, data, key, source)
        except (EnvelopeRefusedError, ConflictError) as error:
            self._refusals.record(station, data, error.code)
            raise

    def _receive(self, station: str, data: bytes, key: Ed25519PublicKey,
                 source: str) -> Delivery:
        envelope = _verify(station, data, key)
        earlier = Envelope.get_or_none(Envelope.station == station,
                                       Envelope.seq == envelope.header.seq)
        if earlier is not None and earlier.digest == envelope.digest:
            return Delivery(bytes(earlier.receipt), False)
        self._open(envelope)
        return self._store(envelope, raw_public_key(key), source)

    def _open(self, envelope: envelopes.Envelope) -> None:
        try:
            envelopes.open_content(envelope, self._context.keys.sealing)
        except SealError:
            raise EnvelopeRefusedError("undecryptable",
                                       "the content is not sealed to this township") from None
        except MalformedError:
            raise EnvelopeRefusedError("malformed", "the sealed content is malformed") from None

    def _store(self, envelope: envelopes.Envelope, key: bytes, source: str) -> Delivery:
        header = envelope.header
        with self._context.database.atomic():
            lock_station(header.station)
            earlier = Envelope.get_or_none(Envelope.station == header.station,
                                           Envelope.seq == header.seq)
            if earlier is not None:
                if earlier.digest == envelope.digest:
                    return Delivery(bytes(earlier.receipt), False)
                raise ConflictError(earlier.digest)
            case = Case.get_or_none(Case.station == header.station,
                                    Case.case_uuid == header.case)
            if case is not None:
                _check_sequence(case, header)
            self._check_blobs(header)
            case = self._case(case, header)
            return Delivery(self._record(case, envelope, key, source), True)

    def _check_blobs(self, header: envelopes.Header) -> None:
        wanted = {blob.sha256: blob.size for blob in header.blobs}
        held = {row.sha256: row.size for row in Blob.select(Blob.sha256, Blob.size).where(
            Blob.station == header.station, Blob.complete == True,  # noqa: E712
            Blob.sha256.in_(list(wanted)))} if wanted else {}
        if any(held[sha] != size for sha, size in wanted.items() if sha in held):
            raise EnvelopeRefusedError("malformed", "a blob's size is not its upload's")
        missing = sorted(sha for sha in wanted if sha not in held)
        if missing:
            raise BlobsMissingError(missing)

    def _case(self, case: Case | None, header: envelopes.Header) -> Case:
        now = self._context.clock()
        if case is None:
            case = Case.create(station=header.station, case_uuid=header.case,
                               state=first_state(header.kind), revision=header.revision,
                               received_at=now, updated_at=now)
            case.township_number = f"T{now.year}-{case.id:06d}"
        elif header.revision > case.revision:
            case.state = after_envelope(case.state, header.kind)
            case.revision, case.updated_at = header.revision, now
        case.save()
        return case

    def _record(self, case: Case, envelope: envelopes.Envelope, key: bytes,
                source: str) -> bytes:
        header = envelope.header
        now = self._context.clock()
        receipt = make_receipt(Receipt(header.station, header.seq, header.case,
                                       header.revision, envelope.digest, now,
                                       case.township_number), self._context.keys.signing)
        Envelope.create(station=header.station, seq=header.seq, case=case,
                        revision=header.revision, kind=header.kind, digest=envelope.digest,
                        data=envelope.data, station_key=key, receipt=receipt, received_at=now,
                        source=source)
        return receipt


def _verify(station: str, data: bytes, key: Ed25519PublicKey) -> envelopes.Envelope:
    try:
        if envelopes.station_of(data) != station:
            raise EnvelopeRefusedError("malformed", "the envelope names another station")
        envelope = envelopes.verify(data, key)
    except MalformedError:
        raise EnvelopeRefusedError("malformed", "the envelope is malformed") from None
    except SignatureError:
        raise EnvelopeRefusedError("envelope_signature_invalid",
                                   "the envelope's signature does not verify") from None
    if max(envelope.header.seq, envelope.header.revision) > MAX_NUMBER:
        raise EnvelopeRefusedError("malformed", "a sequence or revision beyond any")
    return envelope


def _check_sequence(case: Case, header: envelopes.Header) -> None:
    """Raise ConflictError for a revision already held with other content, and
    EnvelopeRefusedError(``sequence_invalid``) when sequence and revision orders disagree."""
    same = Envelope.get_or_none(Envelope.case == case, Envelope.revision == header.revision)
    if same is not None:
        raise ConflictError(same.digest)
    disagreeing = Envelope.select().where(
        Envelope.case == case,
        ((Envelope.seq < header.seq) & (Envelope.revision > header.revision))
        | ((Envelope.seq > header.seq) & (Envelope.revision < header.revision)))
    if disagreeing.exists():
        raise EnvelopeRefusedError("sequence_invalid",
                                   "sequence and revision orders disagree for this case")
