"""``docs/openapi.json`` is what the app generates: regenerate it with
``township openapi docs/openapi.json`` after changing a route."""

from __future__ import annotations

import json
from pathlib import Path

from sync.township.api import openapi_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_checked_in_document_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == openapi_text()


def test_every_protocol_route_is_documented() -> None:
    paths = json.loads(openapi_text())["paths"]
    assert {path: sorted(paths[path]) for path in paths} == {
        "/api/v1/hello": ["get"], "/api/v1/enrol": ["post"], "/api/v1/blobs": ["post"],
        "/api/v1/blobs/{sha256}": ["head", "patch"], "/api/v1/envelopes": ["post"],
        "/api/v1/events": ["get"], "/api/v1/files/{file_id}": ["get"],
        "/api/v1/heartbeat": ["post"], "/api/v1/ledger": ["post"],
        "/api/v1/updates/root": ["get"],
    }
