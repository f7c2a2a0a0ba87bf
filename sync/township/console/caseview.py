"""What the case detail page shows, built from a case's opened content and its history:
the applicant, the answers by form, the materials with their pages and deferrals, the
receipts the station was given, one timeline of the station's and the township's steps,
the deadline and the decisions the case's state allows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forms.i18n import _
from forms.model import Matter
from sync.errors import MalformedError
from sync.signed import parse_time
from sync.township.casestate import DECISIONS, CaseState
from sync.township.console import labels
from sync.township.console.answers import AnswerRow, Answers, lay_out, overrides
from sync.township.console.deadlines import Deadline
from sync.township.overview import CaseDetail, CaseSummary, EnvelopeSummary, EventSummary

INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PDF = "application/pdf"


@dataclass(frozen=True)
class PageView:
    uuid: str
    position: int
    rotation: int
    media_type: str
    size: int | None
    shown: str  # "image", "pdf", "file" or "purged"


@dataclass(frozen=True)
class MaterialView:
    code: str
    name: str
    form: str
    copies: int | None
    deferred_until: str | None
    pages: tuple[PageView, ...]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | None
    side: str  # "station" or "township"
    what: str
    detail: str | None
    who: str | None


@dataclass(frozen=True)
class ResultFileView:
    id: str
    name: str
    size: int


@dataclass(frozen=True)
class CasePage:
    summary: CaseSummary
    station_name: str
    matter_code: str | None
    matter_name: str | None
    catalog_version: int | None
    applicant: tuple[tuple[str, str], ...]
    answers: Answers
    overrides: tuple[AnswerRow, ...]
    materials: tuple[MaterialView, ...]
    receipts: tuple[EnvelopeSummary, ...]
    timeline: tuple[TimelineEntry, ...]
    deadline: Deadline | None
    decisions: tuple[str, ...]
    return_choices: tuple[tuple[str, str], ...]
    result_files: tuple[ResultFileView, ...]
    note: str | None

    @property
    def deferred(self) -> tuple[MaterialView, ...]:
        return tuple(material for material in self.materials if material.deferred_until)


def case_page(detail: CaseDetail, station_name: str, matter: Matter | None,
              deadline: Deadline | None) -> CasePage:
    """The page of ``detail`` laid out by ``matter`` (None: raw field ids)."""
    content = detail.content
    part = _dict(content.get("case"))
    materials = tuple(_material(m) for m in _list(content.get("materials")))
    version = part.get("catalog_version")
    return CasePage(
        detail.summary, station_name, _str(part.get("matter_code")),
        _str(part.get("matter_name")), version if type(version) is int else None,
        _applicant(_dict(content.get("applicant"))), lay_out(matter, part.get("answers")),
        overrides(matter, part.get("overrides")), materials, detail.envelopes,
        _timeline(content, detail), deadline, _decisions(detail.summary.state),
        _return_choices(matter, materials), _result_files(detail.events),
        _str(content.get("note")))


def find_page(content: Mapping[str, Any], page_uuid: str) -> dict[str, Any] | None:
    """The page ``page_uuid`` of the content's materials, None when it names none."""
    for material in _list(content.get("materials")):
        for page in _list(_dict(material).get("pages")):
            if isinstance(page, dict) and page.get("uuid") == page_uuid:
                return page
    return None


def shown_as(media_type: str) -> str:
    """How a page of ``media_type`` is offered: an inline image, a PDF, or a download."""
    if media_type in INLINE_IMAGES:
        return "image"
    return "pdf" if media_type == PDF else "file"


def _applicant(part: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    names = (("name", _("Name")), ("id_number", _("ID number")), ("phone", _("Phone")),
             ("address", _("Address")), ("birth_date", _("Birth date")), ("sex", _("Sex")))
    return tuple((label, labels.sex(value) if key == "sex" else _text(value))
                 for key, label in names if (value := part.get(key)) not in (None, ""))


def _material(value: Any) -> MaterialView:
    part = _dict(value)
    copies = part.get("copies")
    return MaterialView(
        _text(part.get("code")), _text(part.get("name")), labels.material_form(
            _text(part.get("form"))), copies if type(copies) is int else None,
        _str(part.get("deferred_until")),
        tuple(_page(page) for page in _list(part.get("pages")) if isinstance(page, dict)))


def _page(page: Mapping[str, Any]) -> PageView:
    media_type = _text(page.get("media_type"))
    position, rotation, size = page.get("position"), page.get("rotation"), page.get("size")
    shown = shown_as(media_type) if page.get("blob") and page.get("key") else "purged"
    return PageView(_text(page.get("uuid")), position if type(position) is int else 0,
                    rotation if rotation in (0, 90, 180, 270) else 0, media_type,
                    size if type(size) is int else None, shown)


def _timeline(content: Mapping[str, Any], detail: CaseDetail) -> tuple[TimelineEntry, ...]:
    entries = [_station_step(_dict(step)) for step in _list(content.get("transitions"))]
    entries += [TimelineEntry(e.received_at, "township", labels.received(e.kind, e.revision),
                              labels.source(e.source), None) for e in detail.envelopes]
    entries += [_township_step(event) for event in detail.events]
    return tuple(sorted(entries, key=lambda e: (e.at is None, e.at or datetime.min)))


def _station_step(step: Mapping[str, Any]) -> TimelineEntry:
    try:
        at: datetime | None = parse_time(step.get("at"))
    except MalformedError:
        at = None
    what = _("{before} → {after}").format(before=labels.station_state(step.get("from")),
                                          after=labels.station_state(step.get("to")))
    return TimelineEntry(at, "station", what, _str(step.get("reason")), _str(step.get("agent")))


def _township_step(event: EventSummary) -> TimelineEntry:
    payload = event.payload
    detail = payload.get("reason") or payload.get("result_text") or payload.get("text")
    if event.kind == "accepted":
        detail = payload.get("township_number")
    return TimelineEntry(event.at, "township", labels.event_kind(event.kind),
                         _str(detail), None)


def _decisions(state: str) -> tuple[str, ...]:
    return tuple(kind for kind, (allowed, _target) in DECISIONS.items()
                 if CaseState(state) in allowed)


def _return_choices(matter: Matter | None,
                    materials: tuple[MaterialView, ...]) -> tuple[tuple[str, str], ...]:
    """The matter's materials, then any the case lists that the matter does not."""
    choices = [(m.code, m.name) for m in matter.materials] if matter is not None else []
    known = {code for code, _name in choices}
    choices += [(m.code, m.name) for m in materials if m.code and m.code not in known]
    return tuple(choices)


def _result_files(events: tuple[EventSummary, ...]) -> tuple[ResultFileView, ...]:
    files = [_dict(event.payload.get("file")) for event in events if event.kind == "completed"]
    return tuple(ResultFileView(_text(f.get("id")), _text(f.get("name")), f.get("size") or 0)
                 for f in files if f.get("id"))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)
