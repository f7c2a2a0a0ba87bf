"""The protocol's HTTP API under ``/api/v1`` (``docs/protocol.md`` section 4), a thin
layer over :class:`~sync.township.service.Township`: read and check the request, call one
service method in a worker thread, answer. Signed documents travel as their exact bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from sync.errors import MalformedError
from sync.messages import UpdateRoot, make_update_root
from sync.signed import parse_json, time_text
from sync.township import apidocs
from sync.township.apiauth import (
    CHUNK,
    ENVELOPE,
    LEDGER,
    SMALL,
    SignedRequest,
    call,
    protocol,
    read_body,
    township,
)
from sync.township.catalogs import MEDIA_TYPE as CATALOG_MEDIA_TYPE
from sync.township.catalogs import CatalogReleases
from sync.township.config import MAX_NUMBER
from sync.township.console import install_console
from sync.township.errors import (
    BadRequestError,
    MalformedRequestError,
    NotFoundError,
    OffsetMismatchError,
    SignatureInvalidError,
    TownshipError,
    UnsupportedMediaTypeError,
)
from sync.township.service import Township
from sync.township.stations import EnrolRequest
from sync.township.updates.serving import repository_dir, served_file
from sync.township.uploads import UploadState, check_sha256

PREFIX = "/api/v1"
TUS = {"Tus-Resumable": "1.0.0"}
_JSON = "application/json"
_CHUNK_TYPE = "application/offset+octet-stream"
STATUS = {
    "bad_request": 400, "signature_invalid": 401, "enrolment_refused": 403, "not_found": 404,
    "conflict": 409, "offset_mismatch": 409, "invalid_decision": 409, "blobs_missing": 412,
    "too_large": 413, "unsupported_media_type": 415, "malformed": 422,
    "envelope_signature_invalid": 422, "undecryptable": 422, "sequence_invalid": 422,
    "blob_digest_mismatch": 422, "protocol_unsupported": 426, "checksum_mismatch": 460,
}

router = APIRouter(prefix=PREFIX, dependencies=[Depends(protocol)],
                   responses=apidocs.COMMON_ERRORS)
updates_router = APIRouter(prefix="/tuf", include_in_schema=False)


@router.get("/hello", response_model=apidocs.Hello)
async def hello(request: Request) -> dict[str, Any]:
    return township(request).hello()


@router.post("/enrol", status_code=201, responses=apidocs.ENROL,
             openapi_extra=apidocs.body(apidocs.EnrolBody))
async def enrol(request: Request) -> Response:
    platform = township(request)
    body = _json(await read_body(request, platform.limits.max_json))
    answer = await call(platform, platform.stations.enrol, EnrolRequest.from_json(body))
    return Response(answer, 201, media_type=_JSON)


@router.post("/blobs", status_code=201, responses=apidocs.BLOB_CREATED,
             response_class=Response)
async def create_blob(
        request: Request,
        upload_length: str | None = Header(None, alias="Upload-Length",
                                           examples=[apidocs.LENGTH_EXAMPLE]),
        upload_metadata: str = Header("", alias="Upload-Metadata",
                                      description="sha256 <base64 of the hex digest>",
                                      examples=[apidocs.METADATA_EXAMPLE]),
        signed_request: SignedRequest = Depends(SMALL)) -> Response:
    platform = township(request)
    sha256 = _metadata_sha256(upload_metadata)
    length = _non_negative(upload_length, "Upload-Length")
    state = await call(platform, platform.uploads.create, signed_request.station, sha256,
                       length)
    headers = {**TUS, "Location": f"{PREFIX}/blobs/{sha256}",
               "Upload-Offset": str(state.offset)}
    return Response(status_code=201, headers=headers)


@router.head("/blobs/{sha256}", responses=apidocs.BLOB_STATE,
             response_class=Response)
async def blob_state(request: Request, sha256: str = apidocs.sha256_path(),
                     signed_request: SignedRequest = Depends(SMALL)) -> Response:
    platform = township(request)
    state = await call(platform, platform.uploads.state, signed_request.station, sha256)
    return Response(status_code=200, headers=_upload_headers(state))


@router.patch("/blobs/{sha256}", status_code=204, responses=apidocs.BLOB_PATCH,
              openapi_extra=apidocs.CHUNK_BODY, response_class=Response)
async def append_blob(
        request: Request, sha256: str = apidocs.sha256_path(),
        content_type: str = Header("", alias="Content-Type"),
        upload_offset: str | None = Header(None, alias="Upload-Offset", examples=["0"]),
        upload_checksum: str = Header("", alias="Upload-Checksum",
                                      description="sha256 <base64 of the chunk's digest>",
                                      examples=[apidocs.CHECKSUM_EXAMPLE]),
        signed_request: SignedRequest = Depends(CHUNK)) -> Response:
    if content_type.split(";")[0].strip() != _CHUNK_TYPE:
        raise UnsupportedMediaTypeError(f"chunks are {_CHUNK_TYPE}")
    platform = township(request)
    offset = _non_negative(upload_offset, "Upload-Offset")
    checksum = _checksum(upload_checksum)
    state = await call(platform, platform.uploads.append, signed_request.station,
                       check_sha256(sha256), offset, signed_request.body, checksum)
    return Response(status_code=204, headers=_upload_headers(state))


@router.post("/envelopes", status_code=201, responses=apidocs.ENVELOPE,
             openapi_extra=apidocs.ENVELOPE_BODY)
async def receive_envelope(request: Request,
                           signed_request: SignedRequest = Depends(ENVELOPE)) -> Response:
    platform = township(request)
    delivery = await call(platform, platform.intake.receive, signed_request.station,
                          signed_request.body)
    return Response(delivery.receipt, 201 if delivery.created else 200, media_type=_JSON)


@router.get("/events", responses=apidocs.EVENTS)
async def events(request: Request, after: int = Query(0, ge=0, le=MAX_NUMBER),
                 limit: int | None = Query(None, ge=1, le=MAX_NUMBER),
                 signed_request: SignedRequest = Depends(SMALL)) -> Response:
    """The signed events embedded byte for byte (the station re-canonicalises each)."""
    platform = township(request)
    size = min(limit or platform.limits.events_page, platform.limits.max_events_page)
    page = await call(platform, platform.events.page, signed_request.station, after, size)
    body = (b'{"events":[' + b",".join(page.events) + b'],"more":'
            + (b"true" if page.more else b"false") + b',"next":' + str(page.next).encode()
            + b"}")
    return Response(body, 200, media_type=_JSON)


@router.get("/files/{file_id}", responses=apidocs.FILE, response_class=Response)
async def result_file(request: Request, file_id: str,
                      signed_request: SignedRequest = Depends(SMALL)) -> Response:
    """A result file of the station's, or a catalog release a ``catalog`` event names."""
    platform = township(request)
    return await call(platform, _file, platform, signed_request.station, file_id)


