"""The station's catalogs: the bundled one plus every signed release the township sent.

A release is verified against the township signing key pinned at enrolment, refused when
its version is not above the installed one, and kept whole in the encrypted store (every
version: a case opens with the version it started on, new drafts use the latest). What a
release changed (matters added, changed, withdrawn; calendar years) is kept with it for
the agent. Call the functions with the store bound, the writers inside the caller's
transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from forms.calendar import WorkCalendar
from forms.catalog import Catalog, CatalogChanges, CatalogHistory, catalog_dir_version, compare
from forms.errors import CatalogError, CatalogSignatureError
from forms.release import load_release
from station import syncstate
from station.cases import recompute_promises
from station.demo import BUNDLED_CATALOG, bundled_catalog
from station.errors import StationError
from station.i18n import _
from station.models import Case, CatalogRelease
from sync.signed import public_key_from_raw


class ReleaseRefusedError(StationError):
    """A catalog release is not installed; ``reason`` is the code kept with the event
    (``catalog_signature``, ``catalog_invalid``, ``catalog_outdated``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(_refusals()[reason])
        self.reason = reason


@functools.cache
def bundled() -> Catalog:
    """The catalog shipped with the app (loaded once)."""
    return bundled_catalog()


@functools.cache
def bundled_version() -> int:
    """The version of the catalog shipped with the app (its header only: sync's heartbeat
    needs the number, not the 50-odd matters)."""
    return catalog_dir_version(BUNDLED_CATALOG)


def latest_version() -> int:
    """The installed version: the highest release, or the bundled catalog's."""
    stored = CatalogRelease.select(CatalogRelease.version) \
        .order_by(CatalogRelease.version.desc()).scalar()
    return max(stored or 0, bundled_version())


def history() -> CatalogHistory:
    """The bundled catalog and every stored release (each verified against the pinned
    township key once per process). Raises CatalogError when a stored release no longer
    verifies, NotEnrolledError when releases are kept but the enrolment is gone."""
    found = CatalogHistory([bundled()])
    releases = list(CatalogRelease.select().order_by(CatalogRelease.version))
    if releases:
        key = syncstate.require_enrolment().signing_key
        for row in releases:
            found.add(_load(bytes(row.data), bytes(key)))
    return found


@functools.lru_cache(maxsize=32)
def _load(data: bytes, raw_key: bytes) -> Catalog:
    """Release ``data`` verified with ``raw_key``, once per process (parsing a catalog
    costs a second). Raises CatalogSignatureError, CatalogError."""
    return load_release(data, public_key_from_raw(raw_key))


def catalog_for(case: Case, catalogs: CatalogHistory) -> Catalog:
    """The catalog version ``case`` was started on. Raises CatalogError when unknown."""
    return catalogs.catalog(case.catalog_version)


def work_calendar(catalogs: CatalogHistory) -> WorkCalendar:
    """The bundled working-day calendar with the years every version carries (a later
    version's year replacing an earlier one's)."""
    calendar = WorkCalendar.bundled()
    for version in catalogs.versions():
        calendar = calendar.with_years(catalogs.catalog(version).calendar_years)
    return calendar


class LatestCalendar:
    """The working-day calendar of the installed catalogs, as the case service's deadlines:
    built on first use (loading the catalogs costs seconds, and most sessions compute no
    deadline) and again once a newer release is installed."""

    def __init__(self) -> None:
        self._built: tuple[int, WorkCalendar] | None = None

    def add_working_days(self, start: date, days: int) -> Any:
        version = latest_version()
        if self._built is None or self._built[0] != version:
            self._built = (version, work_calendar(history()))
        return self._built[1].add_working_days(start, days)


def changes() -> list[tuple[datetime, CatalogChanges]]:
    """When each installed release arrived and what it changed, oldest first."""
    rows = CatalogRelease.select(CatalogRelease.received_at, CatalogRelease.changes) \
        .order_by(CatalogRelease.version)
    return [(row.received_at, CatalogChanges.from_json(row.changes)) for row in rows]


def install(data: bytes, version: int, event_id: str, at: datetime) -> CatalogChanges:
    """Verify and keep release ``data`` (announced as ``version``); recompute the
    provisional promised dates a new calendar year settles. Call inside a transaction.

    Raises ReleaseRefusedError (nothing changed).
    """
    catalogs = history()
    previous = catalogs.latest
    catalog = _verified(data, version, previous)
    before = work_calendar(catalogs)
    try:
        catalogs.add(catalog)
    except CatalogError:
        raise ReleaseRefusedError("catalog_invalid") from None
    change = compare(previous, catalog)
    CatalogRelease.create(version=version, catalog_id=catalog.id, data=data,
                          sha256=hashlib.sha256(data).hexdigest(), event_id=event_id,
                          changes=change.to_json(), received_at=at)
    new_years = [year for year in catalog.calendar_years if year not in before.years]
    if new_years:
        recompute_promises(work_calendar(catalogs), _promised_days(catalogs), new_years, at)
    return change


def _verified(data: bytes, version: int, installed: Catalog) -> Catalog:
    try:
        catalog = _load(data, bytes(syncstate.require_enrolment().signing_key))
    except CatalogSignatureError:
        raise ReleaseRefusedError("catalog_signature") from None
    except CatalogError:
        raise ReleaseRefusedError("catalog_invalid") from None
    if catalog.version != version:
        raise ReleaseRefusedError("catalog_invalid")
    if version <= installed.version:
        raise ReleaseRefusedError("catalog_outdated")
    return catalog


def refusal_label(reason: str) -> str | None:
    """Why a catalog release was refused, in plain words; None for another reason."""
    return _refusals().get(reason)


def _refusals() -> dict[str, str]:
    return {
        "catalog_signature": _(
            "The catalog release is not signed by this station's township or was altered "
            "on the way; it was not installed. Ask the township."),
        "catalog_invalid": _(
            "The catalog release is damaged or does not fit this station's catalog; it was "
            "not installed. Ask the township."),
        "catalog_outdated": _(
            "The catalog release is not newer than the catalog installed here; it was not "
            "installed."),
    }


def _promised_days(catalogs: CatalogHistory) -> Callable[[Case], int | None]:
    def days(case: Case) -> int | None:
        try:
            matter = catalogs.matter(case.matter_code, case.catalog_version)
        except CatalogError:
            return None
        return matter.time_limits.promised_days

    return days

