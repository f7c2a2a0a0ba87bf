"""The materials step of a draft: what it needs, its pages, imports and deferrals.

No Tk here: pytest drives the whole step without a display. The presenter holds the chosen
material and page; page commands act on them and the view renders :meth:`pages` again.
Importing and thumbnails are slow and run on the worker; everything else is quick.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import forms
from forms.model import Matter
from station.errors import StationError
from station.i18n import _
from station.images import thumbnail
from station.importer import ImportProgress, ImportReport, import_pages
from station.maintenance import WORK_DIR
from station.models import Case, DeferredMaterial, MaterialFile, MaterialRequirement
from station.printing.display import copies, day, material_form
from station.scanfolder import ScanArrived, ScanKey
from station.supplements import ChecklistEntry, checklist
from station.printing.notice import township_remarks
from station.session import Session

# Width and height a page's thumbnail fits in (A4 portrait proportions).
THUMBNAIL_SIZE = (112, 158)


class ChooseFirstError(StationError):
    """A command needs a material or a page that is not chosen."""


class DateFormatError(StationError):
    def __init__(self) -> None:
        super().__init__(_("Type the date as YYYY-MM-DD."))


@dataclass(frozen=True)
class RequirementRow:
    code: str
    name: str
    form: str
    pages: int
    deferrable: bool
    deferred_until: date | None
    needed: bool
    township: str = ""

    @property
    def deferred_text(self) -> str:
        return day(self.deferred_until) if self.deferred_until else ""


@dataclass(frozen=True)
class PageRow:
    """One page of the chosen material; ``number`` counts from 1 in the material's order."""

    uuid: str
    number: int
    rotation: int

    @property
    def label(self) -> str:
        return _("Page {n}").format(n=self.number)


@dataclass(frozen=True)
class ScanRow:
    """A complete file in the drop folder, as the scans list shows it."""

    name: str
    size: str


