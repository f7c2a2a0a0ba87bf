"""Catalog releases end to end: a real township publishes a signed release, a real station
pulls, verifies and installs it (or refuses it and changes nothing), keeps every version,
and recomputes provisional promised dates when a new year's holiday calendar arrives."""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assets import ROOT as ASSETS
from forms.catalog import Catalog, load_catalog_dir, make_catalog, summary
from forms.definition import check_matter, load_matter
from forms.release import build_release, canonical_json
from station import catalogs, syncstate
from station.clock import FixedClock
from station.lifecycle import CaseState
from station.models import Case, CaseTransition, CatalogRelease
from station.syncside import StationSyncSide
from station.ui.presenters.syncitems import SyncItemsKind, SyncItemsPresenter
from sync.engine import RoundStatus
from sync.township.catalogs import CatalogInvalidError, CatalogReleases, CatalogVersionError
from sync.township.models import CatalogRelease as PublishedRelease
from sync.township.models import Event
from sync.township.stations import EnrolRequest
from tests.forms.sample import TINY_CATALOG
from tests.station.conftest import COMPLETE_ANSWERS
from tests.sync.conftest import engine_at

TEST_MATTER = Path(__file__).parents[1] / "station" / "data" / "TEST-BZ-001.yaml"
CALENDAR_2027 = Path(__file__).parents[1] / "forms" / "catalogs" / "tiny" / "calendar"
CHANGED, WITHDRAWN = "FL-GLJT-001", "ZJ-QQDJ-001"


@pytest.fixture
def clock() -> FixedClock:
    """Monday 21 December 2026 (10:00 in China): ten working days run into 2027."""
    return FixedClock(datetime(2026, 12, 21, 2, 0, 0))


def catalog_dir(root: Path, version: int, *, calendar: bool = False) -> Path:
    """The bundled catalog as ``version``: the test matter added, one matter renamed, one
    withdrawn, and the 2027 holiday calendar when asked."""
    folder = root / f"catalog-{version}"
    shutil.copytree(ASSETS / "catalog", folder)
    header = yaml.safe_load((folder / "catalog.yaml").read_text("utf-8"))
    (folder / "catalog.yaml").write_text(yaml.safe_dump({**header, "version": version},
                                                        allow_unicode=True), "utf-8")
    shutil.copy(TEST_MATTER, folder / "matters")
    changed = folder / "matters" / f"{CHANGED}.yaml"
    changed.write_text(changed.read_text("utf-8").replace("name: 高龄津贴申请",
                                                          "name: 高龄津贴申请（新）"), "utf-8")
    (folder / "matters" / f"{WITHDRAWN}.yaml").unlink()
    if calendar:
        shutil.copytree(CALENDAR_2027, folder / "calendar")
    return folder


@functools.cache
def release_catalog(version: int, calendar: bool = False) -> Catalog:
    """The catalog of :func:`catalog_dir`, built in memory (loading a directory of 50
    matters costs seconds)."""
    bundled = catalogs.bundled()
    matters = {code: matter for code, matter in bundled.matters.items() if code != WITHDRAWN}
    matters["TEST-BZ-001"] = load_matter(TEST_MATTER)
    renamed, problems = check_matter({**bundled.matter(CHANGED).data, "name": "高龄津贴申请（新）"})
    assert renamed is not None and not problems
    matters[CHANGED] = renamed
    years = {2027: yaml.safe_load((CALENDAR_2027 / "2027.yaml").read_text("utf-8"))}
    years[2027]["holidays"] = [day.isoformat() for day in years[2027]["holidays"]]
    return make_catalog({**bundled.header, "version": version}, matters,
                        years if calendar else {})


def releases(township) -> CatalogReleases:  # noqa: ANN001
    return CatalogReleases(township.service.context, township.service.events)


def publish(township, version: int, calendar: bool = False) -> None:  # noqa: ANN001
    """Sign and publish :func:`release_catalog` as the township does."""
    catalog = release_catalog(version, calendar)
    data = build_release(catalog, township.service.keys.signing)
    releases(township).publish_release(version, data, summary(catalog))


def installed(session) -> tuple[int, int]:  # noqa: ANN001
    """The installed version and how many releases the store keeps."""
    with session.db.atomic():
        return catalogs.latest_version(), CatalogRelease.select().count()


