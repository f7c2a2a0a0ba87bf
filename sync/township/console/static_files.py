"""The console's static files, served from the package (nothing from a CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from sync.township.errors import NotFoundError

router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml",
          ".ico": "image/x-icon"}


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """A file of the static folder by its plain name. Raises NotFoundError."""
    path = STATIC / name
    kind = _TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        raise NotFoundError("no such file")
    return FileResponse(path, media_type=kind, headers={
        "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})
