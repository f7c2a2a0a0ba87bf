"""Catalog releases in the console: the list for everyone, publishing an uploaded catalog
zip for administrators (stored, announced to every enrolled station, audited, confirmed
with its changes), every refusal publishing nothing, and a case filed on the new version
laid out by its new matter's form without a restart."""

from __future__ import annotations

import io
import json
import logging
import re
import stat
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from forms.catalog import load_catalog_dir
from forms.release import build_release
from sync.township.catalogs import CatalogReleases
from sync.township.console.catalog_upload import CatalogUploadError, UploadLimits, unpacked
from sync.township.console.catalogs import CatalogLibrary
from sync.township.models import AuditEntry, CatalogRelease, Event, Station
from sync.township.service import Township
from tests.console.seed import ConsoleClient, PageFile, Seeded, case_content, case_id, png
from tests.console.seed import material, submit
from tests.sync.test_catalog_releases import CHANGED, WITHDRAWN
from tests.sync.test_catalog_releases import catalog_dir as changed_catalog_dir



def catalog_dir(root: Path, version: int) -> Path:
    """The bundled catalog as ``version`` (TEST-BZ-001 added, one matter renamed, one
    withdrawn, the 2027 holiday calendar added), in a folder of its own."""
    return changed_catalog_dir(root / uuid.uuid4().hex[:6], version, calendar=True)


