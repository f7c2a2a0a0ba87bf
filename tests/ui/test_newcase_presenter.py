"""The new-case flow without a display, on the bundled catalog and a real store."""

from __future__ import annotations

from datetime import date

import pytest

from assets import ROOT
from forms.catalog import load_catalog_dir
from forms.search import CatalogIndex
from station.applicants import ApplicantInput
from station.cases import SubmissionIncompleteError
from station.demo import demo_id_number
from station.lifecycle import CaseState
from station.ui.presenters.newcase import NewCasePresenter, guide_text, id_feedback

ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog_dir(ROOT / "catalog")


@pytest.fixture(scope="module")
def index(catalog):
    return CatalogIndex(catalog.matters.values())


@pytest.fixture
def flow(session, catalog, index):
    return NewCasePresenter(session, catalog, index)


def test_matter_search_by_pinyin_initials_and_code(flow) -> None:
    # 医疗保险 and 养老保险 share the initials ylbx: both come first.
    assert "城乡居民基本医疗保险参保登记" in [hit.name for hit in flow.search_matters("ylbx")[:5]]
    assert flow.search_matters("YB-CBDJ")[0].code == "YB-CBDJ-001"
    assert len(flow.search_matters("")) == len(flow.catalog.matters)


def test_every_guide_renders(catalog) -> None:
    for matter in catalog.matters.values():
        text = guide_text(matter)
        assert matter.name in text and matter.materials[0].name in text


@pytest.mark.parametrize(
    "text, ok, shown",
    [
        (ID_NUMBER.lower(), True, "1949年12月31日"),
        ("11010519491231002", False, "18"),
        ("110105194912310021", False, ""),
        ("", False, ""),
    ],
)
def test_id_feedback(text: str, ok: bool, shown: str) -> None:
    valid, message = id_feedback(text, date(2026, 11, 23))
    assert valid is ok and shown in message
    if valid:
        assert "76" in message
    assert ID_NUMBER not in message


def test_whole_flow_to_submission(flow, session, tmp_path, clock) -> None:
    from PIL import Image

    scan = tmp_path / "scan.jpg"
    Image.new("RGB", (800, 1100), "white").save(scan)
    flow.choose_matter("FL-GLJT-001")
    case = flow.start(ApplicantInput(name="张秀英", id_number=demo_id_number("19440312", "022"),
                                     phone="13903720001"))
    assert case.state == CaseState.DRAFT
    assert case.answers["applicant_name"] == "张秀英"
    assert flow.find_applicants("张秀")[0].id_number.startswith("410522")
    materials = flow.materials
    rows = materials.requirements()
    assert rows and all(row.pages == 0 for row in rows)
    with pytest.raises(SubmissionIncompleteError):
        flow.submit()
    assert flow.problems()
    answers = dict(case.answers)
    flow.save_answers(answers, {})
    for row in materials.requirements():
        materials.choose(row.code)
        if row.needed and row.deferrable:
            materials.defer("2026-12-10")
        elif row.needed:
            report = materials.import_files(row.code, [scan, tmp_path / "missing.jpg"])
            assert len(report.pages) == 1 and len(report.problems) == 1
    remaining = flow.problems()
    assert all("Material missing" not in p and "缺少材料" not in p for p in remaining)


def test_resume_a_draft(flow, session, catalog, index) -> None:
    flow.choose_matter("YB-CBDJ-001")
    case = flow.start(ApplicantInput(name="李建国"))
    again = NewCasePresenter(session, catalog, index)
    assert again.resume(case.uuid).uuid == case.uuid
    assert again.matter.code == "YB-CBDJ-001"
