"""The review decisions: accept, return for supplement with the missing or wrong materials
and the reason (what the station's one-time notice shows), refuse with a reason, complete
with a result text and an optional result file. Each becomes a signed event for the
station through :class:`~sync.township.decisions.DecisionService` and an audit entry, in
one transaction; then the browser goes back to the case (POST, redirect, GET)."""

from __future__ import annotations

import os
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from sync.township.config import MAX_NAME
from sync.township.console.web import View, action, form_text, redirect
from sync.township.decisions import MissingItem, ResultUpload
from sync.township.errors import DecisionError, NotFoundError
from sync.township.models import Case, Event
from sync.township.users import Role

router = APIRouter()
_FORM_ROOM = 64 * 1024
_RESULT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class _FormProblem(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@router.post("/cases/{case_id}/accept")
async def accept(request: Request, case_id: str) -> Response:
    return await action(request, Role.REVIEWER, _decide, case_id, "accept")


@router.post("/cases/{case_id}/return")
async def return_case(request: Request, case_id: str) -> Response:
    return await action(request, Role.REVIEWER, _decide, case_id, "return")


@router.post("/cases/{case_id}/refuse")
async def refuse(request: Request, case_id: str) -> Response:
    return await action(request, Role.REVIEWER, _decide, case_id, "refuse")


@router.post("/cases/{case_id}/complete")
async def complete(request: Request, case_id: str) -> Response:
    limit = request.app.state.township.limits.max_result_file + _FORM_ROOM
    return await action(request, Role.REVIEWER, _decide, case_id, "complete", limit=limit)


def _decide(view: View, form: FormData, case_id: str, decision: str) -> Response:
    """Take ``decision`` on the case; back to it with a notice or the problem found."""
    row = Case.get_or_none(Case.id == int(case_id)) if case_id.isdigit() else None
    if row is None:
        raise NotFoundError("no such case")
    take: Callable[[View, Case, FormData], Event] = _DECISIONS[decision]
    path = f"/cases/{row.id}"
    try:
        with view.township.context.database.atomic():
            event = take(view, row, form)
            view.audit(decision, "case", row.case_uuid, station=row.station_id,
                       event=event.event_id)
    except _FormProblem as problem:
        return redirect(path, problem=problem.code)
    except DecisionError:
        return redirect(path, problem="decision")
    return redirect(path, notice=event.kind)


def _accept(view: View, row: Case, form: FormData) -> Event:
    return view.township.decisions.accept(row.station_id, row.case_uuid)


def _return(view: View, row: Case, form: FormData) -> Event:
    reason = _required(form, "reason", "reason")
    names = {code: form_text(form, f"name_{code}") for code in form.getlist("missing")
             if isinstance(code, str)}
    items = [MissingItem(code, names[code] or code, form_text(form, f"reason_{code}"))
             for code in names]
    other = form_text(form, "other_name")
    if other:
        items.append(MissingItem(None, other, form_text(form, "other_reason")))
    return view.township.decisions.return_case(row.station_id, row.case_uuid, reason, items)


def _refuse(view: View, row: Case, form: FormData) -> Event:
    return view.township.decisions.refuse(row.station_id, row.case_uuid,
                                          _required(form, "reason", "reason"))


def _complete(view: View, row: Case, form: FormData) -> Event:
    text = _required(form, "result_text", "result")
    approved = form_text(form, "approved") == "yes"
    return view.township.decisions.complete(row.station_id, row.case_uuid, approved, text,
                                            _result_file(view, form.get("result_file")))


def _result_file(view: View, upload: object) -> ResultUpload | None:
    """The uploaded result file; None when none was chosen."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    limit = view.township.limits.max_result_file
    data = upload.file.read(limit + 1)
    name = os.path.basename(upload.filename.replace("\\", "/"))[:MAX_NAME]
    if len(data) > limit or not name:
        raise _FormProblem("file")
    media_type = upload.content_type if upload.content_type in _RESULT_TYPES \
        else "application/octet-stream"
    return ResultUpload(name, media_type, data)


def _required(form: FormData, name: str, problem: str) -> str:
    text = form_text(form, name)
    if not text:
        raise _FormProblem(problem)
    return text


_DECISIONS: dict[str, Callable[[View, Case, FormData], Event]] = {
    "accept": _accept, "return": _return, "refuse": _refuse, "complete": _complete,
}
