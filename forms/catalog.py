"""Catalogs: a versioned set of matters plus working-day calendar data, and their history.

A catalog comes from a directory (the bundled catalog, unsigned) or from a signed release
(:mod:`forms.release`). :class:`CatalogHistory` keeps several versions so that a case
started on version N still finds its matter after N+1 arrived.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms import schema
from forms.calendar import CalendarError, WorkCalendar
from forms.definition import check_matter, check_matter_file, plain_data, read_yaml
from forms.errors import CatalogError, DefinitionError
from forms.i18n import _
from forms.model import Matter

HEADER_FILE = "catalog.yaml"
MATTERS_DIR = "matters"
CALENDAR_DIR = "calendar"


@dataclass(frozen=True)
class Catalog:
    """One version of a catalog. ``matters`` is keyed by code, in code order.

    ``calendar_years`` maps a year to its plain calendar data (``year``, ``source``,
    ``holidays``, ``workdays`` with ISO date strings), as :class:`WorkCalendar` takes it.
    ``header`` is the plain catalog.yaml data, for releases.
    """

    id: str
    version: int
    title: str
    published: datetime.date
    matters: Mapping[str, Matter]
    calendar_years: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    format: int = 1
    header: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def matter(self, code: str) -> Matter:
        """The matter ``code``; raises CatalogError when this version has none."""
        try:
            return self.matters[code]
        except KeyError:
            raise CatalogError(
                _("Catalog {id} version {version} has no matter {code}.").format(
                    id=self.id, version=self.version, code=code
                )
            ) from None

    def by_category(self) -> dict[str, list[Matter]]:
        """The matters grouped by category (categories sorted, matters by code)."""
        grouped: dict[str, list[Matter]] = {}
        for matter in self.matters.values():
            grouped.setdefault(matter.category, []).append(matter)
        return dict(sorted(grouped.items()))


def load_catalog_dir(path: str | Path) -> Catalog:
    """Load the unsigned catalog directory ``path`` (catalog.yaml, matters/, calendar/).

    Raises CatalogError listing every problem found.
    """
    catalog, problems = check_catalog_dir(path)
    if problems or catalog is None:
        raise CatalogError(
            _("The catalog in {path} has {count} problem(s).").format(
                path=path, count=len(problems)
            ),
            problems,
        )
    return catalog


def catalog_dir_version(path: str | Path) -> int:
    """The version the catalog directory ``path`` declares in its header, without loading
    its matters. Raises CatalogError when the header is unreadable or invalid."""
    source = Path(path) / HEADER_FILE
    problems: list[DefinitionError] = []
    header = _read_header(source, problems)
    if header is None:
        raise CatalogError(
            _("The catalog in {path} has {count} problem(s).").format(
                path=path, count=len(problems)
            ),
            problems,
        )
    return int(header["version"])


def check_catalog_dir(path: str | Path) -> tuple[Catalog | None, list[DefinitionError]]:
    """Load the catalog directory ``path``; return it (None on failure) and all problems."""
    root = Path(path)
    problems: list[DefinitionError] = []
    header = _read_header(root / HEADER_FILE, problems)
    matters = _read_matters(root / MATTERS_DIR, problems)
    calendars = _read_calendars(root / CALENDAR_DIR, problems)
    if problems or header is None:
        return None, problems
    return make_catalog(header, matters, calendars), []


def make_catalog(
    header: Mapping[str, Any],
    matters: Mapping[str, Matter],
    calendar_years: Mapping[int, Mapping[str, Any]],
) -> Catalog:
    """A catalog from a checked header, matters and checked calendar years."""
    return Catalog(
        id=header["id"],
        version=header["version"],
        title=header["title"],
        published=datetime.date.fromisoformat(header["published"]),
        matters=dict(sorted(matters.items())),
        calendar_years=dict(sorted(calendar_years.items())),
        format=header["format"],
        header=header,
    )


def check_header(data: Any, *, source: str) -> tuple[dict[str, Any] | None, list[DefinitionError]]:
    """The plain catalog header and its problems (schema, and a real publication date)."""
    plain = plain_data(data)
    problems = schema.problems(schema.CATALOG, plain, file=source)
    if not problems:
        try:
            datetime.date.fromisoformat(plain["published"])
        except ValueError:
            problems.append(
                DefinitionError(_("published: not a real date."), file=source)
            )
    return (None if problems else plain), problems


def check_calendar(
    data: Any, *, source: str, year: int
) -> tuple[dict[str, Any] | None, list[DefinitionError]]:
    """The plain data of calendar ``year`` (which the data must name), checked by the
    working-day calendar."""
    plain = plain_data(data)
    try:
        WorkCalendar({year: plain})
    except CalendarError as error:
        return None, [DefinitionError(str(error), file=source)]
    return plain, []


def check_matters(
    matters: Mapping[str, Any], *, source: str
) -> tuple[dict[str, Matter], list[DefinitionError]]:
    """Build matters from plain data keyed by code; the key must be the matter's code."""
    built: dict[str, Matter] = {}
    problems: list[DefinitionError] = []
    for code, data in matters.items():
        where = f"{source}:{code}"
        matter, found = check_matter(data, source=where)
        problems.extend(found)
        if matter is not None and matter.code != code:
            problems.append(
                DefinitionError(_("Listed under another code."), file=where, matter=matter.code)
            )
        elif matter is not None:
            built[code] = matter
    return built, problems


