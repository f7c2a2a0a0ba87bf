"""Reconciliation pages: the county summary (stations with gaps, or silent for more than N
days), one station's figures with its refused envelopes, the 'request resend' action and
the xlsx export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync.township.config import MAX_NUMBER
from sync.township.console import reconview
from sync.township.console.web import View, action, form_text, page, redirect
from sync.township.errors import NotFoundError
from sync.township.models import Station
from sync.township.users import Role

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/reconciliation")
async def summary(request: Request) -> Response:
    return await page(request, Role.REVIEWER, _summary)


@router.get("/reconciliation/export.xlsx")
async def export(request: Request) -> Response:
    return await page(request, Role.REVIEWER, _export)


@router.get("/reconciliation/{station}")
async def station(request: Request, station: str) -> Response:
    return await page(request, Role.REVIEWER, _station, station)


@router.post("/reconciliation/{station}/resend")
async def resend(request: Request, station: str) -> Response:
    return await action(request, Role.REVIEWER, _resend, station)


def _silent_days(view: View) -> int:
    value = view.query("silent")
    return int(value) if value.isdigit() and 0 < int(value) <= 365 \
        else view.console.config.silent_days


def _summary(view: View) -> Response:
    days = _silent_days(view)
    rows = reconview.county(view.township.overview, view.township.context.clock(), days)
    shown = rows if view.query("all") == "1" else [row for row in rows if row.attention]
    return view.render("reconciliation.html", rows=shown, total=len(rows),
                       attention=sum(1 for row in rows if row.attention), silent_days=days,
                       show_all=view.query("all") == "1", active="reconciliation")


def _export(view: View) -> Response:
    days = _silent_days(view)
    rows = reconview.county(view.township.overview, view.township.context.clock(), days)
    view.audit("export_reconciliation", "county", None, stations=len(rows))
    name = "reconciliation-" + view.console.today().isoformat() + ".xlsx"
    return Response(reconview.workbook(rows, days), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _station(view: View, station: str) -> Response:
    row = _station_row(station)
    found = reconview.reconcile(view.township.overview, row.id, row.name,
                                row.revoked_at is not None, view.township.context.clock(),
                                _silent_days(view))
    refusals = view.township.overview.refusals(station=row.id, limit=100)
    return view.render("station_reconciliation.html", row=found, refusals=refusals,
                       active="reconciliation")


def _resend(view: View, form: FormData, station: str) -> Response:
    row = _station_row(station)
    picked = [int(v) for v in form.getlist("seq") if isinstance(v, str) and v.isdigit()
              and len(v) <= 10]
    typed = form_text(form, "seqs")
    parsed = reconview.parse_seqs(typed) if typed else ()
    if parsed is None or not (picked or parsed) or max([*picked, *parsed]) > MAX_NUMBER:
        return redirect(f"/reconciliation/{row.id}", problem="seqs")
    seqs = sorted(set(picked) | set(parsed))
    with view.township.context.database.atomic():
        event = view.township.decisions.request_resend(row.id, seqs)
        view.audit("request_resend", "station", row.id, seqs=seqs, event=event.event_id)
    return redirect(f"/reconciliation/{row.id}", notice="resend")


def _station_row(station: str) -> Station:
    row = Station.get_or_none(Station.id == station)
    if row is None:
        raise NotFoundError("no such station")
    return row
