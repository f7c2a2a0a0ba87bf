"""Sync in the window without a display: the status words, the enrolment screen's checks
and QR pictures, the lists of what sync set aside and of the township's messages, and the
controller that runs the session's sync and hands its reports to the UI thread. A real
township serves on 127.0.0.1."""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import qrcode
from hypothesis import given
from hypothesis import strategies as st
from forms.calendar import WorkCalendar
from forms.catalog import make_catalog
from PIL import Image

from station.enrolment import (
    AlreadyEnrolledError,
    BadEnrolmentLinkError,
    EnrolmentRefusedError,
    TownshipUnreachableError,
    enrol,
)
from station.models import MaterialFile
from station.outbox import ItemKind, kind_label
from station.sync_models import SyncEnrolment
from station.syncside import engine_for
from station.ui.presenters.casedetail import CaseDetailPresenter
from station.enrolment import QrPictureError
from station.ui.presenters.enrol import EnrolInputError, EnrolPresenter, EnrolTarget
from station.ui.presenters.errors import describe
from station.ui.presenters.home import (
    HomePresenter,
    SyncActivity,
    SyncStatus,
    progress_text,
    sync_status,
)
from station.ui.presenters.settings import SettingsPresenter
from station.ui.presenters.syncitems import SyncItemsKind, SyncItemsPresenter
from station.ui.sync import SyncController, SyncOptions
from sync.engine import Progress, RoundOutcome, RoundStatus
from sync.township.decisions import ResultUpload
from sync.township.qr import enrolment_uri, write_enrolment_qr
from tests.township.server import RunningTownship, running_township

MB = 1024 * 1024
LAST = datetime(2026, 11, 23, 2, 0)  # 10:00 in China


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Words are checked in the source language, whatever the runner's locale."""
    monkeypatch.setenv("LANGUAGE", "en")


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTownship]:
    """One township per test module; each test enrols a station of its own."""
    with running_township(tmp_path_factory.mktemp("township")) as running:
        yield running


def woken_only(event: threading.Event, _seconds: float) -> bool:
    """A pause that only Sync now or stop ends: no test waits on the wall clock."""
    return event.wait()


def enrolled_station(session, township: RunningTownship) -> str:  # noqa: ANN001
    """Enrol the station of ``session``; its id at the township."""
    code = township.add_station("Village A")
    enrol(session, township.url, code.code)
    return code.station


# --- the status bar's words --------------------------------------------------------------


def _status(**activity: object) -> SyncStatus:
    return SyncStatus(True, 2, 1, LAST, SyncActivity(running=True, **activity))


@pytest.mark.parametrize("status, expected", [
    (SyncStatus(False, 2, 0), "Not connected to the township yet (works offline) · "
                              "2 waiting to upload · 0 set aside"),
    (SyncStatus(True, 0, 0), "Sync is not running · not synced yet · 0 waiting to upload"),
    (_status(), "Connecting to the township… · last sync 2026-11-23 10:00 · 2 waiting"),
    (_status(status=RoundStatus.OK), "Connected · last sync 2026-11-23 10:00 · 2 waiting to "
                                     "upload · 1 set aside"),
    (_status(status=RoundStatus.OFFLINE, problem="No network."),
     "Offline: the station keeps working and sends when the network returns · last sync"),
    (_status(status=RoundStatus.STATION_REFUSED, problem="Revoked."), "Sync problem · last"),
    (_status(status=RoundStatus.OK, progress=Progress(int(12.5 * MB), 40 * MB, 3, 10)),
     "Uploading 3/10 items · 12.5/40.0 MB · last sync 2026-11-23 10:00"),
])
def test_the_status_bar_says_state_last_sync_queue_and_set_aside(status: SyncStatus,
                                                                 expected: str) -> None:
    assert status.text().startswith(expected)


@pytest.mark.parametrize("problem", [None, "The township platform cannot be reached."])
def test_the_last_error_is_a_second_line_in_plain_words(problem: str | None) -> None:
    status = _status(status=RoundStatus.OFFLINE, problem=problem)
    assert status.problem == problem
    assert status.text().split("\n")[1:] == ([problem] if problem else [])
    assert SyncStatus(False, 0, 0, None, status.activity).problem is None


def test_a_round_with_nothing_to_upload_is_syncing() -> None:
    assert progress_text(Progress(0, 0, 0, 0)) == "Syncing with the township…"


