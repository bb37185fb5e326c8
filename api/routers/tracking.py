"""What couriers report from the road (pings, stop events) and the ETAs projected from it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from api.auth import CourierActor, StaffActor, courier_scope
from api.depot_scope import RouteId
from api.deps import IdPath, NowDep, SessionDep, SettingsDep
from api.schemas.tracking import (
    PingBatchIn,
    PingBatchOut,
    RouteEtasOut,
    StopEventIn,
    StopEventOut,
)
from customers import compensation
from dispatch import replanning
from dispatch import routes as dispatch_routes
from infra import metrics
from infra.models import ReplanTrigger
from infra.settings import Settings
from orders import service as orders
from tracking import etas, pings, stop_events
from tracking.lateness import LatenessChange
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
        eta_settings=settings.tracking,
    )
    _propose_if_late(session, result.lateness, now=now, settings=settings)
    metrics.PINGS_ACCEPTED.inc(len(result.accepted))
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
        session,
        actor.courier_id or 0,
        stop_id,
        body.to_domain(),
        now=now,
        eta_settings=settings.tracking,
    )
    # Idempotent per (order, rule): a replayed report re-evaluates and issues nothing new.
    order = orders.get_order(session, recorded.event.order_id)
    compensation.evaluate_order(session, order, settings=settings.service, now=now)
    if recorded.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    elif recorded.state is StopState.FAILED:
        route = dispatch_routes.get_route(session, recorded.event.route_id)
        replanning.propose_replan(
            session,
            route.plan_id,
            trigger=ReplanTrigger.FAILED_ATTEMPT,
            reason=f"failed attempt at order {order.reference or order.tracking_code}",
            now=now,
            settings=settings.replanning,
        )
    else:
        _propose_if_late(session, recorded.lateness, now=now, settings=settings)
    return StopEventOut.of(recorded)


def _propose_if_late(
    session: Session, change: LatenessChange | None, *, now: datetime, settings: Settings
) -> None:
    """Stops that just became late ask for a replan of their plan (debounced like failed
    attempts: a slow courier makes several stops late one ping after another)."""
    if change is None or not change.became_late:
        return
    worst = max(change.became_late, key=lambda s: s.late_by_s)
    route = dispatch_routes.get_route(session, worst.route_id)
    replanning.propose_replan(
        session,
        route.plan_id,
        trigger=ReplanTrigger.LATE,
        reason=(
            f"{len(change.became_late)} stop(s) projected late, order "
            f"{worst.reference} by {round(worst.late_by_s / 60)} min"
        ),
        now=now,
        settings=settings.replanning,
    )


@router.get("/routes/{route_id}/etas")
def get_route_etas(
    route_id: RouteId, session: SessionDep, settings: SettingsDep, now: NowDep, actor: StaffActor
) -> RouteEtasOut:
    """Dispatchers and admins; a courier their own route: ETAs of the remaining stops."""
    projected = etas.route_etas(
        session, route_id, as_courier=courier_scope(actor), now=now, settings=settings.tracking
    )
    return RouteEtasOut.of(projected)
