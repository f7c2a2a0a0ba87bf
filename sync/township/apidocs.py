"""What the OpenAPI document says about bodies the routes read and write as raw bytes
(signed documents must travel byte for byte, so FastAPI does not parse them)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from sync.township.config import MAX_NAME, MAX_NUMBER


_PAGE = b"page"  # the examples upload these four bytes
SHA256_EXAMPLE = hashlib.sha256(_PAGE).hexdigest()
LENGTH_EXAMPLE = str(len(_PAGE))
METADATA_EXAMPLE = "sha256 " + base64.b64encode(SHA256_EXAMPLE.encode()).decode()
CHECKSUM_EXAMPLE = "sha256 " + base64.b64encode(hashlib.sha256(_PAGE).digest()).decode()


class Error(BaseModel):
    error: str = Field(description="A machine code; the station maps it to its own words.")
    message: str = Field(description="English words for logs; never shown to people.")


class Hello(BaseModel):
    protocol: list[int]
    server_time: str = Field(description="UTC, ISO 8601 with Z, to the second.")
    township: str


class ServerTime(BaseModel):
    server_time: str


class EnrolBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=MAX_NAME,
                      description="The one-time code, XXXX-XXXX.")
    station_key: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$",
                             description="Raw Ed25519 public key, unpadded base64url.")
    station_code: str | None = Field(min_length=1, max_length=MAX_NAME)
    app_version: str = Field(min_length=1, max_length=MAX_NAME)


class HeartbeatBody(BaseModel):
    queue: int = Field(ge=0, le=MAX_NUMBER)
    quarantined: int = Field(ge=0, le=MAX_NUMBER)
    app_version: str = Field(min_length=1, max_length=MAX_NAME)
    catalog_version: str | None = Field(None, max_length=MAX_NAME)
    last_error: str | None = Field(None, description="Kept to its first 255 characters.")
    free_disk: int | None = Field(None, ge=0)
    highest_seq: int = Field(ge=0, le=MAX_NUMBER)


class LedgerAnswer(BaseModel):
    through: int
    missing: list[int]
    mismatched: list[int]


class EventsPage(BaseModel):
    events: list[dict[str, Any]] = Field(description="Signed event documents, in cursor order.")
    next: int
    more: bool


class SignedDocument(BaseModel):
    signed: dict[str, Any]
    signatures: list[dict[str, str]]


def sha256_path() -> Any:
    """The ``{sha256}`` path parameter of the blob routes, with its example."""
    return Path(description="The blob's SHA-256, lower-case hex.", examples=[SHA256_EXAMPLE])


def body(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` describing a request body the route reads itself."""
    return {"requestBody": {"required": True,
                            "content": {media_type: {"schema": model.model_json_schema()}}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "model": Error}


def _headers(*names: str) -> dict[str, Any]:
    return {name: {"schema": {"type": "string"}} for name in names}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("signature_invalid: missing or bad signature, unknown or revoked station, "
                "stale or replayed request"),
    413: _error("too_large"),
    422: _error("malformed"),
    426: _error("protocol_unsupported, with supported: [1]"),
}
ENROL: dict[int | str, dict[str, Any]] = {
    201: {"description": "The signed enrolment document.", "model": SignedDocument},
    403: _error("enrolment_refused: unknown, used or expired code"),
}
BLOB_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Upload created or already held.",
          "headers": _headers("Location", "Upload-Offset", "Tus-Resumable")},
    400: _error("bad_request: Upload-Length or Upload-Metadata (sha256) missing"),
}
BAD_SHA256 = _error("bad_request: the path does not name a SHA-256 in lower-case hex")
BLOB_STATE: dict[int | str, dict[str, Any]] = {
    200: {"description": "How much is held.",
          "headers": _headers("Upload-Offset", "Upload-Length", "Tus-Resumable")},
    400: BAD_SHA256,
    404: _error("not_found"),
}
BLOB_PATCH: dict[int | str, dict[str, Any]] = {
    204: {"description": "Chunk kept.", "headers": _headers("Upload-Offset")},
    400: _error("bad_request: not a SHA-256 in the path, Upload-Offset or Upload-Checksum "
                "missing or malformed"),
    404: _error("not_found"),
    409: {**_error("offset_mismatch"), "headers": _headers("Upload-Offset")},
    415: _error("unsupported_media_type"),
    422: _error("blob_digest_mismatch: complete but not the named digest; dropped"),
    460: _error("checksum_mismatch"),
}
CHUNK_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"},
                                        "example": _PAGE.decode()}}}}
ENVELOPE_BODY: dict[str, Any] = body(SignedDocument)
LEDGER_BODY: dict[str, Any] = body(SignedDocument)
ENVELOPE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Identical resend: the original receipt.", "model": SignedDocument},
    201: {"description": "The signed receipt.", "model": SignedDocument},
    409: _error("conflict, with envelope_sha256"),
    412: _error("blobs_missing, with missing: [sha256]"),
    422: _error("malformed, envelope_signature_invalid, undecryptable, sequence_invalid"),
}
EVENTS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A page of events.", "model": EventsPage},
}
UPDATE_ROOT: dict[int | str, dict[str, Any]] = {
    200: {"description": "The township's TUF root for app updates, signed (update_root).",
          "model": SignedDocument},
    404: _error("not_found: this township publishes no app updates"),
}
FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The result file, with the media type the township gave it.",
          "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
    404: _error("not_found"),
}