def test_the_facts_come_from_the_store(session, township, queued, clock) -> None:
    assert sync_status(session) == SyncStatus(False, 1, 0, None)
    enrolled_station(session, township)
    for page in MaterialFile.select():
        session.blobs.path_of(page.blob_name).unlink()
    outcome = engine_for(session).run_round()
    assert (outcome.status, outcome.quarantined, outcome.error) == (RoundStatus.OK, 1,
                                                                    "page_missing")
    assert sync_status(session) == SyncStatus(True, 0, 1, clock.now())
    home = HomePresenter(session, WorkCalendar.bundled())
    links = {link.key: link for link in home.sync_links()}
    assert (links["set_aside"].count, links["set_aside"].urgent) == (1, True)
    assert (links["messages"].count, links["messages"].urgent) == (0, False)


# --- enrolment ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", [
    (("https://zhen.example.cn/", " ABCD-2345 ", "", ""),
     EnrolTarget("https://zhen.example.cn", "ABCD-2345")),
    (("zhen.example.cn:8470", "abcd2345", "", ""),
     EnrolTarget("https://zhen.example.cn:8470", "abcd2345")),
    (("http://10.1.2.3", "ABCD-2345", "", ""), EnrolTarget("http://10.1.2.3", "ABCD-2345")),
    (("", "", " vsenrol:https://zhen.example.cn#WXYZ-0001 ", ""),
     EnrolTarget("https://zhen.example.cn", "WXYZ-0001")),
    (("https://ignored", "IGNORED", "vsenrol:http://127.0.0.1:9#C", ""),
     EnrolTarget("http://127.0.0.1:9", "C")),
])
def test_what_was_typed_becomes_the_enrolment_target(typed: tuple[str, ...],
                                                     expected: EnrolTarget) -> None:
    assert EnrolPresenter.target(*typed) == expected


@pytest.mark.parametrize("typed, field", [
    (("", "ABCD-2345", "", ""), "address"),
    (("ftp://zhen.example.cn", "ABCD-2345", "", ""), "address"),
    (("https://", "ABCD-2345", "", ""), "address"),
    (("https://[zhen", "ABCD-2345", "", ""), "address"),
    (("https://zhen.example.cn", "  ", "", ""), "code"),
    (("", "", "https://zhen.example.cn#ABCD", ""), "link"),
    (("https://zhen.example.cn", "ABCD-2345", "", "/nonexistent/ca.pem"), "ca_bundle"),
])
def test_what_cannot_be_used_names_the_entry_to_fix(typed: tuple[str, ...], field: str) -> None:
    with pytest.raises(EnrolInputError) as raised:
        EnrolPresenter.target(*typed)
    assert raised.value.field == field and str(raised.value)


_HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9]{1,10}){1,3}(:[1-9][0-9]{1,4})?",
                       fullmatch=True)
_CODES = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ-", min_size=1, max_size=12).filter(
    lambda code: code.strip("-"))


@given(host=_HOSTS, code=_CODES)
def test_the_link_and_the_typed_address_and_code_agree(host: str, code: str) -> None:
    url = f"https://{host}"
    typed = EnrolPresenter.target(host, code)
    assert typed == EnrolPresenter.target(url + "/", f" {code} ")
    assert typed == EnrolPresenter.target("", "", enrolment_uri(url, code))
    assert typed == EnrolTarget(url, code)


