"""Stations (administrators only): the list with each station's health, creating a
station (its one-time enrolment code and QR shown once, on the answer to the form), a new
code for a replaced PC, and revoking a station's key."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import qrcode
from fastapi import APIRouter, Request
from fastapi.responses import Response
from qrcode.constants import ERROR_CORRECT_M
from starlette.datastructures import FormData

from sync.township.config import MAX_NAME
from sync.township.console.web import View, action, form_text, page, redirect
from sync.township.models import Heartbeat
from sync.township.overview import StationHealth
from sync.township.qr import enrolment_uri
from sync.township.stations import NewCode
from sync.township.users import Role

router = APIRouter()


@dataclass(frozen=True)
class StationRow:
    health: StationHealth
    catalog_version: str | None


@router.get("/stations")
async def stations(request: Request) -> Response:
    return await page(request, Role.ADMIN, _list)


@router.post("/stations")
async def add_station(request: Request) -> Response:
    return await action(request, Role.ADMIN, _add)


@router.post("/stations/{station}/code")
async def new_code(request: Request, station: str) -> Response:
    return await action(request, Role.ADMIN, _new_code, station)


@router.post("/stations/{station}/revoke")
async def revoke(request: Request, station: str) -> Response:
    return await action(request, Role.ADMIN, _revoke, station)


def _list(view: View) -> Response:
    rows = [StationRow(health, _catalog_version(health.station))
            for health in view.township.overview.health()]
    return view.render("stations.html", rows=rows, active="stations")


def _add(view: View, form: FormData) -> Response:
    name = form_text(form, "name")
    if not name or len(name) > MAX_NAME:
        return redirect("/stations", problem="name")
    with view.township.context.database.atomic():
        issued = view.township.stations.add(name)
        view.audit("station_add", "station", issued.station)
    return _show_code(view, issued)


def _new_code(view: View, form: FormData, station: str) -> Response:
    with view.township.context.database.atomic():
        issued = view.township.stations.new_code(station)
        view.audit("station_code", "station", station)
    return _show_code(view, issued)


def _revoke(view: View, form: FormData, station: str) -> Response:
    if form_text(form, "confirm") != "yes":
        return redirect("/stations", problem="confirm")
    with view.township.context.database.atomic():
        view.township.stations.revoke(station)
        view.audit("station_revoke", "station", station)
    return redirect("/stations", notice="revoked")


def _show_code(view: View, issued: NewCode) -> Response:
    """The code and its QR, on this answer only (the township keeps only their hash)."""
    uri = enrolment_uri(view.township.settings.url, issued.code)
    return view.render("station_code.html", issued=issued, uri=uri, qr=qr_data_uri(uri),
                       active="stations")


def qr_data_uri(text: str) -> str:
    """A PNG QR code of ``text`` as a data: URI (served with the page, nothing fetched)."""
    image = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=4)
    image.add_data(text)
    image.make(fit=True)
    buffer = io.BytesIO()
    image.make_image().save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _catalog_version(station: str) -> str | None:
    return (Heartbeat.select(Heartbeat.catalog_version).where(Heartbeat.station == station)
            .order_by(Heartbeat.received_at.desc(), Heartbeat.id.desc()).scalar())
