"""Incoming cases: the queue with its filters, a case's detail (every view audited), its
material pages decrypted for the browser, and the result files the township issued."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from sync import vsmf
from sync.errors import MalformedError
from sync.signed import b64decode
from sync.township.console import labels
from sync.township.console.casefacts import QueueFilter
from sync.township.console.caseview import PDF, case_page, find_page, shown_as
from sync.township.console.web import View, page, redirect
from sync.township.errors import NotFoundError
from sync.township.models import Case, ResultFile, Station
from sync.township.overview import CaseDetail
from sync.township.users import Role

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    return await page(request, Role.REVIEWER, lambda view: _to_cases())


@router.get("/cases")
async def cases(request: Request) -> Response:
    return await page(request, Role.REVIEWER, _queue)


@router.get("/cases/{case_id}")
async def case(request: Request, case_id: str) -> Response:
    return await page(request, Role.REVIEWER, _detail, case_id)


@router.get("/cases/{case_id}/pages/{page_uuid}")
async def material_page(request: Request, case_id: str, page_uuid: str) -> Response:
    return await page(request, Role.REVIEWER, _material, case_id, page_uuid)


@router.get("/cases/{case_id}/files/{file_id}")
async def result_file(request: Request, case_id: str, file_id: str) -> Response:
    return await page(request, Role.REVIEWER, _result_file, case_id, file_id)


def _to_cases() -> Response:
    return redirect("/cases")


def _queue(view: View) -> Response:
    console = view.console
    console.index.refresh()
    wanted = QueueFilter(view.query("station") or None, view.query("matter") or None,
                         _choice(view.query("state"), labels.CASE_STATES),
                         _date(view.query("from")), _date(view.query("to")),
                         view.query("overdue") == "1", _number(view.query("before")))
    found = console.index.queue(wanted, console.today(), console.config.page_size)
    stations = list(Station.select(Station.id, Station.name).order_by(Station.name).tuples())
    return view.render("cases.html", page=found, wanted=wanted, stations=stations,
                       matters=console.catalogs.matters(), states=labels.CASE_STATES,
                       active="cases")


def _detail(view: View, case_id: str) -> Response:
    row = _case(case_id)
    detail = view.township.overview.case(row.station_id, row.case_uuid)
    console = view.console
    console.index.refresh()
    matter = console.catalogs.matter(_matter_code(detail), _catalog_version(detail))
    shown = case_page(detail, row.station.name, matter,
                      console.index.deadline_of(row.id, console.today()))
    view.audit("view_case", "case", row.case_uuid, station=row.station_id)
    return view.render("case.html", case=shown, case_id=row.id, active="cases")


def _material(view: View, case_id: str, page_uuid: str) -> Response:
    row = _case(case_id)
    detail = view.township.overview.case(row.station_id, row.case_uuid)
    found = find_page(detail.content, page_uuid)
    if found is None or not found.get("blob") or not found.get("key"):
        raise NotFoundError("no such page")
    blobs = view.township.context.blobs
    key, sha256 = _key(found.get("key")), str(found["blob"])
    digest, size = found.get("digest"), found.get("size")
    if not isinstance(digest, str) or type(size) is not int:
        raise NotFoundError("the page names no digest")
    try:
        with blobs.open(row.station_id, sha256) as source:
            vsmf.check(source, key, digest, size)
    except (OSError, vsmf.VsmfError, ValueError):
        raise NotFoundError("the page file is missing or damaged") from None
    view.audit("view_page", "page", page_uuid, case=row.case_uuid, station=row.station_id)
    media_type = str(found.get("media_type") or "")
    return StreamingResponse(_plaintext(blobs.path(row.station_id, sha256), key),
                             media_type=_served_type(media_type),
                             headers=_disposition(media_type, page_uuid, view.query("download"),
                                                  size))


def _result_file(view: View, case_id: str, file_id: str) -> Response:
    row = _case(case_id)
    found = ResultFile.get_or_none(ResultFile.id == file_id, ResultFile.case == row.id)
    if found is None:
        raise NotFoundError("no such file")
    view.audit("view_result", "result_file", file_id, case=row.case_uuid)
    return FileResponse(view.township.context.files / found.id, media_type=found.media_type,
                        filename=found.name)


def _plaintext(path: Path, key: bytes) -> Iterator[bytes]:
    """The page's plaintext, read again after it verified (a chunk that fails now ends the
    answer short of its Content-Length, so the browser drops it)."""
    with open(path, "rb") as source:
        yield from vsmf.iter_plaintext(source, key)


def _served_type(media_type: str) -> str:
    return media_type if shown_as(media_type) in ("image", "pdf") else "application/octet-stream"


def _disposition(media_type: str, page_uuid: str, download: str,
                 size: int) -> dict[str, str]:
    inline = shown_as(media_type) == "image" or (media_type == PDF and download != "1")
    extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
                 "image/webp": ".webp", PDF: ".pdf"}.get(media_type, ".bin")
    kind = "inline" if inline else "attachment"
    return {"Content-Disposition": f'{kind}; filename="{page_uuid}{extension}"',
            "Content-Length": str(size)}


def _case(case_id: str) -> Case:
    number = _number(case_id)
    row = None if number is None else Case.get_or_none(Case.id == number)
    if row is None:
        raise NotFoundError("no such case")
    return row


def _key(value: object) -> bytes:
    try:
        return b64decode(value, vsmf.KEY_SIZE)
    except MalformedError:
        raise NotFoundError("the page names no key") from None


def _matter_code(detail: CaseDetail) -> object:
    part = detail.content.get("case")
    return part.get("matter_code") if isinstance(part, dict) else None


def _catalog_version(detail: CaseDetail) -> object:
    part = detail.content.get("case")
    return part.get("catalog_version") if isinstance(part, dict) else None


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 10 else None
