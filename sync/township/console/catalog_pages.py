"""Catalog releases: the published releases and the version stations run (everyone), and
publishing a new release from an uploaded catalog zip (administrators only). After a
release is published the page confirms it with what changed against the version before."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from forms.catalog import Catalog
from forms.i18n import _
from sync.township.catalogs import CatalogInvalidError, CatalogReleases, CatalogVersionError
from sync.township.console.catalog_upload import CatalogUploadError, UploadLimits, unpacked
from sync.township.console.web import View, action, page, redirect
from sync.township.models import CatalogRelease
from sync.township.users import Role

router = APIRouter()
LIMITS = UploadLimits()
_FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class ReleaseRow:
    version: int
    published_at: datetime
    matters: int | None
    calendar_years: tuple[int, ...]


@dataclass(frozen=True)
class Published:
    """The confirmation of a publication: matters by (code, name), years."""

    version: int
    previous: int
    previous_bundled: bool
    added: tuple[tuple[str, str], ...]
    changed: tuple[tuple[str, str], ...]
    withdrawn: tuple[tuple[str, str], ...]
    calendar_years: tuple[int, ...]


@router.get("/catalogs")
async def catalogs(request: Request) -> Response:
    return await page(request, Role.REVIEWER, _list)


@router.post("/catalogs")
async def publish(request: Request) -> Response:
    return await action(request, Role.ADMIN, _publish, limit=LIMITS.compressed + _FORM_OVERHEAD)


def _list(view: View, status: int = 200, **values: Any) -> Response:
    releases = _releases(view)
    rows = [_row(release) for release in releases.releases()]
    running = rows[0].version if rows else view.console.catalogs.latest.version
    values.setdefault("error", None)
    values.setdefault("problems", ())
    values.setdefault("published", _published(view))
    return view.render("catalogs.html", status, rows=rows, running=running,
                       bundled=not rows, active="catalogs", **values)


def _publish(view: View, form: FormData) -> Response:
    upload = form.get("catalog")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _list(view, 400, error=_("Choose a catalog zip file to upload."))
    try:
        with unpacked(upload.file, LIMITS) as folder:
            return _publish_folder(view, folder)
    except CatalogUploadError as error:
        return _list(view, 422, error=str(error))


def _publish_folder(view: View, folder: Path) -> Response:
    try:
        with view.township.context.database.atomic():
            row = _releases(view).publish(folder)
            view.audit("catalog_publish", "catalog", str(row.version), sha256=row.sha256,
                       size=row.size)
    except CatalogInvalidError as error:
        problems = [problem.replace(f"file={folder}/", "").replace(f"{folder}/", "")
                    for problem in error.problems]
        return _list(view, 422, error=_("The catalog has problems; nothing was published."),
                     problems=problems)
    except CatalogVersionError as error:
        return _list(view, 409, error=_("The catalog's version must be above {latest} (it "
                                        "says {version}); nothing was published.").format(
            latest=error.latest, version=error.version))
    return redirect("/catalogs", published=row.version)


def _releases(view: View) -> CatalogReleases:
    return CatalogReleases(view.township.context, view.township.events)


def _row(release: CatalogRelease) -> ReleaseRow:
    summary = _summary(release.summary)
    matters = summary.get("matters")
    years = summary.get("calendar_years")
    return ReleaseRow(release.version, release.published_at,
                      matters if type(matters) is int else None,
                      tuple(year for year in years if type(year) is int)
                      if isinstance(years, list) else ())


def _summary(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _published(view: View) -> Published | None:
    """The confirmation the redirect after publishing asks for (``?published=N``)."""
    version = view.query("published")
    if not version.isdigit() or len(version) > 9:
        return None
    found = view.console.catalogs.changes(int(version))
    if found is None:
        return None
    old, new, change = found
    bundled = old is view.console.catalogs.bundled_catalog
    return Published(change.version, old.version, bundled, _named(new, change.added),
                     _named(new, change.changed), _named(old, change.withdrawn),
                     change.calendar_years)


def _named(catalog: Catalog, codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((code, catalog.matter(code).name) for code in codes)
