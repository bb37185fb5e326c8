"""Daily plans: start a planning job, follow it, read, edit and publish the plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import DispatchActor
from api.depot_scope import DepotFilter, PlanId, PlanJobId, depot_in_scope
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.plans import MoveIn, PlanJobOut, PlanOut, PlanRequest, PlanSummaryOut
from dispatch import plan_edits, plan_geo, plans, publishing

router = APIRouter(tags=["plans"])


@router.post("/plans", status_code=202)
def request_plan(
    payload: PlanRequest, session: SessionDep, settings: SettingsDep, actor: DispatchActor
) -> PlanJobOut:
    """Dispatchers and admins: queues a planning job; follow it at `/plan-jobs/{id}`."""
    job = plans.request_plan(
        session,
        service_date=payload.service_date,
        depot_id=depot_in_scope(session, actor, payload.depot_id),
        requested_by_id=actor.user_id,
        time_limit_s=payload.time_limit_s or settings.planning.solver_time_limit_s,
    )
    return PlanJobOut.model_validate(job)


@router.get("/plan-jobs/{job_id}")
def get_plan_job(job_id: PlanJobId, session: SessionDep, _actor: DispatchActor) -> PlanJobOut:
    """Dispatchers and admins: status, progress and, once done, the plan id or the error."""
    return PlanJobOut.model_validate(plans.get_job(session, job_id))


@router.get("/plans")
def list_plans(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    service_date: date | None = None,
) -> list[PlanSummaryOut]:
    """Dispatchers and admins: plans, newest first."""
    found = plans.list_plans(session, service_date=service_date, depot_id=depot_id)
    return [PlanSummaryOut.of(p) for p in found]


@router.get("/plans/{plan_id}")
def get_plan(plan_id: PlanId, session: SessionDep, _actor: DispatchActor) -> PlanOut:
    """Dispatchers and admins: routes with timed stops, unserved orders with reasons, totals."""
    plan = plans.get_plan(session, plan_id)
    return PlanOut.of_plan(plan, plans.orders_of(session, plan))


@router.get(
    "/plans/{plan_id}/geojson",
    response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def get_plan_geojson(plan_id: PlanId, session: SessionDep, _actor: DispatchActor) -> JSONResponse:
    """Dispatchers and admins: routes as LineStrings, stops and unserved orders as Points."""
    body: dict[str, Any] = plan_geo.plan_geojson(session, plans.get_plan(session, plan_id))
    return JSONResponse(body, media_type="application/geo+json")


@router.post("/plans/{plan_id}/moves")
def move_stop(
    plan_id: PlanId,
    payload: MoveIn,
    session: SessionDep,
    settings: SettingsDep,
    _actor: DispatchActor,
) -> PlanOut:
    """Dispatchers and admins: moves a stop; refused (409) when the result breaks a rule."""
    plan = plan_edits.move_stop(
        session,
        plan_id,
        order_id=payload.order_id,
        route_id=payload.route_id,
        position=payload.position,
        zone=settings.operation.zone,
    )
    return PlanOut.of_plan(plan, plans.orders_of(session, plan))


@router.post("/plans/{plan_id}/publish")
def publish_plan(
    plan_id: PlanId, session: SessionDep, now: NowDep, _actor: DispatchActor
) -> PlanOut:
    """Dispatchers and admins: routes go to the couriers; the day's earlier plan is superseded."""
    plan = publishing.publish_plan(session, plan_id, now=now)
    return PlanOut.of_plan(plan, plans.orders_of(session, plan))
