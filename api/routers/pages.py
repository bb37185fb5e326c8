"""The dispatcher's pages: sign-in form, the day's plans with their map, planning progress."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api import live_panel, page_panels
from api.auth import TOKEN_COOKIE, Actor, RoleDenied, actor_of_token, issue_token
from api.depot_scope import check_in_scope
from api.deps import IdPath, NowDep, SessionDep, SettingsDep
from api.errors import NotAuthenticated
from dispatch import plan_geo, plans
from dispatch.depot_scope import Kind
from dispatch.plan_map import render_plan_map
from infra import accounts
from infra.models import Role

LEAFLET_URL = "/static/leaflet"
PAGE_PATHS = frozenset({"/", "/login", "/logout", "/dispatch", "/dispatch/plans/{plan_id}/map"})

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
router = APIRouter(include_in_schema=False)


def _page_actor(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Actor | None:
    try:
        actor = actor_of_token(request.cookies.get(TOKEN_COOKIE), session, settings, now)
    except NotAuthenticated:
        return None
    if actor.role not in (Role.DISPATCHER, Role.ADMIN):
        raise RoleDenied(
            f"a {actor.role.value} may not open the dispatcher pages", role=actor.role.value
        )
    return actor


def _landing(role: Role) -> str:
    """Where a signed-in user starts: couriers on their own page, everyone else dispatching."""
    return "/courier" if role is Role.COURIER else "/dispatch"


@router.get("/")
def home(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> RedirectResponse:
    try:
        actor = actor_of_token(request.cookies.get(TOKEN_COOKIE), session, settings, now)
    except NotAuthenticated:
        return RedirectResponse("/dispatch", status_code=303)
    return RedirectResponse(_landing(actor.role), status_code=303)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html.j2", {"error": None})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=256)],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    user = accounts.authenticate(session, username=username, password=password)
    if user is None:
        return templates.TemplateResponse(
            request,
            "login.html.j2",
            {"error": "Unknown username or wrong password."},
            status_code=401,
        )
    token, ttl_s = issue_token(settings, user, now=now)
    response = RedirectResponse(_landing(user.role), status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=ttl_s,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.get("/dispatch")
def dispatch_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    day: date | None = None,
    plan_id: int | None = None,
) -> Response:
    actor = _page_actor(request, session, settings, now)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    zone = settings.operation.zone
    service_day = day or now.astimezone(zone).date()
    # A depot-scoped dispatcher's page is their depot's, as their lists in the API are.
    depot_id = actor.depot_id
    day_plans = plans.list_plans(session, service_date=service_day, depot_id=depot_id)
    selected = next((p for p in day_plans if p.id == plan_id), None)
    if selected is None and day_plans:
        selected = day_plans[0]
    orders = plans.orders_of(session, selected) if selected else {}
    unserved = [(u, orders[u.order_id]) for u in selected.unserved] if selected else []
    return templates.TemplateResponse(
        request,
        "dispatch.html.j2",
        {
            "actor": actor,
            "day": service_day,
            "plans": day_plans,
            "plan": selected,
            "unserved": unserved,
            "holds": page_panels.active_holds(session, depot_id=depot_id),
            "vehicles": page_panels.fleet_status(session, service_day, depot_id=depot_id),
            "notifications": page_panels.recent_notifications(session, depot_id=depot_id),
            "live": live_panel.live_panel(session, service_day, depot_id=depot_id),
            "zone": zone,
        },
    )


@router.get("/dispatch/plans/{plan_id}/map")
def plan_map(
    plan_id: IdPath, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    actor = _page_actor(request, session, settings, now)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    # Another depot's plan is a 404 to a depot-scoped dispatcher, as in GET /plans/{plan_id}.
    check_in_scope(session, actor, Kind.PLAN, plan_id)
    plan = plans.get_plan(session, plan_id)
    view = plan_geo.plan_map_view(session, plan, zone=settings.operation.zone)
    page = render_plan_map(
        view,
        tiles=settings.map.tile_url or None,
        attribution=settings.map.tile_attribution,
        leaflet_url=LEAFLET_URL,
    )
    return HTMLResponse(page)
