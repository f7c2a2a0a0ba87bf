"""Schemathesis against the generated OpenAPI document and a real township on 127.0.0.1:
for every operation, generated requests (signed with an enrolled station's key, so they
get past authentication to the handlers) never get a 5xx, and every answer is one the
document declares, with the declared content type, headers and body schema."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import settings
from requests.models import PreparedRequest
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sync.httpsig import Message, sign
from sync.township.api import openapi_document
from tests.township.client import StationClient
from tests.township.server import RunningTownship

# tus chunks are raw bytes, sent as such. The document needs no township, so it is loaded
# here; the served township's URL comes with each call.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
schema = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


class StationAuth(requests.auth.AuthBase):
    """Signs each request as it will go on the wire, body included (RFC 9421)."""

    def __init__(self, station: str, key: Ed25519PrivateKey) -> None:
        self._station = station
        self._key = key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        message = Message(str(request.method), str(request.url), {})
        sign(message, self._station, self._key,
             body_sha256=None if body is None else hashlib.sha256(body).digest())
        request.headers.update(message.headers)
        return request


@pytest.fixture(scope="module")
def signed_session(township: RunningTownship) -> Iterator[requests.Session]:
    """A session whose every request is signed by a station enrolled for the fuzz (the
    unsigned operations, hello and enrol, ignore the signature)."""
    station = StationClient.enrol(township.api, township.add_station("Fuzzed").code)
    with requests.Session() as session:
        session.auth = StationAuth(station.station, station.key)
        yield session


@schema.parametrize()
@settings(max_examples=25, deadline=None)
def test_every_answer_is_documented_and_none_is_a_server_error(
        case: schemathesis.Case, township: RunningTownship,
        signed_session: requests.Session) -> None:
    case.call_and_validate(base_url=township.url, session=signed_session, checks=CHECKS)