@router.get("/updates/root", responses=apidocs.UPDATE_ROOT, response_class=Response)
async def update_root(request: Request,
                      signed_request: SignedRequest = Depends(SMALL)) -> Response:
    """The TUF root a station pins before its first update check (protocol section 9)."""
    platform = township(request)
    return await call(platform, _update_root, platform, signed_request.station)


@router.post("/heartbeat", response_model=apidocs.ServerTime,
             openapi_extra=apidocs.body(apidocs.HeartbeatBody))
async def heartbeat(request: Request,
                    signed_request: SignedRequest = Depends(SMALL)) -> dict[str, Any]:
    platform = township(request)
    await call(platform, platform.reconciliation.heartbeat, signed_request.station,
               _json(signed_request.body))
    return {"server_time": time_text(platform.context.clock())}


@router.post("/ledger", response_model=apidocs.LedgerAnswer,
             openapi_extra=apidocs.LEDGER_BODY)
async def ledger(request: Request,
                 signed_request: SignedRequest = Depends(LEDGER)) -> dict[str, Any]:
    platform = township(request)
    answer = await call(platform, _ledger, platform, signed_request)
    return answer.to_json()


@updates_router.get("/{path:path}")
async def update_file(request: Request, path: str) -> Response:
    """A file of the app-update TUF repository (docs/updates.md), unsigned requests."""
    directory = repository_dir(township(request).context.files.parent)
    return FileResponse(served_file(directory, path), headers={"Cache-Control": "no-cache"})


