"""Offline bundles: upload a station's USB bundle (taken exactly as if its envelopes had
arrived online) and download a station's return bundle of receipts and events."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from forms.i18n import _
from sync.bundle import BundleError
from sync.township.console.web import View, action, page
from sync.township.models import Station
from sync.township.users import Role

router = APIRouter()
ZIP = "application/zip"


@router.get("/bundles")
async def bundles(request: Request) -> Response:
    return await page(request, Role.REVIEWER, _form)


@router.post("/bundles/import")
async def import_bundle(request: Request) -> Response:
    limit = request.app.state.console.config.max_bundle
    return await action(request, Role.REVIEWER, _import, limit=limit)


@router.get("/bundles/return/{station}")
async def return_bundle(request: Request, station: str) -> Response:
    return await page(request, Role.REVIEWER, _return, station)


def _form(view: View, status: int = 200, **values: object) -> Response:
    stations = list(Station.select(Station.id, Station.name).order_by(Station.name).tuples())
    values.setdefault("result", None)
    values.setdefault("error", None)
    return view.render("bundles.html", status, stations=stations, active="bundles", **values)


def _import(view: View, form: FormData) -> Response:
    upload = form.get("bundle")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form(view, 400, error=_("Choose a bundle file to upload."))
    with tempfile.TemporaryDirectory(prefix="township-bundle-") as folder:
        path = Path(folder) / "bundle.zip"
        with open(path, "wb") as target:
            shutil.copyfileobj(upload.file, target, 1024 * 1024)
        try:
            result = view.township.bundles.import_outbound(path)
        except BundleError as error:
            return _form(view, 422, error=str(error))
    view.audit("bundle_import", "station", result.station, received=list(result.received),
               already_held=list(result.already_held),
               refused=[seq for seq, _code in result.refused])
    return _form(view, result=result)


def _return(view: View, station: str) -> Response:
    after = view.query("after")
    after_cursor = int(after) if after.isdigit() and len(after) <= 10 else 0
    with tempfile.TemporaryDirectory(prefix="township-return-") as folder:
        path = Path(folder) / "return.zip"
        manifest = view.township.bundles.write_return(station, path,
                                                      after_cursor=after_cursor)
        data = path.read_bytes()
    view.audit("bundle_export", "station", station, members=len(manifest.members),
               after_cursor=after_cursor)
    name = f"{station}-return.zip"
    return Response(data, media_type=ZIP,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
