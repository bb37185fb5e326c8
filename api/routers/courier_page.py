"""The courier's own page: a phone page over the courier API that keeps working offline.

The page is a shell; its script (static, under `STATIC_URL`) reads the day from
`GET /courier/me/day` and sends every action through a queue kept in the browser. The service
worker keeps the shell and the script, so the page also opens without network.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import TOKEN_COOKIE, actor_of_token
from api.deps import NowDep, SessionDep, SettingsDep
from api.errors import NotAuthenticated
from infra.models import Role

PAGE_URL = "/courier"
SERVICE_WORKER_URL = "/courier/sw.js"
STATIC_URL = "/static/courier"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "courier"
PAGE_PATHS = frozenset({PAGE_URL, SERVICE_WORKER_URL})

# Autoescaping on for every template name: the default only covers names ending in .html.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
        autoescape=True,
    )
)
router = APIRouter(include_in_schema=False)


@router.get(PAGE_URL)
def courier_page(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    try:
        actor = actor_of_token(request.cookies.get(TOKEN_COOKIE), session, settings, now)
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    if actor.role is not Role.COURIER:
        # A page, not a problem document: whoever opened it is looking at a browser.
        return templates.TemplateResponse(
            request, "courier.html.j2", {"actor": actor, "refused": True}, status_code=403
        )
    return templates.TemplateResponse(
        request,
        "courier.html.j2",
        {
            "actor": actor,
            "refused": False,
            "static_url": STATIC_URL,
            "service_worker_url": SERVICE_WORKER_URL,
        },
        # The service worker keeps its own copy for offline use; the browser should not.
        headers={"Cache-Control": "no-cache"},
    )


@router.get(SERVICE_WORKER_URL)
def service_worker() -> FileResponse:
    # Served under /courier (not /static) with this header so that it may control the page.
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": PAGE_URL, "Cache-Control": "no-cache"},
    )
