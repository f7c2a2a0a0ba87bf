"""The lists behind the home screen's sync links: what sync set aside (uploads the
township refused or that could not be built, township events that could not be applied)
and the township's messages (with what each installed catalog release changed), newest
first, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from station import catalogs, syncstate
from station.clock import to_local
from station.i18n import _
from station.lifecycle import CaseState, state_label
from station.models import Case
from station.outbox import kind_label
from station.printing import display
from sync.engine import describe


class SyncItemsKind(StrEnum):
    SET_ASIDE = "set_aside"
    MESSAGES = "messages"


@dataclass(frozen=True)
class SyncItemRow:
    """One line of the list; ``case_uuid`` is None when the case is not at this station."""

    key: str
    at: datetime
    case_number: str
    case_uuid: str | None
    what: str

    def cells(self) -> tuple[str, str, str]:
        return display.moment(to_local(self.at)), self.case_number, self.what


def columns() -> tuple[str, str, str]:
    return _("When"), _("Case number"), _("What happened")


def widest_when() -> str:
    """The widest text of the "When" column (for sizing it in any font)."""
    return display.moment(datetime(2026, 12, 28, 23, 58))


class SyncItemsPresenter:
    """One of the two lists, read from the open store."""

    def __init__(self, kind: SyncItemsKind) -> None:
        self.kind = kind

    @property
    def title(self) -> str:
        if self.kind is SyncItemsKind.MESSAGES:
            return _("Township messages")
        return _("Set aside by sync")

    def empty_text(self) -> str:
        if self.kind is SyncItemsKind.MESSAGES:
            return _("No message from the township yet.")
        return _("Nothing is set aside: every upload and township decision went through.")

    def rows(self) -> list[SyncItemRow]:
        """The list, newest first."""
        if self.kind is SyncItemsKind.MESSAGES:
            rows = _messages()
        else:
            rows = _set_aside_uploads() + _set_aside_events()
        return list(reversed(sorted(rows, key=lambda row: row.at)))  # ties: latest first


def _set_aside_uploads() -> list[SyncItemRow]:
    return [SyncItemRow(f"item-{item.seq}", item.at, item.local_number, item.case_uuid,
                        _upload_words(item.kind, item.reason))
            for item in syncstate.quarantined_items()]


def _upload_words(kind: str, reason: str | None) -> str:
    words = describe(reason) if reason else _("It was set aside; ask the township.")
    return _("Upload ({kind}): {words}").format(kind=kind_label(kind), words=words)


def _set_aside_events() -> list[SyncItemRow]:
    rows = []
    for event in syncstate.received_events(quarantined=True):
        number, uuid = _case_of(event.case_uuid)
        reason = event.reason or ""
        words = catalogs.refusal_label(reason) or syncstate.event_reason_label(reason)
        what = _("Township {kind} not applied: {words}").format(
            kind=_event_kind_label(event.kind), words=words)
        rows.append(SyncItemRow(f"event-{event.cursor}", event.received_at, number, uuid, what))
    return rows


def _messages() -> list[SyncItemRow]:
    rows = []
    for event in syncstate.received_events(quarantined=False, kind="message"):
        number, uuid = _case_of(event.case_uuid)
        rows.append(SyncItemRow(f"event-{event.cursor}", event.received_at, number, uuid,
                                str(event.payload.get("text", ""))))
    for at, change in catalogs.changes():
        rows.append(SyncItemRow(f"catalog-{change.version}", at, "—", None, change.text()))
    return rows


def _case_of(case_uuid: str | None) -> tuple[str, str | None]:
    """The case's number and uuid at this station; a dash for none or an unknown case."""
    case = Case.get_or_none(Case.uuid == case_uuid) if case_uuid else None
    if case is None:
        return "—", None
    return case.local_number, case.uuid


def _event_kind_label(kind: str) -> str:
    """A township event's kind as the agent reads it."""
    if kind in {state.value for state in CaseState}:
        return _("decision “{state}”").format(state=state_label(CaseState(kind)))
    labels = {"message": _("message"), "resend": _("request to send again"),
              "catalog": _("catalog release")}
    return labels.get(kind, kind)