def _read_header(path: Path, problems: list[DefinitionError]) -> dict[str, Any] | None:
    try:
        data = read_yaml(path)
    except DefinitionError as error:
        problems.append(error)
        return None
    header, found = check_header(data, source=str(path))
    problems.extend(found)
    return header


def _read_matters(folder: Path, problems: list[DefinitionError]) -> dict[str, Matter]:
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        problems.append(
            DefinitionError(_("No matter files (matters/<code>.yaml)."), file=str(folder))
        )
    matters: dict[str, Matter] = {}
    for file in files:
        matter, found = check_matter_file(file)
        problems.extend(found)
        if matter is not None:
            matters[matter.code] = matter
    return matters


def _read_calendars(folder: Path, problems: list[DefinitionError]) -> dict[int, dict[str, Any]]:
    years: dict[int, dict[str, Any]] = {}
    for file in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        if not file.stem.isdigit():
            problems.append(
                DefinitionError(_("A calendar file is named after its year."), file=str(file))
            )
            continue
        try:
            data = read_yaml(file)
        except DefinitionError as error:
            problems.append(error)
            continue
        plain, found = check_calendar(data, source=str(file), year=int(file.stem))
        problems.extend(found)
        if plain is not None:
            years[int(file.stem)] = plain
    return years


class CatalogHistory:
    """Several versions of one catalog; old versions stay reachable for old cases."""

    def __init__(self, catalogs: Iterable[Catalog] = ()) -> None:
        self._versions: dict[int, Catalog] = {}
        for catalog in catalogs:
            self.add(catalog)

    def add(self, catalog: Catalog) -> None:
        """Keep ``catalog``. Adding an identical version again changes nothing.

        Raises CatalogError for another catalog id, or for a known version number with
        different contents.
        """
        if self._versions:
            known_id = self.latest.id
            if catalog.id != known_id:
                raise CatalogError(
                    _("Catalog {id} cannot join the history of catalog {known}.").format(
                        id=catalog.id, known=known_id
                    )
                )
        existing = self._versions.get(catalog.version)
        if existing is not None and _content(existing) != _content(catalog):
            raise CatalogError(
                _("Catalog {id} version {version} is already known with other contents.")
                .format(id=catalog.id, version=catalog.version)
            )
        self._versions[catalog.version] = catalog

    @property
    def latest(self) -> Catalog:
        """The highest version; raises CatalogError when the history is empty."""
        if not self._versions:
            raise CatalogError(_("No catalog has been loaded."))
        return self._versions[max(self._versions)]

    def versions(self) -> tuple[int, ...]:
        """The known version numbers, ascending."""
        return tuple(sorted(self._versions))

    def catalog(self, version: int | None = None) -> Catalog:
        """The catalog ``version`` (the latest when None); raises CatalogError if unknown."""
        if version is None:
            return self.latest
        try:
            return self._versions[version]
        except KeyError:
            raise CatalogError(
                _("Catalog version {version} is not available.").format(version=version)
            ) from None

    def matter(self, code: str, version: int | None = None) -> Matter:
        """The matter ``code`` as defined in ``version`` (latest when None).

        Raises CatalogError when that version or that matter is unknown.
        """
        return self.catalog(version).matter(code)


def _content(catalog: Catalog) -> tuple[Any, ...]:
    return (
        dict(catalog.header),
        {code: matter.data for code, matter in catalog.matters.items()},
        dict(catalog.calendar_years),
    )


def summary(catalog: Catalog) -> dict[str, Any]:
    """Counts describing a catalog: matters per category, fields, materials, years."""
    matters = list(catalog.matters.values())
    materials = [material for matter in matters for material in matter.materials]
    return {
        "matters": len(matters),
        "categories": dict(sorted(Counter(matter.category for matter in matters).items())),
        "fields": sum(len(list(matter.all_fields())) for matter in matters),
        "materials": len(materials),
        "deferrable": sum(1 for material in materials if material.deferrable),
        "calendar_years": list(catalog.calendar_years),
    }


@dataclass(frozen=True)
class CatalogChanges:
    """What version ``version`` changed against the version installed before it."""

    version: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    withdrawn: tuple[str, ...]
    calendar_years: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "added": list(self.added),
                "changed": list(self.changed), "withdrawn": list(self.withdrawn),
                "calendar_years": list(self.calendar_years)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogChanges:
        return cls(data["version"], tuple(data["added"]), tuple(data["changed"]),
                   tuple(data["withdrawn"]), tuple(data["calendar_years"]))

    def text(self) -> str:
        """The change in plain words for the agent."""
        parts = [_("Catalog version {version} installed.").format(version=self.version)]
        for label, codes in ((_("Matters added: {codes}."), self.added),
                             (_("Matters changed: {codes}."), self.changed),
                             (_("Matters withdrawn: {codes}."), self.withdrawn)):
            if codes:
                parts.append(label.format(codes="、".join(codes)))
        if self.calendar_years:
            parts.append(_("Holiday calendar for: {years}.").format(
                years="、".join(str(year) for year in self.calendar_years)))
        return " ".join(parts)


def compare(old: Catalog, new: Catalog) -> CatalogChanges:
    """What ``new`` adds, changes and withdraws against ``old``, and its new or changed
    calendar years."""
    before, after = old.matters, new.matters
    return CatalogChanges(
        new.version,
        tuple(code for code in after if code not in before),
        tuple(code for code in after if code in before and after[code].data != before[code].data),
        tuple(code for code in before if code not in after),
        tuple(year for year, data in new.calendar_years.items()
              if old.calendar_years.get(year) != data),
    )
