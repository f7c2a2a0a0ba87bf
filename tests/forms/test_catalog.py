"""Catalog directories and the history of catalog versions."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

import forms
from forms.calendar import WorkCalendar
from forms.catalog import (
    Catalog,
    CatalogChanges,
    CatalogHistory,
    catalog_dir_version,
    check_catalog_dir,
    compare,
    load_catalog_dir,
    summary,
)
from forms.errors import CatalogError
from tests.forms.sample import TINY_CATALOG, VALID_ID, field, matter_data, write_catalog, write_yaml


def test_tiny_catalog_loads() -> None:
    catalog = load_catalog_dir(TINY_CATALOG)
    assert (catalog.id, catalog.version, catalog.published) == (
        "tiny-county",
        1,
        datetime.date(2026, 11, 1),
    )
    assert list(catalog.matters) == ["FL-GLJT-001", "SJ-DBSQ-001", "YB-CBDJ-001"]
    assert [category for category in catalog.by_category()] == ["医疗保障", "社会救助", "社会福利"]
    assert catalog.matter("SJ-DBSQ-001").short_name == "低保申请"


def test_calendar_years_are_plain_data_the_work_calendar_takes() -> None:
    catalog = load_catalog_dir(TINY_CATALOG)
    year = catalog.calendar_years[2027]
    assert year["holidays"] == ["2027-01-01", "2027-01-02", "2027-01-03"]
    calendar = WorkCalendar(catalog.calendar_years)
    assert not calendar.is_working_day(datetime.date(2027, 1, 1))
    assert calendar.years == (2027,)


def test_summary_counts() -> None:
    counts = summary(load_catalog_dir(TINY_CATALOG))
    assert counts == {
        "matters": 3,
        "categories": {"医疗保障": 1, "社会救助": 1, "社会福利": 1},
        "fields": 16,
        "materials": 7,
        "deferrable": 4,
        "calendar_years": [2027],
    }


def test_unknown_matter_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="has no matter NOPE-001"):
        load_catalog_dir(TINY_CATALOG).matter("NOPE-001")


def test_every_problem_is_listed_with_its_file(tmp_path: Path) -> None:
    root = write_catalog(
        tmp_path,
        [
            matter_data([field("a", relevant="nope")], code="AA-001"),
            matter_data(code="BB-001", category="火星事务"),
            matter_data(code="CC-001"),
        ],
    )
    write_yaml(
        root / "calendar" / "2027.yaml",
        {"year": 2027, "source": "通知", "holidays": [], "workdays": ["2027-01-04"]},
    )
    write_yaml(root / "calendar" / "next.yaml", {"year": 2028})
    with pytest.raises(CatalogError) as caught:
        load_catalog_dir(root)
    problems = caught.value.problems
    assert [Path(p.file or "").name for p in problems] == [
        "AA-001.yaml",
        "BB-001.yaml",
        "2027.yaml",
        "next.yaml",
    ]
    assert "4 problem(s)" in str(caught.value)
    assert "not a weekend day" in str(caught.value)


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (None, "Cannot read the file"),
        (
            {"format": 1, "id": "x", "title": "t", "version": 0, "published": "2026-11-01"},
            "version: Must be at least 1",
        ),
        (
            {"format": 1, "id": "x", "title": "t", "version": 1, "published": "2026-02-30"},
            "not a real date",
        ),
        ({"format": 1, "id": "X Y", "title": "t", "version": 1, "published": "2026-11-01"}, "id:"),
    ],
)
def test_bad_header(tmp_path: Path, header: dict | None, fragment: str) -> None:
    root = write_catalog(tmp_path, [matter_data()])
    if header is None:
        (root / "catalog.yaml").unlink()
    else:
        write_yaml(root / "catalog.yaml", header)
    catalog, problems = check_catalog_dir(root)
    assert catalog is None
    assert any(fragment in str(problem) for problem in problems), problems
    with pytest.raises(CatalogError) as caught:
        catalog_dir_version(root)
    assert any(fragment in str(problem) for problem in caught.value.problems)


def test_the_version_is_read_from_the_header_alone(tmp_path: Path) -> None:
    root = write_catalog(tmp_path, [matter_data()], version=7)
    assert catalog_dir_version(root) == load_catalog_dir(root).version == 7
    write_yaml(root / "matters" / "broken.yaml", {"code": "not a matter"})
    with pytest.raises(CatalogError):
        load_catalog_dir(root)
    assert catalog_dir_version(root) == 7


def test_a_catalog_needs_matters(tmp_path: Path) -> None:
    root = write_catalog(tmp_path, [])
    _catalog, problems = check_catalog_dir(root)
    assert any("No matter files" in str(problem) for problem in problems)


def _version(tmp_path: Path, version: int, matters: list[dict]) -> Catalog:
    return load_catalog_dir(write_catalog(tmp_path / f"v{version}", matters, version=version))


@pytest.fixture
def history(tmp_path: Path) -> CatalogHistory:
    old_form = [field("applicant_id", "id_number", required=True)]
    new_form = [*old_form, field("bank_account", "text", required=True)]
    first = _version(
        tmp_path, 1, [matter_data(old_form, code="AA-001"), matter_data(code="GONE-001")]
    )
    second = _version(tmp_path, 2, [matter_data(new_form, code="AA-001")])
    return CatalogHistory([second, first])


def test_history_resolves_a_matter_in_the_version_a_case_started_on(
    history: CatalogHistory,
) -> None:
    assert history.versions() == (1, 2)
    assert history.latest.version == 2
    old = history.matter("AA-001", 1)
    new = history.matter("AA-001")
    assert [f.id for f in old.fields] == ["applicant_id"]
    assert [f.id for f in new.fields] == ["applicant_id", "bank_account"]
    draft = {"applicant_id": VALID_ID}
    assert forms.evaluate(old, draft).ok
    assert not forms.evaluate(new, draft).ok


def test_a_matter_removed_later_still_opens_in_its_old_version(history: CatalogHistory) -> None:
    assert history.matter("GONE-001", 1).code == "GONE-001"
    with pytest.raises(CatalogError, match="has no matter GONE-001"):
        history.matter("GONE-001")


def test_unknown_version_is_a_catalog_error(history: CatalogHistory) -> None:
    with pytest.raises(CatalogError, match="version 7 is not available"):
        history.matter("AA-001", 7)


def test_adding_the_same_version_again_is_harmless(tmp_path: Path, history: CatalogHistory) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "v2", copy)
    history.add(load_catalog_dir(copy))
    assert history.versions() == (1, 2)


def test_same_version_with_other_contents_is_refused(
    tmp_path: Path, history: CatalogHistory
) -> None:
    changed = _version(tmp_path / "x", 2, [matter_data(code="AA-001", name="另一个名称")])
    with pytest.raises(CatalogError, match="already known with other contents"):
        history.add(changed)


def test_another_catalog_cannot_join(tmp_path: Path, history: CatalogHistory) -> None:
    with pytest.raises(CatalogError, match="cannot join"):
        history.add(load_catalog_dir(TINY_CATALOG))


def test_empty_history_has_no_latest() -> None:
    with pytest.raises(CatalogError, match="No catalog"):
        _ = CatalogHistory().latest


def test_compare_lists_matters_added_changed_and_withdrawn_and_new_years(
    history: CatalogHistory,
) -> None:
    old, new = history.catalog(1), history.catalog(2)
    with_year = Catalog(**{**new.__dict__, "calendar_years": {2027: {"year": 2027}}})
    assert compare(old, with_year) == CatalogChanges(2, (), ("AA-001",), ("GONE-001",), (2027,))
    assert compare(new, new) == CatalogChanges(2, (), (), (), ())
    assert compare(new, old) == CatalogChanges(1, ("GONE-001",), ("AA-001",), (), ())


@pytest.mark.parametrize(
    "change",
    [CatalogChanges(3, ("A-1",), ("B-2", "C-3"), (), (2027, 2028)),
     CatalogChanges(1, (), (), ("Z-9",), ())],
)
def test_changes_survive_json(change: CatalogChanges) -> None:
    assert CatalogChanges.from_json(change.to_json()) == change
    assert f"version {change.version}" in change.text()
