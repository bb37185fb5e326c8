"""What couriers report from the road (pings, stop events) and the ETAs projected from it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import CourierActor, StaffActor, courier_scope
from api.deps import IdPath, NowDep, SessionDep, SettingsDep
from api.schemas.tracking import (
    PingBatchIn,
    PingBatchOut,
    RouteEtasOut,
    StopEventIn,
    StopEventOut,
)
from dispatch import replanning
from dispatch import routes as dispatch_routes
from infra.models import ReplanTrigger
from orders import service as orders
from tracking import etas, pings, stop_events
from tracking.plausibility import Limits
from tracking.stop_states import StopState

router = APIRouter(tags=["tracking"])


@router.post("/courier/me/pings")
def post_pings(
    body: PingBatchIn, session: SessionDep, settings: SettingsDep, now: NowDep, actor: CourierActor
) -> PingBatchOut:
    """Couriers: a batch of position pings; each is accepted, a duplicate, or rejected with why."""
    result = pings.record_pings(
        session,
        actor.courier_id or 0,
        [p.to_domain() for p in body.pings],
        now=now,
        limits=Limits.of(settings.tracking),
    )
    return PingBatchOut.of(result)


@router.post("/courier/me/stops/{stop_id}/events", status_code=201)
def post_stop_event(
    stop_id: IdPath,
    body: StopEventIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: CourierActor,
) -> StopEventOut:
    """Couriers: an event at a stop of their departed route; a retry (same client_event_id)
    answers 200 with the first outcome."""
    recorded = stop_events.record_stop_event(
        session, actor.courier_id or 0, stop_id, body.to_domain(), now=now
    )
    if recorded.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    elif recorded.state is StopState.FAILED:
        route = dispatch_routes.get_route(session, recorded.event.route_id)
        order = orders.get_order(session, recorded.event.order_id)
        replanning.propose_replan(
            session,
            route.plan_id,
            trigger=ReplanTrigger.FAILED_ATTEMPT,
            reason=f"failed attempt at order {order.reference or order.tracking_code}",
            now=now,
            settings=settings.replanning,
        )
    return StopEventOut.of(recorded)


@router.get("/routes/{route_id}/etas")
def get_route_etas(
    route_id: IdPath, session: SessionDep, settings: SettingsDep, now: NowDep, actor: StaffActor
) -> RouteEtasOut:
    """Dispatchers and admins; a courier their own route: ETAs of the remaining stops."""
    projected = etas.route_etas(
        session, route_id, as_courier=courier_scope(actor), now=now, settings=settings.tracking
    )
    return RouteEtasOut.of(projected)
