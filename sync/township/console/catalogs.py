"""The catalogs the console lays answers out with: the bundled catalog (``assets/catalog``)
plus every release the township published, looked up by the case's catalog version, and
the working-day calendar they carry.

Each release is verified against the township's signing key before it is used; one that
no longer verifies (or does not fit the catalog's history) is left out with a warning. A
library over published releases looks at the latest published version on each use and
rebuilds itself when it changed, so a release published from the console or the command
line is seen without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from assets import ROOT as ASSETS
from forms.calendar import WorkCalendar
from forms.catalog import Catalog, CatalogChanges, CatalogHistory, compare, load_catalog_dir
from forms.errors import CatalogError
from forms.model import Matter
from forms.release import load_release
from sync.township.catalogs import CatalogReleases

log = logging.getLogger(__name__)
BUNDLED = ASSETS / "catalog"


@dataclass(frozen=True)
class _Built:
    latest: int
    history: CatalogHistory
    calendar: WorkCalendar


class CatalogLibrary:
    """Catalog versions the township knows; a case's matter is found in its own version."""

    def __init__(self, bundled: Catalog, releases: CatalogReleases | None = None,
                 public_key: Ed25519PublicKey | None = None) -> None:
        if (releases is None) != (public_key is None):
            raise ValueError("published releases need the key they are verified with")
        self._bundled = bundled
        self._releases = releases
        self._public_key = public_key
        self._loaded: dict[str, Catalog] = {}
        self._lock = threading.Lock()
        self._built = _build(0, [bundled])

    @classmethod
    def bundled(cls, path: Path = BUNDLED) -> CatalogLibrary:
        """The catalog shipped with the app alone. Raises CatalogError when it does not
        load."""
        return cls(load_catalog_dir(path))

    @classmethod
    def published(cls, releases: CatalogReleases, public_key: Ed25519PublicKey,
                  path: Path = BUNDLED) -> CatalogLibrary:
        """The bundled catalog and every release of ``releases`` that verifies with
        ``public_key``. Raises CatalogError when the bundled catalog does not load."""
        return cls(load_catalog_dir(path), releases, public_key)

    def matter(self, code: object, version: object) -> Matter | None:
        """The matter ``code`` of catalog ``version``; None when either is unknown."""
        if not isinstance(code, str) or type(version) is not int:
            return None
        try:
            return self._current().history.matter(code, version)
        except CatalogError:
            return None

    def matters(self) -> list[tuple[str, str]]:
        """(code, name) of every matter of the newest version, by code."""
        latest = self._current().history.latest
        return [(code, matter.name) for code, matter in latest.matters.items()]

    @property
    def bundled_catalog(self) -> Catalog:
        """The catalog shipped with the app."""
        return self._bundled

    @property
    def latest(self) -> Catalog:
        """The newest version known (the bundled catalog before any release)."""
        return self._current().history.latest

    def catalog(self, version: int) -> Catalog | None:
        """Catalog ``version``; None when it is not known (or did not verify)."""
        try:
            return self._current().history.catalog(version)
        except CatalogError:
            return None

    def changes(self, version: int) -> tuple[Catalog, Catalog, CatalogChanges] | None:
        """Catalog ``version``, the version before it (the bundled catalog for the first
        release) and what changed between them; None when ``version`` is unknown or has
        nothing before it."""
        history = self._current().history
        earlier = [known for known in history.versions() if known < version]
        if version not in history.versions() or not earlier:
            return None
        old, new = history.catalog(max(earlier)), history.catalog(version)
        return old, new, compare(old, new)

    @property
    def calendar(self) -> WorkCalendar:
        """The bundled calendar with every version's years added (a later version's year
        replacing an earlier one's)."""
        return self._current().calendar

    def _current(self) -> _Built:
        if self._releases is None:
            return self._built
        latest = self._releases.latest_version()
        with self._lock:
            if self._built.latest != latest:
                self._built = _build(latest, [self._bundled, *self._verified()])
            return self._built

    def _verified(self) -> list[Catalog]:
        """Every published release that verifies, oldest first (each loaded once)."""
        assert self._releases is not None and self._public_key is not None
        found = []
        for row in sorted(self._releases.releases(), key=lambda row: row.version):
            data = bytes(row.data)
            digest = hashlib.sha256(data).hexdigest()
            if digest not in self._loaded:
                try:
                    self._loaded[digest] = load_release(data, self._public_key)
                except CatalogError as error:
                    log.warning("catalog release %s left out: %s", row.version,
                                type(error).__name__)
                    continue
            found.append(self._loaded[digest])
        return found


def _build(latest: int, catalogs: Iterable[Catalog]) -> _Built:
    history = CatalogHistory()
    for catalog in catalogs:
        try:
            history.add(catalog)
        except CatalogError as error:
            log.warning("catalog version %s left out: %s", catalog.version, error.message)
    calendar = WorkCalendar.bundled()
    for version in history.versions():
        calendar = calendar.with_years(history.catalog(version).calendar_years)
    return _Built(latest, history, calendar)
