"""Material services: pages of a case, deferred materials, retention and the orphan sweep.

A page's bytes are stored (encrypted, fsynced, renamed into place) by the blob store
BEFORE the transaction that inserts its row, so a committed row never points at a blob
that is not durably on disk. A blob whose row never committed is an orphan; ``sweep``
removes it.

Pages change only while the station owns the case (draft, returned), with one exception:
a material accepted missing (容缺) may be brought after submission, while the case is
queued, uploaded or accepted; ``receive_deferred`` stores it and queues it for the
township in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator, Sequence

from peewee import fn

from station.audit import Action
from station.blobstore import BlobStore, MaterialWriteError, StoredBlob
from station.cases import editable_case
from station.context import NotFoundError, ServiceContext, get_case
from station.errors import StationError
from station.i18n import _
from station.lifecycle import CaseState
from station.models import Case, DeferredMaterial, MaterialFile, MaterialRequirement
from station.sync_models import SyncResultFile
from station.outbox import ItemKind

log = logging.getLogger(__name__)

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
# Retention counts from delivery for these states...
RETENTION_STATES = (CaseState.DELIVERED, CaseState.CLOSED)
# ...and from the last change for cases that ended without a result to deliver.
ENDED_STATES = (CaseState.REFUSED, CaseState.WITHDRAWN)
# A deferred material may be brought after submission while the case is in these states.
RECEIVING_STATES = frozenset({CaseState.QUEUED, CaseState.UPLOADED, CaseState.ACCEPTED})
# Stores rows for blobs already written: (stored blobs, their media types) -> page rows.
_Insert = Callable[[list[StoredBlob], list[str]], list[MaterialFile]]


class MaterialError(StationError):
    """A material operation is not possible."""


class UnsupportedFileError(MaterialError):
    def __init__(self) -> None:
        super().__init__(_("Only JPEG, PNG and PDF files can be added as pages."))


class ReceiveNotAllowedError(MaterialError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "A material accepted missing can be received here only while the case is "
                "queued, uploaded or accepted. Edit a draft or a returned case instead."
            )
        )


class NoOpenDeferralError(MaterialError):
    def __init__(self) -> None:
        super().__init__(
            _("This material was not accepted missing, or it has already been brought.")
        )


class PageNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__(_("This page no longer exists."))


@dataclass(frozen=True)
class PurgeReport:
    cases: int
    pages: int


def sniff_media_type(path: Path) -> str:
    """The media type of a scan from its first bytes.

    Raises UnsupportedFileError, or MaterialWriteError when the file cannot be read (the
    message never names the file: its name may be personal).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        raise MaterialWriteError() from None
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    raise UnsupportedFileError()


