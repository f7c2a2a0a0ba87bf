"""Publishing catalog releases to stations (``docs/protocol.md`` section 6, ``catalog``).

A catalog directory is checked by the forms engine, signed with the township's signing key
(the key stations pinned at enrolment) as a release of :mod:`forms.release`, stored, and
announced with a ``catalog`` event to every enrolled station; stations fetch the bytes
through ``GET /files/{id}`` with the file id the event names. Versions only grow.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from assets import ROOT as ASSETS
from forms.catalog import catalog_dir_version, check_catalog_dir, summary
from forms.release import build_release
from sync.township.context import Context
from sync.township.errors import TownshipError
from sync.township.events import EventLog
from sync.township.models import CatalogRelease, Station

MEDIA_TYPE = "application/json"


class CatalogInvalidError(TownshipError):
    """The catalog directory does not pass the forms engine; ``problems`` lists why."""

    code = "catalog_invalid"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the catalog has problems", problems=problems)
        self.problems = problems


class CatalogVersionError(TownshipError):
    """The version is not above the latest published one."""

    code = "catalog_version"

    def __init__(self, version: int, latest: int) -> None:
        super().__init__("the catalog version must be above the latest published",
                         version=version, latest=latest)
        self.version = version
        self.latest = latest


class CatalogReleases:
    """Published releases; each publication is one transaction."""

    def __init__(self, context: Context, events: EventLog) -> None:
        self._context = context
        self._events = events

    def publish(self, folder: Path) -> CatalogRelease:
        """Check, sign and publish the catalog in ``folder``; its version must be above
        the latest published one and the catalog the app ships with.

        Raises CatalogInvalidError, CatalogVersionError.
        """
        catalog, problems = check_catalog_dir(folder)
        if problems or catalog is None:
            raise CatalogInvalidError([str(problem) for problem in problems])
        if catalog.version <= _bundled_version():  # every station has that one already
            raise CatalogVersionError(catalog.version,
                                      max(self.latest_version(), _bundled_version()))
        data = build_release(catalog, self._context.keys.signing)
        return self.publish_release(catalog.version, data, summary(catalog))

    def publish_release(self, version: int, data: bytes,
                        counts: dict[str, Any]) -> CatalogRelease:
        """Publish release bytes built (and signed) elsewhere as ``version``: store them and
        announce them to every enrolled station. Raises CatalogVersionError."""
        with self._context.database.atomic():
            latest = self.latest_version()
            if version <= latest:
                raise CatalogVersionError(version, latest)
            row = CatalogRelease.create(
                version=version, file_id=self._context.new_id(), data=data,
                sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                published_at=self._context.clock(),
                summary=json.dumps(counts, ensure_ascii=False, sort_keys=True))
            for station in _enrolled():
                self._events.append(station, "catalog", None, event_payload(row))
        return row

    def latest_version(self) -> int:
        """The highest published version; 0 before the first."""
        return CatalogRelease.select(CatalogRelease.version) \
            .order_by(CatalogRelease.version.desc()).scalar() or 0

    def releases(self) -> list[CatalogRelease]:
        """Every published release, newest first."""
        return list(CatalogRelease.select().order_by(CatalogRelease.version.desc()))

    def by_file(self, file_id: str) -> CatalogRelease | None:
        """The release fetched as ``file_id``; None when no release has that id."""
        return CatalogRelease.get_or_none(CatalogRelease.file_id == file_id)


def announce_latest(events: EventLog, station: str) -> None:
    """Tell a station that has just enrolled about the latest release (if there is one):
    it missed the announcements made before it enrolled."""
    latest = CatalogRelease.select().order_by(CatalogRelease.version.desc()).first()
    if latest is not None:
        events.append(station, "catalog", None, event_payload(latest))


def event_payload(row: CatalogRelease) -> dict[str, Any]:
    """The ``catalog`` event's payload: the version and the file to fetch it from."""
    return {"version": row.version,
            "file": {"id": row.file_id, "sha256": row.sha256, "size": row.size,
                     "media_type": MEDIA_TYPE, "name": f"catalog-{row.version}.json"}}


@functools.cache
def _bundled_version() -> int:
    return catalog_dir_version(ASSETS / "catalog")


def _enrolled() -> list[str]:
    query = Station.select(Station.id).where(Station.enrolled_at.is_null(False),
                                             Station.revoked_at.is_null())
    return [row.id for row in query.order_by(Station.id)]