def test_a_published_release_is_installed_and_every_version_stays(
        enrolled, township, applicant, tmp_path) -> None:
    old_matter = catalogs.bundled().matter(CHANGED)
    old_draft = enrolled.cases.create_draft(old_matter, 1, applicant, {})
    published = releases(township).publish(catalog_dir(tmp_path, 2))
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.status, outcome.events_applied) == (RoundStatus.OK, 1)
    assert installed(enrolled) == (2, 1)
    assert StationSyncSide(enrolled).heartbeat()["catalog_version"] == "2"
    with enrolled.db.atomic():
        history = catalogs.history()
        stored = CatalogRelease.get()
        rows = SyncItemsPresenter(SyncItemsKind.MESSAGES).rows()
    assert bytes(stored.data) == bytes(published.data)
    assert history.latest.version == 2
    assert history.latest.matter(CHANGED).name == "高龄津贴申请（新）"
    case = Case.get_by_id(old_draft.id)
    assert catalogs.catalog_for(case, history).matter(CHANGED).name == "高龄津贴申请"
    assert catalogs.catalog_for(case, history).matter(WITHDRAWN).code == WITHDRAWN
    new_draft = enrolled.cases.create_draft(history.latest.matter("TEST-BZ-001"),
                                            history.latest.version, applicant, {})
    assert new_draft.catalog_version == 2
    [row] = rows
    assert "TEST-BZ-001" in row.what and CHANGED in row.what and WITHDRAWN in row.what


def test_the_catalog_built_in_memory_is_the_directorys(tmp_path) -> None:
    assert load_catalog_dir(catalog_dir(tmp_path, 3, calendar=True)) == release_catalog(3, True)


def test_the_change_between_versions_is_listed() -> None:
    new = release_catalog(3, calendar=True)
    change = catalogs.compare(catalogs.bundled(), new)
    assert (change.version, change.added, change.changed, change.withdrawn,
            change.calendar_years) == (3, ("TEST-BZ-001",), (CHANGED,), (WITHDRAWN,), (2027,))
    assert catalogs.CatalogChanges.from_json(change.to_json()) == change


def tiny_dir(root: Path, version: int) -> Path:
    """The three-matter catalog of the forms tests, as ``version``."""
    folder = root / f"tiny-{version}"
    shutil.copytree(TINY_CATALOG, folder)
    header = yaml.safe_load((folder / "catalog.yaml").read_text("utf-8"))
    (folder / "catalog.yaml").write_text(yaml.safe_dump({**header, "version": version},
                                                        allow_unicode=True), "utf-8")
    return folder


@pytest.mark.parametrize("version", [1, 2])
def test_the_township_refuses_a_version_not_above_the_latest(township, tmp_path,
                                                             version: int) -> None:
    releases(township).publish(tiny_dir(tmp_path, 2))
    with pytest.raises(CatalogVersionError) as raised:
        releases(township).publish(tiny_dir(tmp_path / "again", version))
    assert (raised.value.version, raised.value.latest) == (version, 2)
    assert PublishedRelease.select().count() == 1


def test_the_township_refuses_an_invalid_catalog(township, tmp_path) -> None:
    folder = tiny_dir(tmp_path, 2)
    (folder / "matters" / "YB-CBDJ-001.yaml").write_text("code: YB-CBDJ-001\n", "utf-8")
    with pytest.raises(CatalogInvalidError) as raised:
        releases(township).publish(folder)
    assert raised.value.problems
    assert PublishedRelease.select().count() == 0


def test_only_enrolled_stations_hear_of_a_release(enrolled, township, tmp_path) -> None:
    waiting = township.add_station("Village B")
    releases(township).publish(tiny_dir(tmp_path, 2))
    assert Event.select().where(Event.kind == "catalog").count() == 1
    assert Event.select().where(Event.station == waiting.station).count() == 0


def test_a_station_enrolled_after_a_release_hears_of_the_latest(
        enrolled, township, tmp_path) -> None:
    releases(township).publish(tiny_dir(tmp_path, 2))
    later = township.add_station("Village C")
    township.service.stations.enrol(EnrolRequest(
        later.code, Ed25519PrivateKey.generate().public_key(), "LATE01", "0.1.0"))
    [event] = Event.select().where(Event.station == later.station)
    assert (event.kind, json.loads(event.payload)["version"]) == ("catalog", 2)


def _other_key(township) -> bytes:  # noqa: ANN001, ARG001
    return build_release(release_catalog(2), Ed25519PrivateKey.generate())


def _altered(township) -> bytes:  # noqa: ANN001
    data = build_release(release_catalog(2), township.service.keys.signing)
    envelope = json.loads(data)
    envelope["signed"]["catalog"]["title"] += "（改）"
    return canonical_json(envelope)


def _same_as_bundled(township) -> bytes:  # noqa: ANN001
    return build_release(catalogs.bundled(), township.service.keys.signing)