def zip_of(folder: Path, top: str | None = None,
           extra: Callable[[zipfile.ZipFile], None] | None = None) -> bytes:
    """The catalog in ``folder`` zipped at the root (or inside ``top``), plus ``extra``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            archive.write(path, f"{top}/{name}" if top else name)
        if extra is not None:
            extra(archive)
    return buffer.getvalue()


def upload(client: ConsoleClient, data: bytes, **options: object):
    return client.post("/console/catalogs",
                       files={"catalog": ("catalog.zip", data, "application/zip")}, **options)


def latest() -> int:
    return CatalogRelease.select(CatalogRelease.version) \
        .order_by(CatalogRelease.version.desc()).scalar() or 0


def enrolled() -> list[str]:
    query = Station.select(Station.id).where(Station.enrolled_at.is_null(False),
                                             Station.revoked_at.is_null())
    return [row.id for row in query]


@pytest.fixture
def valid_zip(tmp_path: Path) -> Callable[[], tuple[int, bytes]]:
    """A valid catalog zip one version above the latest published."""

    def build() -> tuple[int, bytes]:
        version = max(latest(), 1) + 1
        return version, zip_of(catalog_dir(tmp_path, version))

    return build


def test_an_admin_publishes_a_zip_and_sees_what_changed(admin: ConsoleClient,
                                                        tmp_path: Path) -> None:
    previous = latest()
    version = max(previous, 1) + 1
    answer = upload(admin, zip_of(catalog_dir(tmp_path, version), top="county-catalog"))
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"] == f"/console/catalogs?published={version}"
    stored = CatalogRelease.get(CatalogRelease.version == version)
    assert json.loads(stored.summary)["calendar_years"] == [2027]
    for station in enrolled():
        payloads = [json.loads(event.payload) for event in Event.select().where(
            Event.station == station, Event.kind == "catalog")]
        assert version in [payload["version"] for payload in payloads], station
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "catalog_publish", "catalog", str(version))
    page = admin.get(answer.headers["location"]).text
    assert f'id="release-{version}"' in page
    added = page.split('id="catalog-added"')[1].split("</li>")[0]
    changed = page.split('id="catalog-changed"')[1].split("</li>")[0]
    withdrawn = page.split('id="catalog-withdrawn"')[1].split("</li>")[0]
    assert "TEST-BZ-001" in added and "测试补助申请" in added
    assert CHANGED in changed and "高龄津贴申请（新）" in changed
    assert WITHDRAWN in withdrawn
    assert "2027" in page.split('id="catalog-years"')[1].split("</li>")[0]
    assert f"Stations run catalog version {version}." in page
    assert ("Changes against the bundled catalog (version 1):" if previous == 0
            else f"Changes against version {previous}:") in page


def test_a_reviewer_sees_the_list_but_cannot_publish(reviewer: ConsoleClient,
                                                     valid_zip) -> None:
    page = reviewer.get("/console/catalogs")
    assert page.status_code == 200
    assert 'id="catalog-running"' in page.text and 'id="nav-catalogs"' in page.text
    assert 'id="catalog-publish-form"' not in page.text
    before = latest()
    _version, data = valid_zip()
    assert upload(reviewer, data).status_code == 403
    assert latest() == before


@pytest.mark.parametrize("csrf", ["", "forged-token"])
def test_a_publication_without_the_sessions_csrf_token_is_refused(
        admin: ConsoleClient, valid_zip, csrf: str) -> None:
    before = latest()
    _version, data = valid_zip()
    assert upload(admin, data, csrf=csrf).status_code == 403
    assert latest() == before


def test_an_invalid_catalog_lists_every_problem(admin: ConsoleClient, tmp_path: Path) -> None:
    folder = catalog_dir(tmp_path, max(latest(), 1) + 1)
    (folder / "matters" / "BAD-001.yaml").write_text("code: BAD-001\nname: [\n", "utf-8")
    broken = folder / "matters" / f"{CHANGED}.yaml"
    broken.write_text(broken.read_text("utf-8").replace("category:", "kategorie:"), "utf-8")
    before = CatalogRelease.select().count()
    answer = upload(admin, zip_of(folder))
    assert answer.status_code == 422
    problems = answer.text.split('id="catalog-problems"')[1].split("</ul>")[0]
    assert "matters/BAD-001.yaml" in problems and f"matters/{CHANGED}.yaml" in problems
    assert str(tmp_path) not in answer.text and "township-catalog-" not in answer.text
    assert CatalogRelease.select().count() == before


def test_a_version_not_above_the_latest_is_refused(admin: ConsoleClient, valid_zip,
                                                   tmp_path: Path) -> None:
    while CatalogRelease.select().count() < 2:
        assert upload(admin, valid_zip()[1]).status_code == 303
    current = latest()
    before = CatalogRelease.select().count()
    answer = upload(admin, zip_of(catalog_dir(tmp_path, current)))
    assert answer.status_code == 409
    assert f"must be above {current}" in answer.text
    assert CatalogRelease.select().count() == before
    shown = re.findall(r'<tr id="release-([0-9]+)">', answer.text)
    assert shown == sorted(shown, key=int, reverse=True) and shown[0] == str(current)


def _member(name: str, data: bytes = b"x", mode: int = 0) -> Callable[[zipfile.ZipFile], None]:
    def add(archive: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)

    return add


def _many(archive: zipfile.ZipFile) -> None:
    for number in range(UploadLimits().members):
        archive.writestr(f"matters/M-{number}.yaml", b"")


UNSAFE = {
    "traversal": (_member("../x.yaml"), "does not belong"),
    "traversal inside": (_member("matters/../../x.yaml"), "does not belong"),
    "absolute path": (_member("/etc/cron.d/x"), "does not belong"),
    "backslash": (_member("matters\\..\\x.yaml"), "does not belong"),
    "outside the layout": (_member("run.sh"), "does not belong"),
    "nested folder": (_member("matters/deep/X-001.yaml"), "does not belong"),
    "symlink": (_member("matters/link.yaml", b"/etc/passwd", stat.S_IFLNK | 0o777),
                "link or a special file"),
    "too many members": (_many, "more than 2000 entries"),
    "too large uncompressed": (_member("calendar/2099.yaml", bytes(UploadLimits().uncompressed + 1)),
                               "more than 64 MB"),
}


@pytest.mark.parametrize("extra, message", UNSAFE.values(), ids=UNSAFE.keys())
def test_an_unsafe_zip_is_refused_and_publishes_nothing(
        admin: ConsoleClient, tmp_path: Path, extra, message: str) -> None:
    folder = catalog_dir(tmp_path, max(latest(), 1) + 1)
    before = CatalogRelease.select().count()
    answer = upload(admin, zip_of(folder, extra=extra))
    assert answer.status_code == 422
    assert message in answer.text.split('id="catalog-error"')[1].split("</div>")[0]
    assert CatalogRelease.select().count() == before


@pytest.mark.parametrize("data, message", [
    (b"not a zip at all", "not a zip archive"),
    (b"PK\x03\x04" + bytes(200), "not a zip archive"),
])
def test_a_file_that_is_not_a_zip_is_refused(admin: ConsoleClient, data: bytes,
                                             message: str) -> None:
    answer = upload(admin, data)
    assert answer.status_code == 422 and message in answer.text


def test_a_zip_without_one_catalog_root_is_refused(tmp_path: Path) -> None:
    folder = catalog_dir(tmp_path, 9)
    two_tops = zip_of(folder, top="one", extra=_member("two/catalog.yaml"))
    with pytest.raises(CatalogUploadError, match="no catalog.yaml"):
        with unpacked(io.BytesIO(two_tops)):
            pass


def test_the_unpacked_catalog_is_the_zips_and_is_removed_afterwards(tmp_path: Path) -> None:
    folder = catalog_dir(tmp_path, 9)
    (folder / "README.md").write_text("说明", "utf-8")
    with unpacked(io.BytesIO(zip_of(folder, top="top"))) as found:
        names = sorted(path.relative_to(found).as_posix() for path in found.rglob("*.*"))
        assert names == sorted(path.relative_to(folder).as_posix()
                               for path in folder.rglob("*.*"))
    assert not found.exists()


@pytest.mark.parametrize("limits", [UploadLimits(compressed=1024),
                                    UploadLimits(uncompressed=1024), UploadLimits(members=3)])
def test_the_limits_apply(tmp_path: Path, limits: UploadLimits) -> None:
    with pytest.raises(CatalogUploadError):
        with unpacked(io.BytesIO(zip_of(catalog_dir(tmp_path, 9))), limits):
            pass


def test_a_case_on_the_new_version_is_laid_out_by_its_new_matter(
        seeded: Seeded, admin: ConsoleClient, valid_zip) -> None:
    version, data = valid_zip()
    station = seeded.stations["a"]
    case = str(uuid.uuid4())
    page = PageFile.of(png("ID"), "image/png")
    content = case_content("TEST-BZ-001", "测试补助申请",
                           {"has_income": True, "monthly_income": "1200.00"},
                           [material("id_card", "居民身份证", [page.entry(1)])], case,
                           catalog_version=version)
    submit(station, content, [page])
    path = f"/console/cases/{case_id(seeded.service, station.station, case)}"
    before = admin.get(path).text
    assert "月收入" not in before and "monthly_income" in before
    assert upload(admin, data).status_code == 303
    after = admin.get(path).text
    assert "是否有收入" in after and "月收入" in after


def test_the_library_leaves_out_a_release_that_no_longer_verifies(
        service: Township, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    releases = CatalogReleases(service.context, service.events)
    library = CatalogLibrary.published(releases, service.keys.signing.public_key())
    assert (library.latest.version, library.catalog(2)) == (1, None)
    releases.publish(catalog_dir(tmp_path, 2))
    foreign = build_release(load_catalog_dir(catalog_dir(tmp_path, 3)),
                            Ed25519PrivateKey.generate())
    releases.publish_release(3, foreign, {})
    with caplog.at_level(logging.WARNING, "sync.township.console.catalogs"):
        assert library.latest.version == 2
    assert library.catalog(3) is None
    assert library.matter("TEST-BZ-001", 2) is not None and library.matter(WITHDRAWN, 2) is None
    assert library.calendar.years[-1] == 2027
    assert "catalog release 3 left out: CatalogSignatureError" in caplog.text


_SEGMENT = st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=8)


@given(before=st.lists(_SEGMENT, max_size=3), after=st.lists(_SEGMENT, min_size=1, max_size=3),
       climb=st.sampled_from(["..", ".", ""]), absolute=st.booleans())
def test_no_climbing_or_absolute_name_is_unpacked(before: list[str], after: list[str],
                                                  climb: str, absolute: bool) -> None:
    name = ("/" if absolute else "") + "/".join([*before, climb, *after])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("catalog.yaml", b"version: 9\n")
        archive.writestr(zipfile.ZipInfo(name), b"x")
    with pytest.raises(CatalogUploadError):
        with unpacked(buffer):
            pass