class MaterialService:
    """Pages and deferrals of editable cases, deferred materials brought after submission;
    retention and sweep for the whole store."""

    def __init__(self, ctx: ServiceContext, blobs: BlobStore) -> None:
        self._ctx = ctx
        self._blobs = blobs

    def attach_pages(
        self, case_uuid: str, requirement_code: str, sources: Sequence[Path]
    ) -> list[MaterialFile]:
        """Store ``sources`` as the next pages of a requirement, all or none.

        Raises UnsupportedFileError, the blob store's DiskFullError/MaterialWriteError,
        CaseEditError; on any error no page is added. No sources change nothing.
        """
        editable_case(case_uuid)

        def insert(stored: list[StoredBlob], media_types: list[str]) -> list[MaterialFile]:
            with self._ctx.atomic():
                case = editable_case(case_uuid)
                requirement = _requirement(case, requirement_code)
                pages = self._create_pages(case, requirement, stored, media_types)
                detail = {"material": requirement_code, "n": len(pages)}
                self._ctx.record(Action.CREATE, "page", case.uuid, detail)
            return pages

        return self._store_then(sources, insert)

    def receive_deferred(
        self, case_uuid: str, requirement_code: str, sources: Sequence[Path]
    ) -> list[MaterialFile]:
        """Store the pages of a material accepted missing that the applicant brought after
        submission, fulfil its deferral and queue the pages for the township (a
        ``materials`` outbox item, the case's next revision): all or none.

        Raises ReceiveNotAllowedError unless the case is queued, uploaded or accepted,
        NoOpenDeferralError when the material has no open deferral, MaterialError for an
        unknown material, UnsupportedFileError and the blob store's errors; on any error
        nothing is added. No sources check the same and change nothing.
        """
        _receiving(case_uuid, requirement_code)

        def insert(stored: list[StoredBlob], media_types: list[str]) -> list[MaterialFile]:
            ctx = self._ctx
            with ctx.atomic():
                case, requirement = _receiving(case_uuid, requirement_code)
                pages = self._create_pages(case, requirement, stored, media_types)
                ctx.outbox.enqueue(case, ItemKind.MATERIALS)
                detail = {"material": requirement_code, "n": len(pages), "after_submission": True}
                ctx.record(Action.CREATE, "page", case.uuid, detail)
            return pages

        return self._store_then(sources, insert)

    def _store_then(self, sources: Sequence[Path], insert: _Insert) -> list[MaterialFile]:
        """Write every source to the blob store, then ``insert`` their rows; on any error
        remove the blobs already written."""
        if not sources:
            return []
        media_types = [sniff_media_type(Path(source)) for source in sources]
        stored: list[StoredBlob] = []
        try:
            for source in sources:
                stored.append(self._blobs.put(Path(source)))
            return insert(stored, media_types)
        except BaseException:
            for blob in stored:
                self._blobs.delete(blob.name)
            raise

    def _create_pages(
        self,
        case: Case,
        requirement: MaterialRequirement,
        stored: list[StoredBlob],
        media_types: list[str],
    ) -> list[MaterialFile]:
        """Rows for stored blobs after the requirement's last page; fulfils its deferral."""
        now = self._ctx.clock.now()
        position = _last_position(requirement)
        pages = []
        pairs = zip(stored, media_types, strict=True)
        for offset, (blob, media_type) in enumerate(pairs, start=1):
            pages.append(
                MaterialFile.create(
                    uuid=str(uuid.uuid4()),
                    case=case,
                    requirement=requirement,
                    position=position + offset,
                    blob_name=blob.name,
                    blob_key=blob.key,
                    digest=blob.digest,
                    size=blob.size,
                    media_type=media_type,
                    created_at=now,
                )
            )
        _fulfil_deferral(requirement, now)
        return pages

    def remove_page(self, page_uuid: str) -> None:
        """Delete a page of an editable case (row first, then its blob)."""
        with self._ctx.atomic():
            page = _page(page_uuid)
            editable_case(page.case.uuid)
            blob_name = page.blob_name
            page.delete_instance()
            self._ctx.record(Action.DELETE, "page", page.case.uuid, {"page": page_uuid})
        if blob_name:
            self._blobs.delete(blob_name)

    def reorder_pages(self, case_uuid: str, requirement_code: str, page_uuids: list[str]) -> None:
        """Put a requirement's pages in the given order (every page listed exactly once)."""
        with self._ctx.atomic():
            case = editable_case(case_uuid)
            requirement = _requirement(case, requirement_code)
            pages = {p.uuid: p for p in requirement.pages}
            if sorted(pages) != sorted(page_uuids):
                raise MaterialError(_("The new order must list every page of this material once."))
            for position, page_uuid in enumerate(page_uuids, start=1):
                pages[page_uuid].position = position
                pages[page_uuid].save()
            self._ctx.record(Action.EDIT, "page", case.uuid, {"material": requirement_code})

    def rotate_page(self, page_uuid: str, quarter_turns: int = 1) -> MaterialFile:
        """Turn a page clockwise by ``quarter_turns`` × 90°."""
        with self._ctx.atomic():
            page = _page(page_uuid)
            editable_case(page.case.uuid)
            page.rotation = (page.rotation + 90 * quarter_turns) % 360
            page.save()
            self._ctx.record(Action.EDIT, "page", page.case.uuid, {"page": page_uuid})
        return page

    def read_page(self, page_uuid: str) -> Iterator[bytes]:
        """The page's plaintext in chunks (recorded as a view).

        Raises PageNotFoundError, or the blob store's integrity errors while iterating.
        """
        with self._ctx.atomic():
            page = _page(page_uuid)
            if page.blob_name is None:
                raise PageNotFoundError()
            self._ctx.record(Action.VIEW, "page", page.case.uuid, {"page": page_uuid})
        return self._blobs.open(page.blob_name, page.blob_key)

    def defer(
        self, case_uuid: str, requirement_code: str, promised_date: date, note: str | None = None
    ) -> DeferredMaterial:
        """Accept a deferrable material missing, with the date the applicant promises it."""
        ctx = self._ctx
        with ctx.atomic():
            case = editable_case(case_uuid)
            requirement = _requirement(case, requirement_code)
            _check_deferral(requirement, promised_date, ctx.clock.today())
            DeferredMaterial.delete().where(DeferredMaterial.requirement == requirement).execute()
            deferral = DeferredMaterial.create(
                requirement=requirement,
                promised_date=promised_date,
                note=note or None,
                created_at=ctx.clock.now(),
            )
            ctx.record(Action.EDIT, "case", case.uuid, {"deferred": requirement_code})
        return deferral

    def cancel_deferral(self, case_uuid: str, requirement_code: str) -> None:
        """Take back a deferral of an editable case."""
        with self._ctx.atomic():
            case = editable_case(case_uuid)
            requirement = _requirement(case, requirement_code)
            DeferredMaterial.delete().where(DeferredMaterial.requirement == requirement).execute()
            self._ctx.record(Action.EDIT, "case", case.uuid, {"undeferred": requirement_code})

    def purge(self, retention_days: int) -> PurgeReport:
        """Purge page files of cases delivered (or refused or withdrawn) more than
        ``retention_days`` ago, and of discarded drafts.

        Rows stay (the ledger keeps digests and sizes); blobs go after the commit, and the
        sweep finishes the job if the process dies in between.
        """
        ctx = self._ctx
        cutoff = ctx.clock.now() - timedelta(days=retention_days)
        with ctx.atomic():
            pages = list(
                MaterialFile.select(MaterialFile, Case)
                .join(Case)
                .where(
                    (
                        (_in_states(RETENTION_STATES) & (Case.delivered_at < cutoff))
                        | (_in_states(ENDED_STATES) & (Case.updated_at < cutoff))
                        | (Case.state == str(CaseState.DISCARDED))
                    )
                    & MaterialFile.blob_name.is_null(False)
                )
            )
            names = [page.blob_name for page in pages]
            for page in pages:
                page.blob_name, page.blob_key, page.purged_at = None, None, ctx.clock.now()
                page.save()
            cases = {page.case.uuid for page in pages}
            for case_uuid in cases:
                ctx.record(Action.DELETE, "page", case_uuid, {"purged": "retention"})
        for name in names:
            self._blobs.delete(name)
        log.info("retention purged %d pages of %d cases", len(names), len(cases))
        return PurgeReport(len(cases), len(names))


