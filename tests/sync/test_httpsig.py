"""Request signatures (RFC 9421): what the township accepts and what it refuses."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import httpsig
from sync.errors import SignatureError

KEY = Ed25519PrivateKey.generate()
BODY = b'{"queue":3}'
URL = "https://township.example/api/v1/heartbeat?x=1"


def _signed(body: bytes | None = BODY, offset: timedelta = timedelta(0)) -> httpsig.Message:
    message = httpsig.Message("POST", URL, {"Content-Type": "application/json"})
    digest = hashlib.sha256(body).digest() if body is not None else None
    httpsig.sign(message, "DEMO01", KEY, body_sha256=digest, clock_offset=offset)
    return message


class Nonces:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, station: str, nonce: str, _created: object) -> bool:
        if (station, nonce) in self.seen:
            return False
        self.seen.add((station, nonce))
        return True


def _lookup(station: str):  # noqa: ANN202
    return KEY.public_key() if station == "DEMO01" else None


def _verify(message: httpsig.Message, body: bytes | None = BODY, nonces=None):  # noqa: ANN001, ANN202
    digest = hashlib.sha256(body).digest() if body is not None else None
    return httpsig.verify(message, _lookup, body_sha256=digest, remember_nonce=nonces or Nonces())


def test_a_signed_request_verifies_once() -> None:
    message, nonces = _signed(), Nonces()
    assert _verify(message, nonces=nonces).station == "DEMO01"
    with pytest.raises(SignatureError) as caught:
        _verify(message, nonces=nonces)
    assert caught.value.reason == "replayed"


def test_a_request_without_body_verifies() -> None:
    assert _verify(_signed(None), None).station == "DEMO01"


def _other_path(m: httpsig.Message) -> None:
    m.url = URL.replace("heartbeat", "ledger")


def _other_query(m: httpsig.Message) -> None:
    m.url = URL.replace("x=1", "x=2")


def _other_method(m: httpsig.Message) -> None:
    m.method = "PUT"


def _other_protocol(m: httpsig.Message) -> None:
    m.headers["Sync-Protocol"] = "2"


def _no_signature(m: httpsig.Message) -> None:
    del m.headers["Signature"]


def _other_station(m: httpsig.Message) -> None:
    m.headers["Signature-Input"] = m.headers["Signature-Input"].replace("DEMO01", "DEMO02")


@pytest.mark.parametrize("tamper", [_other_path, _other_query, _other_method, _other_protocol,
                                    _no_signature, _other_station])
def test_a_changed_request_is_refused(tamper) -> None:  # noqa: ANN001
    message = _signed()
    tamper(message)
    with pytest.raises(SignatureError):
        _verify(message)


def test_another_body_is_refused() -> None:
    with pytest.raises(SignatureError):
        _verify(_signed(), b'{"queue":4}')


def test_a_body_the_signature_does_not_cover_is_refused() -> None:
    with pytest.raises(SignatureError):
        _verify(_signed(None), BODY)


@pytest.mark.parametrize("offset", [timedelta(minutes=-20), timedelta(minutes=20),
                                    timedelta(seconds=-400), timedelta(seconds=400)])
def test_a_stale_or_future_request_is_refused(offset: timedelta) -> None:
    """Beyond the 300 s bound; 400 s caught a verifier that let up to 600 s through."""
    with pytest.raises(SignatureError):
        _verify(_signed(offset=offset))


def test_a_station_with_a_wrong_clock_signs_on_the_township_clock() -> None:
    """The station adds the offset it learned from hello; a small skew is tolerated."""
    assert _verify(_signed(offset=timedelta(seconds=30))).station == "DEMO01"
