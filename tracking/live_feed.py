"""What the live pages are told as it happens on the road: a courier moved, a stop changed, a
route left or finished. Each is recorded in the transaction of its cause (see infra.live_events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager

from infra import live_events
from infra.models import (
    Courier,
    Order,
    Plan,
    PlanStatus,
    PositionPing,
    Route,
    RouteStatus,
    Stop,
    StopEvent,
    Vehicle,
)

POSITION = "position"
STOP_EVENT = "stop_event"
ROUTE_DEPARTED = "route_departed"
ROUTE_FINISHED = "route_finished"


@dataclass(frozen=True, slots=True)
class RouteContext:
    """Who drives a route and where it belongs, as events name them. Holding the rows keeps
    them in the session's identity map, so the ETA refresh that follows reads them for free."""

    route: Route
    service_date: date
    depot_id: int | None
    vehicle: Vehicle
    courier: Courier | None

    @property
    def vehicle_code(self) -> str:
        return self.vehicle.code

    @property
    def courier_name(self) -> str | None:
        return self.courier.name if self.courier else None

    def record(self, session: Session, kind: str, payload: dict[str, Any], **ids: int) -> None:
        live_events.record(
            session,
            kind,
            {"route_id": self.route.id} | payload,
            service_date=self.service_date,
            depot_id=self.depot_id,
            route_id=self.route.id,
            courier_id=self.route.courier_id,
            **ids,
        )


def route_context(session: Session, route: Route, vehicle: Vehicle | None = None) -> RouteContext:
    """`vehicle`, the route's, when the caller has read it already."""
    vehicle = vehicle or session.get(Vehicle, route.vehicle_id)
    assert vehicle is not None  # a foreign key
    courier = session.get(Courier, route.courier_id) if route.courier_id else None
    return RouteContext(
        route,
        route.plan.service_date,
        # A plan for all depots has none; its vehicles still belong to one.
        vehicle.depot_id or route.plan.depot_id,
        vehicle,
        courier,
    )


# Built once, as for every ping of a courier on the road: building it anew cost more than
# running it. The plan and the vehicle name the live event that follows (`route_context`):
# read here, not by queries of their own.
_ROUTE_UNDER_WAY = (
    select(Route, Vehicle)
    .join(Plan, Route.plan_id == Plan.id)
    .join(Vehicle, Route.vehicle_id == Vehicle.id)
    .where(
        Route.courier_id == bindparam("courier_id"),
        Route.status == RouteStatus.DEPARTED,
        Plan.status == PlanStatus.PUBLISHED,
    )
    .options(contains_eager(Route.plan))
    .order_by(Route.departed_at.desc(), Route.id.desc())
    .limit(1)
)


def route_under_way(session: Session, courier_id: int) -> tuple[Route, Vehicle] | None:
    """The courier's departed route of a published plan (the latest departed, should a route
    of an earlier day never have been finished), with its vehicle."""
    found = session.execute(_ROUTE_UNDER_WAY, {"courier_id": courier_id}).first()
    return None if found is None else (found[0], found[1])


def courier_moved(session: Session, courier_id: int, latest: PositionPing) -> RouteContext | None:
    """Tells the live pages the courier's new latest position, and returns the route it was
    recorded for. Only a courier on a departed route is shown: before and after it the
    position is nobody's business, and it would belong to no day's map."""
    under_way = route_under_way(session, courier_id)
    if under_way is None:
        return None
    context = route_context(session, *under_way)
    context.record(
        session,
        POSITION,
        {
            "courier_id": courier_id,
            "courier_name": context.courier_name,
            "vehicle_code": context.vehicle_code,
            "lat": latest.lat,
            "lng": latest.lng,
            "device_at": latest.device_at.isoformat(),
            "accuracy_m": latest.accuracy_m,
            "speed_m_s": latest.speed_m_s,
            "heading_deg": latest.heading_deg,
        },
    )
    return context


def stop_changed(
    session: Session, route: Route, stop: Stop, order: Order, event: StopEvent, state: str
) -> RouteContext:
    """A stop event as the live pages show it, and the route's end when it was the last stop."""
    context = route_context(session, route)
    context.record(
        session,
        STOP_EVENT,
        {
            "stop_id": stop.id,
            "order_id": order.id,
            "sequence": stop.sequence,
            "reference": order.reference or order.tracking_code,
            "kind": event.kind.value,
            "state": state,
            "occurred_at": event.occurred_at.isoformat(),
            "failure_reason": event.failure_reason.value if event.failure_reason else None,
        },
        order_id=order.id,
    )
    if route.status is RouteStatus.DONE and route.finished_at is not None:
        context.record(session, ROUTE_FINISHED, {"finished_at": route.finished_at.isoformat()})
    return context


def route_departed(session: Session, route: Route) -> None:
    assert route.departed_at is not None
    context = route_context(session, route)
    context.record(
        session,
        ROUTE_DEPARTED,
        {
            "plan_id": route.plan_id,
            "vehicle_code": context.vehicle_code,
            "courier_name": context.courier_name,
            "departed_at": route.departed_at.isoformat(),
            "stops": len(route.stops),
        },
    )
