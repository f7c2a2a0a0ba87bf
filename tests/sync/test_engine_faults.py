"""The sync engine when things go wrong (``docs/protocol.md`` section 5): a captive
portal, a refused item, a conflict, an upload cut short, a revoked station, an old app, a
forged event, no network. Real station, real township, a relay in between."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station import syncstate
from station.lifecycle import CaseState
from station.models import Case, OutboxItem
from station.outbox import ItemState, in_flight
from station.sync_models import SyncEnvelope
from station.syncside import StationSyncSide
from sync import envelope as envelopes
from sync.engine import RoundStatus
from sync.messages import Event, make_event
from sync.seal import SealingKey
from sync.signed import unverified
from sync.transport import Transport, TransportConfig
from tests.sync.conftest import CONFIG, engine_at, queue_case
from tests.township.server import MovableClock, running_township

PORTAL = (200, {"Content-Type": "text/html"}, b"<html><body>Log in to the Wi-Fi</body></html>")


def _item(seq: int) -> OutboxItem:
    return OutboxItem.get(OutboxItem.seq == seq)


def _state(case: Case) -> str:
    return Case.get_by_id(case.id).state


def _blob_bytes(session) -> int:  # noqa: ANN001
    """What the page files of every built envelope weigh."""
    return sum(ref["size"] for row in SyncEnvelope.select()
               for ref in unverified(bytes(row.data), "envelope")["blobs"])


def _patched(relay) -> int:  # noqa: ANN001
    return sum(size for method, _path, size in relay.passed if method == "PATCH")


def test_a_captive_portal_is_not_the_township(enrolled, relay, matter, applicant,
                                              pages) -> None:
    case = queue_case(enrolled, matter, applicant, pages)
    portal = relay(lambda method, path, body: PORTAL)
    outcome = engine_at(enrolled, portal.url).run_round()
    assert (outcome.status, outcome.error, outcome.sent) == (
        RoundStatus.FAILED, "unexpected_answer", 0)
    assert "log-in page" in outcome.message
    assert (_item(1).state, _state(case)) == (ItemState.PENDING, CaseState.QUEUED)


def test_a_portal_page_instead_of_a_receipt_is_not_success(enrolled, township, relay, matter,
                                                           applicant, pages) -> None:
    case = queue_case(enrolled, matter, applicant, pages)
    portal = relay(lambda method, path, body: PORTAL if path.endswith("/envelopes") else None)
    outcome = engine_at(enrolled, portal.url).run_round()
    assert (outcome.status, outcome.error, outcome.sent) == (
        RoundStatus.FAILED, "unexpected_answer", 0)
    item = _item(1)
    assert (item.state, item.last_error, item.attempts) == ("pending", "unexpected_answer", 1)
    assert _state(case) == CaseState.QUEUED and in_flight(case)
    direct = relay(lambda method, path, body: None)
    assert engine_at(enrolled, direct.url).run_round().sent == 1
    assert _patched(direct) == 0 and _patched(portal) == _blob_bytes(enrolled)
    assert _state(case) == CaseState.UPLOADED


def _reseal_with_another_key(session, seq: int) -> None:  # noqa: ANN001
    """Replace the kept envelope of ``seq`` by one the township cannot open."""
    identity = StationSyncSide(session).identity()
    row = SyncEnvelope.get(SyncEnvelope.outbox_item == _item(seq))
    header = envelopes.verify(bytes(row.data), identity.key.public_key()).header
    other = SealingKey.generate()
    data = envelopes.build(header, {"case": {}}, suite=other.suite,
                           sealing_key=other.public_bytes(), station_key=identity.key)
    row.data, row.digest = data, envelopes.digest(data)
    row.save()


def test_a_refused_item_is_set_aside_and_later_items_go_on(enrolled, township, matter,
                                                           applicant, pages) -> None:
    cases = [queue_case(enrolled, matter, applicant, pages) for _ in range(3)]
    side = StationSyncSide(enrolled)
    side.mark_sending(1)
    side.envelope(1)
    _reseal_with_another_key(enrolled, 1)
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.status, outcome.sent, outcome.quarantined, outcome.error) == (
        RoundStatus.OK, 2, 1, "undecryptable")
    assert [c.state for c in map(Case.get_by_id, [c.id for c in cases])] == [
        "queued", "uploaded", "uploaded"]
    [aside] = syncstate.quarantined_items()
    assert (aside.seq, aside.case_uuid, aside.reason) == (1, cases[0].uuid, "undecryptable")
    assert not in_flight(cases[0])


def test_other_content_for_a_sent_seq_is_a_conflict(enrolled, township, matter, applicant,
                                                    pages) -> None:
    case = queue_case(enrolled, matter, applicant, pages)
    engine = engine_at(enrolled, township.url)
    engine.run_round()
    SyncEnvelope.delete().execute()
    StationSyncSide(enrolled).requeue([1])
    outcome = engine.run_round()
    assert (outcome.quarantined, outcome.error) == (1, "conflict")
    assert "other content" in outcome.message
    assert (_item(1).state, _item(1).last_error) == ("quarantined", "conflict")
    assert _state(case) == CaseState.UPLOADED


def test_an_interrupted_upload_resumes_from_the_townships_offset(enrolled, relay, matter,
                                                                 applicant, pages) -> None:
    queue_case(enrolled, matter, applicant, pages)
    patches = []

    def cut(method: str, path: str, body: bytes):  # noqa: ANN202
        if method == "PATCH":
            patches.append(len(body))
            if len(patches) == 3:
                return 503, {}, b""
        return None

    first = relay(cut)
    outcome = engine_at(enrolled, first.url).run_round()
    assert (outcome.status, outcome.error) == (RoundStatus.FAILED, "server_error")
    assert len(patches) == 3 and patches[:2] == [CONFIG.chunk_size] * 2
    arrived = _patched(first)
    assert arrived == 2 * CONFIG.chunk_size
    second = relay(lambda method, path, body: None)
    assert engine_at(enrolled, second.url).run_round().sent == 1
    assert arrived + _patched(second) == _blob_bytes(enrolled)


def test_a_revoked_station_stops_the_round(enrolled, township, matter, applicant,
                                           pages) -> None:
    queue_case(enrolled, matter, applicant, pages)
    with enrolled.db.atomic():
        station = syncstate.require_enrolment().station_id
    township.service.stations.revoke(station)
    outcome = engine_at(enrolled, township.url).run_round()
    assert (outcome.status, outcome.error) == (RoundStatus.STATION_REFUSED, "signature_invalid")
    assert "does not accept this station" in outcome.message
    assert (_item(1).state, _item(1).last_error) == ("pending", "signature_invalid")


def test_an_app_too_old_for_the_township_stops(enrolled, relay) -> None:
    answer = (426, {"Content-Type": "application/json"},
              b'{"error":"protocol_unsupported","message":"no","supported":[2]}')
    outcome = engine_at(enrolled, relay(lambda *_: answer).url).run_round()
    assert (outcome.status, outcome.error) == (RoundStatus.TOO_OLD, "protocol_unsupported")
    assert "too old" in outcome.message


def test_an_event_signed_by_another_key_is_not_applied(enrolled, township, relay, matter,
                                                       applicant, pages) -> None:
    case = queue_case(enrolled, matter, applicant, pages)
    engine_at(enrolled, township.url).run_round()
    with enrolled.db.atomic():
        station = syncstate.require_enrolment().station_id
    forged = make_event(Event(station, 1, str(uuid.uuid4()), datetime(2026, 11, 23), "accepted",
                              case.uuid, {"township_number": "T1"}),
                        Ed25519PrivateKey.generate())
    page = b'{"events":[' + forged + b'],"more":false,"next":1}'
    rule = (lambda method, path, body: (200, {"Content-Type": "application/json"}, page)
            if path.startswith("/api/v1/events") else None)
    outcome = engine_at(enrolled, relay(rule).url).run_round()
    assert (outcome.status, outcome.error, outcome.events_applied) == (
        RoundStatus.FAILED, "bad_event", 0)
    assert _state(case) == CaseState.UPLOADED
    assert StationSyncSide(enrolled).cursor() == 0 and syncstate.received_events() == []


def test_no_network_is_offline(enrolled, matter, applicant, pages) -> None:
    queue_case(enrolled, matter, applicant, pages)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    engine = engine_at(enrolled, f"http://127.0.0.1:{port}")
    outcome = engine.run_round()
    assert (outcome.status, outcome.error) == (RoundStatus.OFFLINE, "connection")
    assert not engine.probe()
    assert _item(1).attempts == 0


@pytest.mark.parametrize("skew", [timedelta(hours=-3), timedelta(hours=5)])
def test_hello_teaches_the_transport_the_townships_clock(tmp_path, skew) -> None:
    clock = MovableClock()
    clock.advance(skew)
    with running_township(tmp_path / "skewed", clock=clock) as township:
        transport = Transport(TransportConfig(township.url))
        transport.hello()
    assert abs(transport.clock_offset - skew) < timedelta(seconds=5)


def test_heartbeat_reaches_the_township(enrolled, township, matter, applicant, pages) -> None:
    queue_case(enrolled, matter, applicant, pages)
    engine_at(enrolled, township.url).run_round()
    [health] = township.service.overview.health()
    assert (health.queue, health.quarantined, health.reported_highest_seq) == (0, 0, 1)
    assert health.app_version and json.dumps(health.last_error) == "null"