@pytest.mark.parametrize("make, version, reason", [
    (_other_key, 2, "catalog_signature"),
    (_altered, 2, "catalog_signature"),
    (_same_as_bundled, 1, "catalog_outdated"),
    (_same_as_bundled, 2, "catalog_invalid"),
])
def test_the_station_refuses_a_bad_release_and_changes_nothing(
        enrolled, township, make: Callable[..., bytes], version: int, reason: str) -> None:
    data = make(township)
    releases(township).publish_release(version, data, {})
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.status, outcome.events_quarantined) == (RoundStatus.OK, 1)
    assert installed(enrolled) == (1, 0)
    with enrolled.db.atomic():
        [event] = syncstate.received_events(quarantined=True)
        [row] = SyncItemsPresenter(SyncItemsKind.SET_ASIDE).rows()
    assert event.reason == reason
    assert catalogs.refusal_label(reason) in row.what


def test_a_release_altered_in_the_township_store_is_not_installed(enrolled,
                                                                  township) -> None:
    publish(township, 2)
    data = bytearray(bytes(PublishedRelease.get().data))
    data[100] ^= 0x01
    PublishedRelease.update(data=bytes(data)).execute()
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.error, outcome.events_applied) == ("file_mismatch", 0)
    assert installed(enrolled) == (1, 0)
    with enrolled.db.atomic():
        assert syncstate.received_events() == []


def _queue_test_case(session, applicant) -> Case:  # noqa: ANN001
    with session.db.atomic():
        matter = catalogs.history().latest.matter("TEST-BZ-001")
    case = session.cases.create_draft(matter, 2, applicant, dict(COMPLETE_ANSWERS))
    scan = session.paths.root.parent / "scan.jpg"
    scan.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    session.materials.attach_pages(case.uuid, "id_card", [scan])
    session.materials.defer(case.uuid, "hukou", date(2027, 1, 8))
    return session.cases.submit(case.uuid, matter)


def test_a_new_years_calendar_recomputes_a_provisional_promise_once(
        enrolled, township, applicant) -> None:
    engine = engine_at(enrolled, township.url)
    publish(township, 2)
    engine.run_round()
    case = _queue_test_case(enrolled, applicant)
    assert (case.promised_date, case.promised_provisional) == (date(2027, 1, 4), True)
    publish(township, 3, calendar=True)
    outcome = engine.run_round()
    assert (outcome.status, outcome.events_applied) == (RoundStatus.OK, 1)
    case = Case.get_by_id(case.id)
    assert (case.promised_date, case.promised_provisional) == (date(2027, 1, 5), False)
    steps = list(case.transitions.order_by(CaseTransition.id))
    assert (steps[-1].from_state, steps[-1].to_state) == (case.state, case.state)
    assert case.state == CaseState.UPLOADED
    assert "2027" in steps[-1].reason and "2027-01-04" in steps[-1].reason
    assert "2027-01-05" in steps[-1].reason
    with enrolled.db.atomic():
        syncstate.set_counter(syncstate.EVENTS_CURSOR, 0, enrolled.ctx.clock.now())
    again = engine.run_round()
    assert (again.events_applied, again.events_quarantined) == (0, 0)
    assert installed(enrolled) == (3, 2)
    assert Case.get_by_id(case.id).transitions.count() == len(steps)


def test_the_station_calendar_carries_the_release_years(enrolled, township) -> None:
    publish(township, 3, calendar=True)
    engine_at(enrolled, township.url).run_round()
    with enrolled.db.atomic():
        calendar = catalogs.work_calendar(catalogs.history())
    assert 2027 in calendar.years
    assert not calendar.is_working_day(date(2027, 1, 1))


def test_the_release_summary_is_kept_at_the_township(township, tmp_path) -> None:
    folder = tiny_dir(tmp_path, 2)
    published = releases(township).publish(folder)
    assert json.loads(published.summary) == json.loads(
        json.dumps(summary(load_catalog_dir(folder)), ensure_ascii=False))
    assert releases(township).latest_version() == 2
    assert [row.version for row in releases(township).releases()] == [2]


def test_a_case_submitted_after_the_calendar_arrives_is_not_provisional(
        enrolled, township, applicant) -> None:
    """The session's deadlines follow the installed releases, also mid-session."""
    publish(township, 3, calendar=True)
    engine_at(enrolled, township.url).run_round()
    case = _queue_test_case(enrolled, applicant)
    assert (case.promised_date, case.promised_provisional) == (date(2027, 1, 5), False)