def _in_states(states: tuple[CaseState, ...]):  # noqa: ANN202 - a peewee expression
    return Case.state.in_([str(state) for state in states])


def referenced_blobs() -> set[str]:
    """Names of every blob a page row or a township result file points at."""
    query = MaterialFile.select(MaterialFile.blob_name).where(MaterialFile.blob_name.is_null(False))
    results = SyncResultFile.select(SyncResultFile.blob_name).tuples()
    return {name for (name,) in query.tuples()} | {name for (name,) in results}


def _requirement(case: Case, code: str) -> MaterialRequirement:
    requirement = MaterialRequirement.get_or_none(
        (MaterialRequirement.case == case) & (MaterialRequirement.code == code)
    )
    if requirement is None:
        raise MaterialError(_("This matter has no such material."))
    return requirement


def _receiving(case_uuid: str, code: str) -> tuple[Case, MaterialRequirement]:
    """The case and requirement if a deferred material may be received now; raises
    ReceiveNotAllowedError, MaterialError, NoOpenDeferralError."""
    case = get_case(case_uuid)
    if CaseState(case.state) not in RECEIVING_STATES:
        raise ReceiveNotAllowedError()
    requirement = _requirement(case, code)
    if not requirement.deferrals.where(DeferredMaterial.fulfilled_at.is_null()).exists():
        raise NoOpenDeferralError()
    return case, requirement


def _page(page_uuid: str) -> MaterialFile:
    page = MaterialFile.get_or_none(MaterialFile.uuid == page_uuid)
    if page is None:
        raise PageNotFoundError()
    return page


def _last_position(requirement: MaterialRequirement) -> int:
    query = MaterialFile.select(fn.MAX(MaterialFile.position))
    return query.where(MaterialFile.requirement == requirement).scalar() or 0


def _fulfil_deferral(requirement: MaterialRequirement, now: datetime) -> None:
    DeferredMaterial.update(fulfilled_at=now).where(
        (DeferredMaterial.requirement == requirement) & DeferredMaterial.fulfilled_at.is_null()
    ).execute()


def _check_deferral(requirement: MaterialRequirement, promised: date, today: date) -> None:
    if not requirement.deferrable:
        raise MaterialError(_("This material cannot be accepted missing; it is needed now."))
    if promised <= today:
        raise MaterialError(_("The promised date must be after today."))
    if requirement.pages.count():
        raise MaterialError(_("This material already has pages; remove them before deferring it."))
