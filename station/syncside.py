"""The station's side of sync: :class:`sync.engine.StationSide` over a logged-in session.

It builds each outbox item's envelope once, at the first send attempt (the case content of
``docs/protocol.md`` section 3, sealed to the pinned township key) and keeps it, so a
resend is byte-identical; it settles items as the engine reports and applies township
events through the case services, each once (section 6). Each method is one transaction.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station import __version__, catalogs, syncstate
from station.audit import Action
from station.blobstore import BlobStore, MaterialMissingError, StoredBlob
from station.cases import MissingItem, StatusEvent
from station.catalogs import ReleaseRefusedError
from station.context import CaseNotFoundError, get_case
from station.lifecycle import CaseState, InvalidTransitionError, Transition
from station.models import (
    Case,
    CaseTransition,
    DeferredMaterial,
    Evaluation,
    MaterialFile,
    MaterialRequirement,
    OutboxItem,
    Receipt,
)
from station.outbox import ItemKind, ItemState
from sync import fields, signed
from sync.engine import (
    BlobSource,
    BuiltEnvelope,
    EventResult,
    Fetch,
    Identity,
    ItemError,
    LedgerState,
    PendingItem,
    RoundStep,
    SyncConfig,
    SyncEngine,
)
from sync.envelope import DOC_TYPE as ENVELOPE
from sync.envelope import MAX_ENVELOPE_BYTES, BlobRef, Header, build
from sync.messages import Event
from sync.transport import Transport, TransportConfig

if TYPE_CHECKING:
    from station.session import Session

log = logging.getLogger(__name__)
_UNSETTLED = [ItemState.PENDING, ItemState.SENDING]
# The transition each township decision causes.
_DECISIONS = {
    "accepted": Transition.ACCEPT,
    "returned": Transition.RETURN,
    "refused": Transition.REFUSE,
    "completed": Transition.COMPLETE,
}
# The state whose reason is the ``note`` of an item of this kind.
_NOTE_STATES = {ItemKind.WITHDRAWAL: CaseState.WITHDRAWN, ItemKind.DELIVERY: CaseState.DELIVERED}


class _UnapplicableError(Exception):
    """An event verifies but cannot be applied; ``reason`` is kept with it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StationSyncSide:
    """The engine's way into the station store of ``session``."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._ctx = session.ctx
        self._blobs = session.blobs
        self._identity: Identity | None = None

    def _atomic(self):  # noqa: ANN202 - peewee's transaction context manager
        return self._session.db.atomic()

    def identity(self) -> Identity:
        """Raises NotEnrolledError."""
        if self._identity is None:
            with self._atomic():
                self._identity = syncstate.identity()
        return self._identity

    def pending(self) -> list[PendingItem]:
        with self._atomic():
            query = (OutboxItem.select(OutboxItem, Case).join(Case)
                     .where(OutboxItem.state.in_(_UNSETTLED)).order_by(OutboxItem.seq))
            return [PendingItem(item.seq, item.case.uuid, item.revision, item.kind,
                                self._upload_bytes(item)) for item in query]

    def _upload_bytes(self, item: OutboxItem) -> int:
        stored = syncstate.stored_envelope(item)
        if stored is not None:
            return sum(ref["size"] for ref in _header_blobs(bytes(stored.data)))
        names = [page.blob_name for page in item.case.pages if page.blob_name]
        return sum(_size(self._blobs.path_of(name)) for name in names)

    def mark_sending(self, seq: int) -> None:
        with self._atomic():
            self._ctx.outbox.mark_sending(_item(seq))

    def mark_failed(self, seq: int, error: str) -> None:
        with self._atomic():
            self._ctx.outbox.mark_failed(_item(seq), error)

    def quarantine(self, seq: int, reason: str) -> None:
        with self._atomic():
            item = _item(seq)
            self._ctx.outbox.quarantine(item, reason)
            self._audit(item, {"quarantined": seq, "reason": reason})
        log.warning("outbox item %d quarantined: %s", seq, reason)

    def envelope(self, seq: int) -> BuiltEnvelope:
        """Raises ItemError (``page_missing``) when a page file it needs is gone."""
        with self._atomic():
            item = _item(seq)
            stored = syncstate.stored_envelope(item)
            if stored is None:
                stored = syncstate.keep_envelope(item, self._build(item), self._ctx.clock.now())
            data = bytes(stored.data)
            return BuiltEnvelope(data, tuple(self._source(ref) for ref in _header_blobs(data)))

    def _build(self, item: OutboxItem) -> bytes:
        identity = self.identity()
        try:
            content, refs = case_content(item, self._blobs)
        except (OSError, MaterialMissingError):
            raise ItemError("page_missing") from None
        header = Header(station=identity.station, seq=item.seq, case=item.case.uuid,
                        revision=item.revision, kind=item.kind, created_at=item.created_at,
                        blobs=tuple(refs))
        return build(header, content, suite=identity.suite, sealing_key=identity.sealing_key,
                     station_key=identity.key)

    def _source(self, ref: dict[str, Any]) -> BlobSource:
        page = syncstate.stored_page(ref["sha256"])
        path = self._blobs.path_of(page.blob_name) if page is not None else None

        def open_file() -> Any:
            try:
                if path is None:
                    raise FileNotFoundError()
                return open(path, "rb")
            except OSError:
                raise ItemError("page_missing") from None

        return BlobSource(ref["sha256"], ref["size"], open_file)

    def mark_sent(self, seq: int, receipt: bytes, township_number: str) -> None:
        """Keep the receipt (a resend's new receipt replaces the old one) and move a
        submitted case to ``uploaded``."""
        with self._atomic():
            item = _item(seq)
            Receipt.delete().where(Receipt.outbox_item == item).execute()
            self._ctx.outbox.mark_sent(item, body=receipt, township_number=township_number)
            self._audit(item, {"sent": seq})
            case = item.case
            if item.kind == ItemKind.SUBMISSION and case.state == CaseState.QUEUED:
                self._session.cases.apply_status_event(
                    case.uuid, StatusEvent(f"receipt-{seq}", Transition.UPLOAD))

    def _audit(self, item: OutboxItem, detail: dict[str, Any]) -> None:
        self._ctx.audit.record(Action.SYNC, "case", item.case.uuid,
                               agent_login=self._ctx.agent.login, detail=detail)

    def cursor(self) -> int:
        with self._atomic():
            return syncstate.counter(syncstate.EVENTS_CURSOR)

    def set_cursor(self, cursor: int) -> None:
        with self._atomic():
            if cursor > syncstate.counter(syncstate.EVENTS_CURSOR):
                syncstate.set_counter(syncstate.EVENTS_CURSOR, cursor, self._ctx.clock.now())

    def apply_event(self, event: Event, data: bytes, fetch: Fetch) -> EventResult:
        """Apply ``event`` once; keep it quarantined with its reason when it cannot be.

        A completed case's result file is fetched and stored encrypted first, a catalog
        release's bytes are fetched whole; the fetch's TransportError propagates (the event
        is then not recorded and comes again).
        """
        with self._atomic():
            if syncstate.event_seen(event.id):
                return EventResult.DUPLICATE
        try:
            change = _decision(event)
            stored = self._fetch_result(event, fetch)
            release = _fetch_release(event, fetch)
        except _UnapplicableError as error:
            return self._record(event, data, None, None, error.reason)
        try:
            return self._record(event, data, change, stored, None, release)
        finally:
            if stored is not None and not syncstate.result_stored(stored.name):
                self._blobs.delete(stored.name)

    def _fetch_result(self, event: Event, fetch: Fetch) -> StoredBlob | None:
        file = event.payload.get("file") if event.kind == "completed" else None
        if file is None:
            return None
        with fetch(file["id"], file["sha256"], file["size"]) as stream:
            return self._blobs.put(stream)

    def _record(self, event: Event, data: bytes, change: StatusEvent | None,
                stored: StoredBlob | None, reason: str | None,
                release: bytes | None = None) -> EventResult:
        with self._atomic():
            if syncstate.event_seen(event.id):
                return EventResult.DUPLICATE
            if reason is None:
                reason = self._change(event, change, stored, release)
            syncstate.keep_event(dict(
                event_id=event.id, cursor=event.cursor, kind=event.kind, case_uuid=event.case,
                data=data, received_at=self._ctx.clock.now(), applied=reason is None,
                reason=reason))
        if reason is not None:
            log.warning("township event %d quarantined: %s", event.cursor, reason)
            return EventResult.QUARANTINED
        return EventResult.APPLIED

    def _change(self, event: Event, change: StatusEvent | None,
                stored: StoredBlob | None, release: bytes | None) -> str | None:
        """Make the event's change in a savepoint; the reason when it cannot be made."""
        try:
            with self._atomic():
                if release is not None:
                    catalogs.install(release, event.payload["version"], event.id,
                                     self._ctx.clock.now())
                elif event.kind == "resend":
                    self.requeue_in_transaction(event.payload["seqs"])
                elif change is not None:
                    self._session.cases.apply_status_event(str(event.case), change)
                    if stored is not None:
                        self._keep_result(event, stored)
        except CaseNotFoundError:
            return "unknown_case"
        except InvalidTransitionError:
            return "invalid_transition"
        except ValueError:
            return "malformed_payload"
        except ReleaseRefusedError as error:
            return error.reason
        return None

    def _keep_result(self, event: Event, stored: StoredBlob) -> None:
        file = event.payload["file"]
        syncstate.keep_result_file(dict(
            case=get_case(str(event.case)), event_id=event.id, file_id=file["id"],
            name=file["name"], media_type=file["media_type"], blob_name=stored.name,
            blob_key=stored.key, digest=stored.digest, size=stored.size,
            created_at=self._ctx.clock.now()))

    def requeue(self, seqs: Sequence[int]) -> list[int]:
        with self._atomic():
            return self.requeue_in_transaction(seqs)

    def requeue_in_transaction(self, seqs: Sequence[int]) -> list[int]:
        """Put sent items back in the queue with their kept envelope; the ones moved."""
        query = OutboxItem.select().where(OutboxItem.seq.in_(list(seqs))
                                          & (OutboxItem.state == ItemState.SENT))
        moved = sorted(item.seq for item in query)
        OutboxItem.update(state=str(ItemState.PENDING), updated_at=self._ctx.clock.now(),
                          last_error=None).where(OutboxItem.seq.in_(moved)).execute()
        return moved

    def flag_mismatched(self, seqs: Sequence[int]) -> None:
        with self._atomic():
            syncstate.set_mismatched(list(seqs), self._ctx.clock.now())
        log.warning("the township's ledger differs for %d items", len(seqs))

    def ledger(self) -> LedgerState:
        with self._atomic():
            return LedgerState(tuple(syncstate.settled_entries()),
                               syncstate.counter(syncstate.LEDGER_THROUGH))

    def set_ledger_through(self, through: int) -> None:
        with self._atomic():
            syncstate.set_counter(syncstate.LEDGER_THROUGH, through, self._ctx.clock.now())

    def heartbeat(self) -> dict[str, Any]:
        with self._atomic():
            counts = self._ctx.outbox.counts()
            catalog = catalogs.latest_version()
            highest = self._ctx.outbox.last_seq()
        return {
            "queue": counts.get(ItemState.PENDING, 0) + counts.get(ItemState.SENDING, 0),
            "quarantined": counts.get(ItemState.QUARANTINED, 0),
            "app_version": __version__,
            "catalog_version": str(catalog),
            "free_disk": shutil.disk_usage(self._session.paths.root).free,
            "highest_seq": highest,
        }

    def mark_synced(self) -> None:
        with self._atomic():
            syncstate.set_last_synced(self._ctx.clock.now())


def engine_for(session: Session, config: SyncConfig = SyncConfig(),
               after: Sequence[RoundStep] = ()) -> SyncEngine:
    """A sync engine for the enrolled station of ``session``, running ``after`` after each
    successful round; raises NotEnrolledError.

    Reads outside a transaction: it runs on the window's thread, where a transaction
    would take the store's write lock.
    """
    row = syncstate.require_enrolment()
    ca_bundle = Path(row.ca_bundle) if row.ca_bundle else None
    transport = Transport(TransportConfig(row.url, ca_bundle))
    return SyncEngine(StationSyncSide(session), transport, config, after)


def _fetch_release(event: Event, fetch: Fetch) -> bytes | None:
    """The bytes of the release a catalog event names (None for other kinds); raises
    TransportError, ``file_mismatch`` when they are not the size and digest it names."""
    if event.kind != "catalog":
        return None
    file = event.payload["file"]
    with fetch(file["id"], file["sha256"], file["size"]) as stream:
        return bytes(stream.read())


def _decision(event: Event) -> StatusEvent | None:
    """The case change a decision event asks for (None for other kinds); raises
    _UnapplicableError when its payload is not what section 6 says."""
    payload = event.payload
    try:
        if event.kind == "resend":
            _check(all(type(s) is int for s in payload["seqs"]))
        if event.kind == "message":
            _check(isinstance(payload["text"], str))
        if event.kind == "catalog":
            _check(type(payload["version"]) is int and payload["version"] > 0)
            _check(_file_ok(payload["file"]))
        if event.kind not in _DECISIONS:
            return None
        _check(event.case is not None)
        return StatusEvent(event.id, _DECISIONS[event.kind], **_decision_fields(event))
    except (KeyError, TypeError):
        raise _UnapplicableError("malformed_payload") from None


def _decision_fields(event: Event) -> dict[str, Any]:
    payload = event.payload
    if event.kind == "accepted":
        _check(isinstance(payload["township_number"], str))
        return {}
    if event.kind in ("returned", "refused"):
        _check(isinstance(payload["reason"], str))
    if event.kind == "returned":
        return {"reason": payload["reason"], "missing": _missing(payload["missing"])}
    if event.kind == "refused":
        return {"reason": payload["reason"]}
    _check(type(payload["approved"]) is bool and isinstance(payload["result_text"], str))
    _check(payload["file"] is None or _file_ok(payload["file"]))
    return {"result_text": payload["result_text"], "approved": payload["approved"]}


def _missing(points: Any) -> tuple[MissingItem, ...]:
    _check(isinstance(points, list))
    found = []
    for point in points:
        code, name, reason = point["code"], point["name"], point["reason"]
        _check(code is None or isinstance(code, str))
        _check(isinstance(name, str) and isinstance(reason, str))
        found.append(MissingItem(code, name, reason))
    return tuple(found)


def _file_ok(file: Any) -> bool:
    return (isinstance(file, dict) and _matches(file["id"], fields.STATION)
            and _matches(file["sha256"], fields.HEX64) and type(file["size"]) is int
            and file["size"] >= 0 and isinstance(file["media_type"], str)
            and isinstance(file["name"], str))


def _matches(value: Any, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _check(condition: bool) -> None:
    if not condition:
        raise _UnapplicableError("malformed_payload")


def case_content(item: OutboxItem, blobs: BlobStore) -> tuple[dict[str, Any], list[BlobRef]]:
    """The case content an envelope seals (protocol section 3) and the page files it names.

    Raises OSError or MaterialMissingError when a page file cannot be read.
    """
    case = item.case
    refs: dict[str, BlobRef] = {}
    requirements = case.requirements.order_by(MaterialRequirement.position)
    content = {
        "case": _case_part(case),
        "applicant": _applicant_part(case.applicant),
        "agent": {"login": case.agent.login, "display_name": case.agent.display_name},
        "materials": [_material(requirement, blobs, refs) for requirement in requirements],
        "transitions": [_transition(step) for step in
                        case.transitions.order_by(CaseTransition.at, CaseTransition.id)],
        "evaluations": [_evaluation(rating) for rating in
                        case.evaluations.order_by(Evaluation.created_at, Evaluation.id)],
        "note": _note(item),
    }
    return content, sorted(refs.values(), key=lambda ref: ref.sha256)


def _case_part(case: Case) -> dict[str, Any]:
    return {
        "uuid": case.uuid, "local_number": case.local_number, "matter_code": case.matter_code,
        "matter_name": case.matter_name, "catalog_version": case.catalog_version,
        "state": case.state, "answers": case.answers, "overrides": case.overrides,
        "created_at": _time(case.created_at), "queued_at": _time(case.queued_at),
        "promised_date": _date(case.promised_date),
        "promised_provisional": bool(case.promised_provisional),
        "result_text": case.result_text,
    }


def _applicant_part(applicant: Any) -> dict[str, Any]:
    return {
        "name": applicant.name, "id_number": applicant.id_number, "phone": applicant.phone,
        "address": applicant.address, "birth_date": _date(applicant.birth_date),
        "sex": applicant.sex,
    }


def _material(requirement: MaterialRequirement, blobs: BlobStore,
              refs: dict[str, BlobRef]) -> dict[str, Any]:
    deferral = requirement.deferrals.where(DeferredMaterial.fulfilled_at.is_null()).first()
    pages = requirement.pages.order_by(MaterialFile.position, MaterialFile.id)
    return {
        "code": requirement.code, "name": requirement.name, "form": requirement.form,
        "copies": requirement.copies,
        "deferred_until": _date(deferral.promised_date) if deferral else None,
        "pages": [_page(page, blobs, refs) for page in pages],
    }


def _page(page: MaterialFile, blobs: BlobStore, refs: dict[str, BlobRef]) -> dict[str, Any]:
    """A page; a purged one (retention) keeps its metadata but names no file."""
    blob = key = None
    if page.blob_name is not None:
        found = syncstate.page_digest(page, blobs.path_of(page.blob_name))
        refs[found.sha256] = BlobRef(found.sha256, found.size)
        blob, key = found.sha256, signed.b64encode(bytes(page.blob_key))
    return {
        "uuid": page.uuid, "position": page.position, "rotation": page.rotation,
        "media_type": page.media_type, "blob": blob, "key": key, "digest": page.digest,
        "size": page.size,
    }


def _transition(step: CaseTransition) -> dict[str, Any]:
    return {"from": step.from_state, "to": step.to_state, "at": _time(step.at),
            "agent": step.agent.login if step.agent_id else None, "reason": step.reason,
            "event": step.event_id}


def _evaluation(rating: Evaluation) -> dict[str, Any]:
    return {"stage": rating.stage, "level": rating.level, "comment": rating.comment,
            "at": _time(rating.created_at), "agent": rating.agent.login}


def _note(item: OutboxItem) -> str | None:
    state = _NOTE_STATES.get(ItemKind(item.kind))
    if state is None:
        return None
    step = (item.case.transitions.where(CaseTransition.to_state == str(state))
            .order_by(CaseTransition.at.desc(), CaseTransition.id.desc()).first())
    return step.reason if step else None


def _time(moment: Any) -> str | None:
    return signed.time_text(moment) if moment is not None else None


def _date(day: Any) -> str | None:
    return day.isoformat() if day is not None else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _item(seq: int) -> OutboxItem:
    return OutboxItem.get(OutboxItem.seq == seq)


def _header_blobs(data: bytes) -> list[dict[str, Any]]:
    return signed.unverified(data, ENVELOPE, MAX_ENVELOPE_BYTES)["blobs"]
