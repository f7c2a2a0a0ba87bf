"""Housekeeping on every backend: idle partial uploads, expired nonces and old heartbeats
go; what is still in use stays."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta

import pytest

from sync.township.config import Retention
from sync.township.housekeeping import Purged
from sync.township.models import Blob, Heartbeat
from sync.township.service import Township
from tests.township.client import enrol_directly
from tests.township.server import MovableClock

DAY = timedelta(days=1)


@pytest.fixture
def clock(service: Township) -> MovableClock:
    moving = service.context.clock
    assert isinstance(moving, MovableClock)
    return moving


def _start(service: Township, station: str, data: bytes, sent: int) -> str:
    """An upload of ``data`` with its first ``sent`` bytes held; its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    service.uploads.create(station, sha, len(data))
    if sent:
        chunk = data[:sent]
        service.uploads.append(station, sha, 0, chunk, hashlib.sha256(chunk).digest())
    return sha


def test_an_idle_partial_upload_goes_with_its_bytes(service: Township,
                                                    clock: MovableClock) -> None:
    station = enrol_directly(service).id
    data = os.urandom(2000)
    idle = _start(service, station, data, 1000)
    whole = _start(service, station, os.urandom(500), 500)
    clock.advance(6 * DAY)
    recent = _start(service, station, os.urandom(800), 0)
    clock.advance(2 * DAY)
    assert service.housekeeping.purge_uploads(7 * DAY) == 1
    assert {row.sha256 for row in Blob.select()} == {whole, recent}
    assert not service.context.blobs.path(station, idle).with_suffix(".part").exists()
    assert service.uploads.create(station, idle, len(data)).offset == 0


def test_an_upload_continued_recently_stays(service: Township, clock: MovableClock) -> None:
    station = enrol_directly(service).id
    data = os.urandom(3000)
    sha = _start(service, station, data, 1000)
    clock.advance(6 * DAY)
    chunk = data[1000:2000]
    service.uploads.append(station, sha, 1000, chunk, hashlib.sha256(chunk).digest())
    clock.advance(2 * DAY)
    assert service.housekeeping.purge_uploads(7 * DAY) == 0
    assert service.uploads.state(station, sha).offset == 2000


def test_nonces_past_the_window_are_forgotten(service: Township, clock: MovableClock) -> None:
    remember = service.stations.remember_nonce
    assert remember("s1", "a" * 22, clock())
    clock.advance(timedelta(seconds=400))
    assert remember("s1", "b" * 22, clock())
    clock.advance(timedelta(seconds=300))
    assert service.stations.forget_nonces() == 1
    assert not remember("s1", "b" * 22, clock())
    assert remember("s1", "a" * 22, clock())


def _beats(station: str, *times: datetime) -> None:
    for at in times:
        Heartbeat.create(station=station, received_at=at, queue=0, quarantined=0,
                         app_version="1.0.0", highest_seq=0)


def test_old_heartbeats_go_but_each_station_keeps_its_newest(service: Township,
                                                            clock: MovableClock) -> None:
    busy, quiet, tied = (enrol_directly(service, name).id for name in ("A", "B", "C"))
    now = clock()
    _beats(busy, now - 100 * DAY, now - 95 * DAY, now - 50 * DAY, now)
    _beats(quiet, now - 200 * DAY, now - 120 * DAY)
    _beats(tied, now - 99 * DAY, now - 99 * DAY)
    newest_tied = Heartbeat.select().where(Heartbeat.station == tied) \
        .order_by(Heartbeat.id.desc()).first().id
    assert service.housekeeping.purge_heartbeats(90 * DAY) == 4
    kept = {(row.station_id, row.received_at) for row in Heartbeat.select()}
    assert kept == {(busy, now - 50 * DAY), (busy, now), (quiet, now - 120 * DAY),
                    (tied, now - 99 * DAY)}
    assert Heartbeat.select().where(Heartbeat.station == tied).get().id == newest_tied
    assert {h.station: h.last_seen for h in service.overview.health()}[quiet] == \
        now - 120 * DAY


def test_a_run_does_every_purge(service: Township, clock: MovableClock) -> None:
    station = enrol_directly(service).id
    _start(service, station, os.urandom(100), 50)
    service.stations.remember_nonce(station, "n" * 22, clock())
    _beats(station, clock() - 40 * DAY, clock() - 30 * DAY)
    clock.advance(3 * DAY)
    assert service.housekeeping.run(Retention(2 * DAY, 31 * DAY)) == Purged(1, 1, 1)
    assert service.housekeeping.run(Retention(2 * DAY, 31 * DAY)) == Purged(0, 0, 0)