def test_a_certificate_file_that_exists_is_kept(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    target = EnrolPresenter.target("zhen.example.cn", "ABCD-2345", "", str(bundle))
    assert target.ca_bundle == bundle


def _qr_of(text: str, path: Path) -> Path:
    qrcode.make(text).save(str(path))
    return path


def test_the_townships_qr_picture_gives_the_link(tmp_path: Path) -> None:
    png = tmp_path / "enrol.png"
    write_enrolment_qr(png, "https://zhen.example.cn", "ABCD-2345")
    assert EnrolPresenter.read_qr(png) == "vsenrol:https://zhen.example.cn#ABCD-2345"
    photo = tmp_path / "photo.jpg"
    with Image.open(png) as image:
        canvas = Image.new("RGB", (image.width * 2, image.height * 2), "lightgray")
        canvas.paste(image.convert("RGB").rotate(90), (image.width // 2, image.height // 3))
        canvas.save(photo, "JPEG", quality=80)
    assert EnrolPresenter.read_qr(photo) == "vsenrol:https://zhen.example.cn#ABCD-2345"


@pytest.mark.parametrize("make, error", [
    (lambda path: Image.new("L", (300, 300), "white").save(path, "PNG"), QrPictureError),
    (lambda path: path.write_bytes(b"not a picture at all"), QrPictureError),
    (lambda path: _qr_of("https://example.com/not-an-enrolment", path), BadEnrolmentLinkError),
    (lambda path: _qr_of("vsenrol:ftp://zhen#ABCD", path), BadEnrolmentLinkError),
])
def test_a_picture_without_an_enrolment_qr_is_said_in_plain_words(
        tmp_path: Path, make: Callable[[Path], object], error: type[Exception]) -> None:
    path = tmp_path / "picture.png"
    make(path)
    with pytest.raises(error) as raised:
        EnrolPresenter.read_qr(path)
    assert describe(raised.value) == str(raised.value) and "Traceback" not in str(raised.value)


def test_enrolling_shows_who_the_station_is_at_the_township(session, township) -> None:
    presenter = EnrolPresenter(session)
    settings = SettingsPresenter(session)
    assert presenter.info() is None and settings.enrolment() is None
    code = township.add_station("东村便民服务站")
    with pytest.raises(EnrolmentRefusedError):
        presenter.enrol(EnrolTarget(township.url, "0000-0000"))
    enrolled = presenter.enrol(presenter.target(township.url, code.code.lower()))
    assert enrolled.station_id == code.station
    assert enrolled.name in presenter.done_text(enrolled)
    assert code.station in presenter.done_text(enrolled)
    township_id = township.service.keys.township_id
    for info in (presenter.info(), settings.enrolment()):
        lines = dict(info.lines())
        assert lines["Enrolment"] == (f"Township platform: Test township（{township_id}） · "
                                      f"This station: 东村便民服务站（{code.station}）")
        assert (lines["Township address"], lines["Enrolled since"]) == (township.url,
                                                                        "2026-11-23 10:00")
    with pytest.raises(AlreadyEnrolledError):
        presenter.enrol(EnrolTarget(township.url, township.add_station().code))


def test_an_unreachable_township_is_said_in_plain_words(session) -> None:
    with pytest.raises(TownshipUnreachableError) as raised:
        EnrolPresenter(session).enrol(EnrolTarget(nobody_listening(), "ABCD-2345"))
    assert "network" in describe(raised.value)
    assert EnrolPresenter(session).info() is None


def nobody_listening() -> str:
    """A loopback address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- what sync set aside, the township's messages -------------------------------------------


def test_set_aside_uploads_and_events_are_listed_with_their_reasons(
        session, township, matter, queued, clock) -> None:
    station = enrolled_station(session, township)
    engine = engine_for(session)
    assert engine.run_round().sent == 1
    township.service.decisions.accept(station, queued.uuid)
    engine.run_round()
    session.cases.withdraw(queued.uuid, "申请人撤回")
    township.service.decisions.complete(station, queued.uuid, True, "准予",
                                        ResultUpload("结果.pdf", "application/pdf", b"%PDF-1"))
    township.service.decisions.message(station, "请周五前来领取", queued.uuid)
    township.service.decisions.message(station, "系统将于今晚维护")
    assert engine.run_round().events_quarantined == 1

    aside = SyncItemsPresenter(SyncItemsKind.SET_ASIDE).rows()
    [event] = aside
    assert (event.case_number, event.case_uuid) == (queued.local_number, queued.uuid)
    assert event.what.startswith("Township decision “completed” not applied: The township's "
                                 "decision does not fit the case")
    messages = SyncItemsPresenter(SyncItemsKind.MESSAGES).rows()
    assert [(row.case_number, row.what) for row in messages] == [
        ("—", "系统将于今晚维护"), (queued.local_number, "请周五前来领取")]
    assert messages[0].case_uuid is None
    assert messages[1].cells() == ("2026-11-23 10:00", queued.local_number, "请周五前来领取")


def test_an_upload_set_aside_says_why_and_what_to_do(session, township, matter,
                                                     queued) -> None:
    enrolled_station(session, township)
    for page in MaterialFile.select():
        session.blobs.path_of(page.blob_name).unlink()
    engine_for(session).run_round()
    [row] = SyncItemsPresenter(SyncItemsKind.SET_ASIDE).rows()
    assert row.case_number == queued.local_number
    assert row.what == ("Upload (submission): A page file of this item is missing; the item "
                        "was set aside.")
    catalog = make_catalog({"id": "test", "version": 1, "title": "测试目录",
                            "published": "2026-11-01", "format": 1}, {matter.code: matter}, {})
    timeline = CaseDetailPresenter(session, catalog, queued.uuid).timeline()
    assert timeline[-1].text == "Upload #1 (submission): quarantined"


@pytest.mark.parametrize("kind, label", [
    (ItemKind.SUBMISSION, "submission"),
    (ItemKind.WITHDRAWAL, "withdrawal"),
    (ItemKind.DELIVERY, "delivery"),
    (ItemKind.EVALUATION, "evaluation"),
    (ItemKind.MATERIALS, "materials brought later"),
    ("a-kind-of-a-newer-app", "a-kind-of-a-newer-app"),
])
def test_an_upload_kind_has_one_label_everywhere(kind: str, label: str) -> None:
    assert kind_label(kind) == label


@pytest.mark.parametrize("kind, title, empty", [
    (SyncItemsKind.SET_ASIDE, "Set aside by sync", "Nothing is set aside"),
    (SyncItemsKind.MESSAGES, "Township messages", "No message from the township yet."),
])
def test_empty_lists_say_so(session, kind: SyncItemsKind, title: str, empty: str) -> None:
    presenter = SyncItemsPresenter(kind)
    assert presenter.rows() == []
    assert presenter.title == title and presenter.empty_text().startswith(empty)


# --- the controller ------------------------------------------------------------------------


class _UiThread:
    """What the app does with ``post``: callbacks queued, run when drained."""

    def __init__(self) -> None:
        self.posted: queue.Queue[Callable[[], None]] = queue.Queue()
        self.changes: list[RoundOutcome | None] = []
        self.seen: list[SyncStatus] = []

    def until(self, controller: SyncController, done: Callable[[], bool]) -> None:
        """Run posted callbacks until ``done()`` (a hang fails after a generous guard)."""
        while not done():
            self.posted.get(timeout=60)()
            self.seen.append(controller.status())

    def outcomes(self) -> list[RoundOutcome]:
        return [change for change in self.changes if change is not None]


def _controller(ui: _UiThread) -> SyncController:
    return SyncController(ui.posted.put, ui.changes.append, SyncOptions(pause=woken_only))


def test_the_controller_syncs_and_reports_on_the_ui_thread(session, township, queued,
                                                           clock) -> None:
    ui = _UiThread()
    controller = _controller(ui)
    assert not controller.attach(session) and controller.thread is None
    assert controller.status().text().startswith("Not connected")
    enrolled_station(session, township)
    assert controller.start() and controller.activity.running
    thread = controller.thread
    ui.until(controller, lambda: len(ui.outcomes()) == 1)
    assert ui.outcomes()[0].sent == 1
    uploading = [s for s in ui.seen if s.activity.progress is not None]
    assert uploading and uploading[0].text().startswith("Uploading 0/1 items")
    assert controller.status() == SyncStatus(True, 0, 0, clock.now(),
                                             SyncActivity(True, RoundStatus.OK))
    assert threading.current_thread() is not thread and thread.is_alive()
    assert controller.sync_now()
    ui.until(controller, lambda: len(ui.outcomes()) == 2)
    controller.detach()
    assert not thread.is_alive() and thread not in threading.enumerate()
    assert controller.thread is None and not controller.sync_now()
    assert controller.status().text().startswith("Not connected")


def test_reports_of_a_stopped_runner_are_dropped(session, township) -> None:
    ui = _UiThread()
    controller = _controller(ui)
    enrolled_station(session, township)
    controller.attach(session)
    ui.until(controller, lambda: len(ui.outcomes()) == 1)
    controller.detach()
    late = RoundOutcome(RoundStatus.OFFLINE, error="connection")
    controller._receive(object(), late)  # noqa: SLF001 - a report arriving after the stop
    assert ui.outcomes() == [ui.outcomes()[0]] and controller.activity == SyncActivity()


def test_an_offline_township_is_said_with_what_to_do(session, township) -> None:
    ui = _UiThread()
    controller = _controller(ui)
    enrolled_station(session, township)
    with session.db.atomic():
        SyncEnrolment.update(url=nobody_listening()).execute()
    controller.attach(session)
    ui.until(controller, lambda: bool(ui.outcomes()))
    status = controller.status()
    assert status.activity.status is RoundStatus.OFFLINE
    assert status.text().split("\n") == [
        "Offline: the station keeps working and sends when the network returns · not synced "
        "yet · 0 waiting to upload · 0 set aside",
        "The township platform cannot be reached: check the network."]
    controller.detach()
