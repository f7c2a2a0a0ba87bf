"""Mounting the console on the township's FastAPI app under ``/console`` (left out of the
API's OpenAPI document)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from sync.township.console import (
    audit_pages,
    bundle_pages,
    case_pages,
    catalog_pages,
    decision_pages,
    login,
    recon_pages,
    station_pages,
    static_files,
)
from sync.township.console.config import ConsoleConfig
from sync.township.console.web import PREFIX, Console
from sync.township.keys import KdfParams
from sync.township.service import Township

_PAGES = (login, case_pages, decision_pages, recon_pages, station_pages, catalog_pages,
          bundle_pages, audit_pages, static_files)


def install_console(app: FastAPI, platform: Township, config: ConsoleConfig = ConsoleConfig(),
                    kdf: KdfParams = KdfParams()) -> Console:
    """Serve the console of ``platform`` on ``app``; the console's services."""
    console = Console(platform, config, kdf)
    app.state.console = console
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    for module in _PAGES:
        router.include_router(module.router)
    app.include_router(router)
    return console