def _update_root(platform: Township, station: str) -> Response:
    root = repository_dir(platform.context.files.parent) / "metadata" / "root.json"
    try:
        data = root.read_bytes()
    except FileNotFoundError:
        raise NotFoundError("no update repository") from None
    document = make_update_root(UpdateRoot(station, data), platform.context.keys.signing)
    return Response(document, 200, media_type=_JSON)


def create_app(platform: Township) -> FastAPI:
    """The ASGI app serving ``platform``: the API and the web console."""
    app = _new_app()
    app.state.township = platform
    install_console(app, platform)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API (no township needed)."""
    return _new_app().openapi()


def openapi_text() -> str:
    """The document as checked in: ``docs/openapi.json``."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def _new_app() -> FastAPI:
    app = FastAPI(title="Village station township platform", version="1",
                  description="Sync protocol v1 (docs/protocol.md).", docs_url=None,
                  redoc_url=None)
    app.include_router(router)
    app.include_router(updates_router)
    app.add_exception_handler(TownshipError, _township_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    return app


def _ledger(platform: Township, signed_request: SignedRequest) -> Any:
    key = platform.stations.public_key(signed_request.station)
    if key is None:
        raise SignatureInvalidError("unknown or revoked station")
    return platform.reconciliation.ledger(signed_request.station, signed_request.body, key)


def _file(platform: Township, station: str, file_id: str) -> Response:
    """Raises NotFoundError."""
    release = CatalogReleases(platform.context, platform.events).by_file(file_id)
    if release is not None:
        return Response(bytes(release.data), media_type=CATALOG_MEDIA_TYPE)
    row, path = platform.files.find(station, file_id)
    return FileResponse(path, media_type=row.media_type)


def _json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except MalformedError:
        raise MalformedRequestError("the body is not JSON") from None


def _non_negative(value: str | None, name: str) -> int:
    if value is None or not value.isdigit() or len(value) > 18:
        raise BadRequestError(f"{name} must be a non-negative integer")
    return int(value)


def _metadata_sha256(header: str) -> str:
    """The ``sha256`` of tus ``Upload-Metadata`` (``key base64(value)`` pairs)."""
    for pair in header.split(","):
        key, _, value = pair.strip().partition(" ")
        if key == "sha256":
            try:
                return check_sha256(base64.b64decode(value, validate=True).decode("ascii"))
            except (binascii.Error, UnicodeDecodeError):
                break
    raise BadRequestError("Upload-Metadata must name the blob's sha256")


def _checksum(header: str) -> bytes:
    algorithm, _, value = header.strip().partition(" ")
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if algorithm != "sha256" or len(digest) != 32:
        raise BadRequestError("Upload-Checksum must be sha256 and a base64 digest")
    return digest


def _upload_headers(state: UploadState) -> dict[str, str]:
    return {**TUS, "Upload-Offset": str(state.offset), "Upload-Length": str(state.length),
            "Cache-Control": "no-store"}


async def _township_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, TownshipError)
    headers = dict(TUS) if request.url.path.startswith(f"{PREFIX}/blobs") else {}
    if isinstance(error, OffsetMismatchError):
        headers["Upload-Offset"] = str(error.offset)
    body = {"error": error.code, "message": str(error), **error.fields}
    return JSONResponse(body, STATUS.get(error.code, 400), headers=headers)


async def _validation_error(request: Request, error: Exception) -> Response:
    return JSONResponse({"error": "malformed", "message": "request parameters are invalid"},
                        422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "bad_request")
    return JSONResponse({"error": code, "message": str(error.detail)}, error.status_code,
                        headers=error.headers)


async def _internal_error(request: Request, error: Exception) -> Response:
    return JSONResponse({"error": "internal", "message": "the township failed; try later"},
                        500)
