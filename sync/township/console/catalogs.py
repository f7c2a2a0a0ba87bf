"""The catalog the console lays answers out with: the bundled catalog (``assets/catalog``),
looked up by the case's catalog version, and the working-day calendar it carries."""

from __future__ import annotations

import functools
from pathlib import Path

from assets import ROOT as ASSETS
from forms.calendar import WorkCalendar
from forms.catalog import Catalog, CatalogHistory, load_catalog_dir
from forms.errors import CatalogError
from forms.model import Matter


class CatalogLibrary:
    """Catalog versions the township knows; a case's matter is found in its own version."""

    def __init__(self, catalogs: tuple[Catalog, ...]) -> None:
        self._history = CatalogHistory(catalogs)

    @classmethod
    def bundled(cls, path: Path = ASSETS / "catalog") -> CatalogLibrary:
        """The catalog shipped with the app. Raises CatalogError when it does not load."""
        return cls((load_catalog_dir(path),))

    def matter(self, code: object, version: object) -> Matter | None:
        """The matter ``code`` of catalog ``version``; None when either is unknown."""
        if not isinstance(code, str) or type(version) is not int:
            return None
        try:
            return self._history.matter(code, version)
        except CatalogError:
            return None

    def matters(self) -> list[tuple[str, str]]:
        """(code, name) of every matter of the newest version, by code."""
        return [(code, matter.name) for code, matter in self._history.latest.matters.items()]

    @functools.cached_property
    def calendar(self) -> WorkCalendar:
        """The bundled calendar with the newest catalog's years added."""
        return WorkCalendar.bundled().with_years(self._history.latest.calendar_years)