class MaterialsPresenter:
    """State and commands of the materials step; :meth:`open` binds it to a draft."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._case_uuid: str | None = None
        self._matter: Matter | None = None
        self.material: str | None = None
        self.page: str | None = None
        self.arrived: dict[str, ScanArrived] = {}
        self._cancel = threading.Event()

    def open(self, case_uuid: str, matter: Matter) -> None:
        """Work on this draft from now on (nothing chosen)."""
        self._case_uuid, self._matter = case_uuid, matter
        self.material = self.page = None

    # --- materials ----------------------------------------------------------------------

    def requirements(self) -> list[RequirementRow]:
        """Each material with its pages and deferral, and whether the answers need it."""
        case = self._case()
        evaluation = forms.evaluate(self._require_matter(), case.answers, overrides=case.overrides)
        needed = {material.code for material in evaluation.materials}
        points = _points_by_material(checklist(case))
        query = case.requirements.order_by(MaterialRequirement.position)
        return [_requirement_row(requirement, needed, points.get(requirement.code, []))
                for requirement in query]

    def township_notes(self) -> list[str]:
        """For a returned case: the township's reason and its points that name no material
        of this case, as lines above the checklist ([] otherwise). Points naming a material
        show in that material's row."""
        case = self._case()
        reason = township_remarks(case)
        notes = [_("Returned by the township: {reason}").format(reason=reason)] if reason else []
        known = {requirement.code for requirement in case.requirements}
        notes += [_point_text(entry, with_name=True) for entry in checklist(case)
                  if entry.requirement_code not in known]
        return notes

    def choose(self, code: str | None) -> None:
        """Make ``code`` the chosen material; its first page is chosen unless it stays."""
        if code != self.material:
            self.material, self.page = code, None
        pages = self.pages()
        if self.page not in {page.uuid for page in pages}:
            self.page = pages[0].uuid if pages else None

    def chosen_material(self) -> str:
        """The chosen material's code. Raises ChooseFirstError."""
        if self.material is None:
            raise ChooseFirstError(_("Choose a material in the list first."))
        return self.material

    def chosen_name(self) -> str:
        """The chosen material's name ("" when none is chosen)."""
        if self.material is None:
            return ""
        return _requirement(self._case(), self.material).name

    def defer(self, typed: str) -> None:
        """Accept the chosen material missing until the typed date (YYYY-MM-DD).

        Raises ChooseFirstError, DateFormatError and the service's MaterialError.
        """
        code = self.chosen_material()
        try:
            promised = date.fromisoformat(typed.strip())
        except ValueError:
            raise DateFormatError() from None
        self._session.materials.defer(self._require_case(), code, promised)

    def cancel_deferral(self) -> None:
        """Take back the chosen material's deferral. Raises ChooseFirstError."""
        self._session.materials.cancel_deferral(self._require_case(), self.chosen_material())

    # --- pages --------------------------------------------------------------------------

    def pages(self) -> list[PageRow]:
        """The chosen material's stored pages in their order ([] when none is chosen)."""
        if self.material is None:
            return []
        requirement = _requirement(self._case(), self.material)
        query = (requirement.pages.where(MaterialFile.blob_name.is_null(False))
                 .order_by(MaterialFile.position))
        return [PageRow(page.uuid, number, page.rotation)
                for number, page in enumerate(query, start=1)]

    def select_page(self, page_uuid: str) -> None:
        self.page = page_uuid

    def step(self, offset: int) -> None:
        """Choose the page ``offset`` places away, stopping at the first and the last."""
        uuids = [page.uuid for page in self.pages()]
        if not uuids:
            return
        index = uuids.index(self.page) + offset if self.page in uuids else 0
        self.page = uuids[max(0, min(index, len(uuids) - 1))]

    def rotate(self, clockwise: bool = True) -> None:
        """Turn the chosen page a quarter. Raises ChooseFirstError and the service's errors."""
        self._session.materials.rotate_page(self._require_page(), 1 if clockwise else -1)

    def move(self, offset: int) -> None:
        """Move the chosen page ``offset`` places (negative: earlier), within the material."""
        page = self._require_page()
        uuids = [row.uuid for row in self.pages()]
        index = uuids.index(page)
        target = max(0, min(index + offset, len(uuids) - 1))
        if target == index:
            return
        uuids.insert(target, uuids.pop(index))
        self._session.materials.reorder_pages(self._require_case(), self.material, uuids)

    def delete_question(self) -> str:
        """The confirmation to show before :meth:`delete`: it names the page by number."""
        page_uuid = self._require_page()
        number = next(row.number for row in self.pages() if row.uuid == page_uuid)
        return _("Delete page {n} of “{material}”? This cannot be undone.").format(
            n=number, material=self.chosen_name())

    def delete(self) -> None:
        """Delete the chosen page; the page after it (or the new last one) is chosen."""
        page_uuid = self._require_page()
        uuids = [row.uuid for row in self.pages()]
        index = uuids.index(page_uuid)
        self._session.materials.remove_page(page_uuid)
        uuids.remove(page_uuid)
        self.page = uuids[min(index, len(uuids) - 1)] if uuids else None

    def thumbnail(self, page: PageRow, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
        """A PNG of the page as it is turned (slow: decrypts and renders; runs on the worker).

        Raises the blob store's integrity errors and the scan errors.
        """
        data = b"".join(self._session.materials.read_page(page.uuid))
        return thumbnail(data, size, rotation=page.rotation)

    # --- importing ----------------------------------------------------------------------

    def begin_import(self) -> None:
        """Clear an earlier cancel; call on the UI thread before the import job starts."""
        self._cancel.clear()

    def cancel_import(self) -> None:
        """Stop the running import before its next file; it then adds nothing."""
        self._cancel.set()

    def import_files(
        self,
        code: str,
        paths: Sequence[Path],
        progress: Callable[[ImportProgress], None] | None = None,
    ) -> ImportReport:
        """Prepare files and add the good ones as pages of ``code`` (slow: on the worker).

        Plain working copies live in the data directory's ``work`` folder and are removed
        when the import ends. Raises what ``import_pages`` raises; then nothing was added.
        """
        return import_pages(self._session.materials, self._require_case(), code, paths,
                            progress=progress, cancel=self._cancel,
                            work_dir=self._session.paths.root / WORK_DIR)

    def scan_arrived(self, event: ScanArrived) -> ScanRow:
        """Remember a complete file from the drop folder; what the scans list shows."""
        self.arrived[event.path.name] = event
        return ScanRow(event.path.name, f"{event.key.size / 1e6:.1f} MB")

    def scan_paths(self, names: Sequence[str]) -> list[Path]:
        return [self.arrived[name].path for name in names]

    def scans_imported(self, names: Sequence[str], report: ImportReport) -> list[ScanKey]:
        """Forget the scans that became pages (by their index in ``names``); their keys."""
        done = [names[page.index] for page in report.pages]
        return [self.arrived.pop(name).key for name in done]

    # --- helpers ------------------------------------------------------------------------

    def _case(self) -> Case:
        return Case.get(Case.uuid == self._require_case())

    def _require_case(self) -> str:
        if self._case_uuid is None:
            raise RuntimeError("no draft yet")
        return self._case_uuid

    def _require_matter(self) -> Matter:
        if self._matter is None:
            raise RuntimeError("no draft yet")
        return self._matter

    def _require_page(self) -> str:
        self.chosen_material()
        if self.page is None:
            raise ChooseFirstError(_("Choose a page first."))
        return self.page


def _requirement(case: Case, code: str) -> MaterialRequirement:
    return case.requirements.where(MaterialRequirement.code == code).get()


def _requirement_row(requirement: MaterialRequirement, needed: set[str],
                     points: list[ChecklistEntry]) -> RequirementRow:
    pages = requirement.pages.where(MaterialFile.blob_name.is_null(False)).count()
    deferral = requirement.deferrals.where(DeferredMaterial.fulfilled_at.is_null()).first()
    return RequirementRow(
        requirement.code, requirement.name,
        f"{material_form(requirement.form)} · {copies(requirement.copies)}",
        pages, requirement.deferrable,
        deferral.promised_date if deferral else None, requirement.code in needed,
        "；".join(_point_text(entry) for entry in points),
    )


def _points_by_material(entries: list[ChecklistEntry]) -> dict[str, list[ChecklistEntry]]:
    found: dict[str, list[ChecklistEntry]] = {}
    for entry in entries:
        if entry.requirement_code is not None:
            found.setdefault(entry.requirement_code, []).append(entry)
    return found


def _point_text(entry: ChecklistEntry, with_name: bool = False) -> str:
    """A township point with its reason, marked done (pages added or settled) or to do."""
    mark = "✓" if entry.pages_added or entry.resolved else "✗"
    text = f"{entry.name}：{entry.reason}" if with_name else entry.reason
    return f"{mark} {text}"
