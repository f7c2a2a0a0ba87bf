"""The township's checklist when it returns a case for supplement (补正).

A return event may list what is missing and why (:class:`MissingItem`); applying the event
keeps each point as a ``SupplementItem`` row in the same transaction as the case's move to
``returned``. The checklist of a case is the points of its LATEST return. A point that names
one of the case's materials is settled by adding pages to that material after the return,
or by the agent marking it resolved with a note (a correction made in the form, say); a
general point (no material) does not block resubmission but is shown and printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from station.audit import Action
from station.context import NotFoundError, ServiceContext, get_case
from station.errors import StationError
from station.i18n import _
from station.lifecycle import CaseState
from station.models import Case, CaseTransition, MaterialFile, MaterialRequirement, SupplementItem


@dataclass(frozen=True)
class MissingItem:
    """One point of a return: the material's code (None for a general point), the material
    as the township wrote it, and what is wrong or missing."""

    requirement_code: str | None
    name: str
    reason: str


@dataclass(frozen=True)
class ChecklistEntry:
    """A checklist point as the station sees it now.

    ``requirement_name`` is the case's own name for the material (None for a general point
    or a code the case does not know); ``pages_added`` says whether pages were added to that
    material since the return.
    """

    item_id: int
    requirement_code: str | None
    requirement_name: str | None
    name: str
    reason: str
    pages_added: bool
    resolved_at: datetime | None
    resolution_note: str | None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def blocking(self) -> bool:
        """True while this point keeps the supplement from being submitted."""
        return self.requirement_code is not None and not (self.pages_added or self.resolved)


class SupplementError(StationError):
    """A checklist point cannot be changed as asked."""


class NotReturnedError(SupplementError):
    def __init__(self) -> None:
        super().__init__(
            _("This case is not waiting for a supplement; its checklist cannot be changed.")
        )


class ResolutionNoteError(SupplementError):
    def __init__(self) -> None:
        super().__init__(_("Write a short note saying how this point was resolved."))


class AlreadyResolvedError(SupplementError):
    def __init__(self) -> None:
        super().__init__(_("This point has already been marked resolved."))


class ChecklistItemNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__(_("This point is not on the case's current checklist."))


class SupplementService:
    """Reads the checklist of a returned case and records the agent's resolutions."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def checklist(self, case_uuid: str, *, include_resolved: bool = False) -> list[ChecklistEntry]:
        """The points of the case's latest return, in the township's order; the ones the
        agent marked resolved only with ``include_resolved``. Raises CaseNotFoundError."""
        found = checklist(get_case(case_uuid))
        return [entry for entry in found if include_resolved or not entry.resolved]

    def mark_resolved(self, case_uuid: str, item_id: int, note: str) -> ChecklistEntry:
        """Settle a point without pages, with the agent's note saying how.

        Raises NotReturnedError, ResolutionNoteError, ChecklistItemNotFoundError,
        AlreadyResolvedError; then nothing is changed.
        """
        note = note.strip()
        ctx = self._ctx
        with ctx.atomic():
            case = get_case(case_uuid)
            if CaseState(case.state) is not CaseState.RETURNED:
                raise NotReturnedError()
            if not note:
                raise ResolutionNoteError()
            item = _current_item(case, item_id)
            if item.resolved_at is not None:
                raise AlreadyResolvedError()
            item.resolved_at, item.resolved_by = ctx.clock.now(), ctx.agent
            item.resolution_note = note
            item.save()
            ctx.record(Action.EDIT, "case", case.uuid, {"supplement_item": item.id})
        return _entry(case, item, _latest_return(case))


def record_return(
    case: Case, event_id: str, missing: Sequence[MissingItem], now: datetime
) -> None:
    """Keep the township's points of a return; call inside the event's transaction."""
    for position, point in enumerate(missing, start=1):
        SupplementItem.create(
            case=case,
            event_id=event_id,
            position=position,
            requirement_code=point.requirement_code or None,
            name=point.name,
            reason=point.reason,
            created_at=now,
        )


def checklist(case: Case) -> list[ChecklistEntry]:
    """Every point of the case's latest return (resolved ones too); [] when never returned."""
    latest = _latest_return(case)
    if latest is None:
        return []
    items = SupplementItem.select().where(
        (SupplementItem.case == case) & (SupplementItem.event_id == latest.event_id)
    )
    return [_entry(case, item, latest) for item in items.order_by(SupplementItem.position)]


def items_of(event_ids: Sequence[str]) -> dict[str, list[SupplementItem]]:
    """The points of each of ``event_ids`` (for a timeline), in the township's order."""
    found: dict[str, list[SupplementItem]] = {}
    query = SupplementItem.select().where(SupplementItem.event_id.in_(list(event_ids)))
    for item in query.order_by(SupplementItem.event_id, SupplementItem.position):
        found.setdefault(item.event_id, []).append(item)
    return found


def _latest_return(case: Case) -> CaseTransition | None:
    return (
        CaseTransition.select()
        .where(
            (CaseTransition.case == case)
            & (CaseTransition.to_state == str(CaseState.RETURNED))
            & CaseTransition.event_id.is_null(False)
        )
        .order_by(CaseTransition.at.desc(), CaseTransition.id.desc())
        .first()
    )


def _current_item(case: Case, item_id: int) -> SupplementItem:
    latest = _latest_return(case)
    item = SupplementItem.get_or_none(
        (SupplementItem.id == item_id) & (SupplementItem.case == case)
    )
    if item is None or latest is None or item.event_id != latest.event_id:
        raise ChecklistItemNotFoundError()
    return item


def _entry(case: Case, item: SupplementItem, since: CaseTransition | None) -> ChecklistEntry:
    requirement = None
    if item.requirement_code is not None:
        requirement = MaterialRequirement.get_or_none(
            (MaterialRequirement.case == case) & (MaterialRequirement.code == item.requirement_code)
        )
    added = requirement is not None and since is not None and _pages_since(requirement, since.at)
    return ChecklistEntry(
        item_id=item.id,
        requirement_code=item.requirement_code,
        requirement_name=requirement.name if requirement is not None else None,
        name=item.name,
        reason=item.reason,
        pages_added=added,
        resolved_at=item.resolved_at,
        resolution_note=item.resolution_note,
    )


def _pages_since(requirement: MaterialRequirement, moment: datetime) -> bool:
    return (
        requirement.pages.where(
            (MaterialFile.created_at > moment) & MaterialFile.blob_name.is_null(False)
        ).exists()
    )
