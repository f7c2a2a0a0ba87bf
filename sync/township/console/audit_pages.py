"""The audit log (administrators only): newest entries first, and whether the chain
verifies."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.township.console.web import View, page
from sync.township.users import Role

router = APIRouter()


@router.get("/audit")
async def audit(request: Request) -> Response:
    return await page(request, Role.ADMIN, _audit)


def _audit(view: View) -> Response:
    before = view.query("before")
    log = view.console.audit
    limit = view.console.config.page_size
    entries = log.page(int(before) if before.isdigit() and len(before) <= 10 else None,
                       limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return view.render("audit.html", entries=entries, check=log.verify(),
                       next_before=entries[-1].id if more else None, active="audit")
