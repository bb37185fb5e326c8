"""The day on the road at a glance: each courier's route, position, next stop and late stops."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.models import (
    Courier,
    LiveEvent,
    Order,
    OrderStatus,
    Plan,
    PlanStatus,
    Route,
    RouteStatus,
    Stop,
    Vehicle,
)
from tracking import lateness, pings
from tracking.stop_events import progress_of
from tracking.stop_states import is_done


@dataclass(frozen=True, slots=True)
class Position:
    lat: float
    lng: float
    device_at: datetime


@dataclass(frozen=True, slots=True)
class NextStop:
    stop_id: int
    order_id: int
    sequence: int
    reference: str
    planned_arrival_at: datetime
    # The latest ETA the live pages were given, if any since the departure.
    eta_at: datetime | None


@dataclass(frozen=True, slots=True)
class CourierOnRoute:
    courier_id: int
    courier_name: str
    vehicle_id: int
    vehicle_code: str
    depot_id: int | None
    route_id: int
    plan_id: int
    route_status: RouteStatus
    departed_at: datetime | None
    # Shown once the route departed, from the courier's latest ping since then.
    position: Position | None
    next_stop: NextStop | None
    stops_total: int
    stops_done: int
    late_stops: int


def couriers_on_day(
    session: Session, day: date, *, depot_id: int | None = None
) -> list[CourierOnRoute]:
    """Every courier with a route in the day's published plans, by route order."""
    query = (
        select(Route, Vehicle, Courier)
        .join(Plan, Route.plan_id == Plan.id)
        .join(Vehicle, Route.vehicle_id == Vehicle.id)
        .join(Courier, Route.courier_id == Courier.id)
        .where(Plan.service_date == day, Plan.status == PlanStatus.PUBLISHED)
        .order_by(Route.plan_id, Route.sequence)
    )
    rows = [
        (route, vehicle, courier)
        for route, vehicle, courier in session.execute(query)
        if depot_id is None or (vehicle.depot_id or route.plan.depot_id) == depot_id
    ]
    all_stops = [s for route, _, _ in rows for s in route.stops]
    progress = progress_of(session, [s.id for s in all_stops])
    route_of_order = {s.order_id: s.route_id for s in all_stops}
    late_per_route = Counter(
        route_of_order[s.order_id]
        for s in lateness.late_stops(session, day=day, depot_id=depot_id)
        if s.order_id in route_of_order
    )
    found = []
    for route, vehicle, courier in rows:
        stops = list(route.stops)
        done = [s for s in stops if is_done(progress[s.id].state)]
        upcoming = next((s for s in stops if not is_done(progress[s.id].state)), None)
        found.append(
            CourierOnRoute(
                courier_id=courier.id,
                courier_name=courier.name,
                vehicle_id=vehicle.id,
                vehicle_code=vehicle.code,
                depot_id=vehicle.depot_id or route.plan.depot_id,
                route_id=route.id,
                plan_id=route.plan_id,
                route_status=route.status,
                departed_at=route.departed_at,
                position=_position(session, route),
                next_stop=_next_stop(session, route, upcoming),
                stops_total=len(stops),
                stops_done=len(done),
                late_stops=late_per_route[route.id],
            )
        )
    return found


def finished_orders(
    session: Session, day: date, *, depot_id: int | None = None
) -> tuple[list[int], list[int]]:
    """The day's orders (of depot `depot_id` only unless it is None) delivered (or picked up)
    and those whose attempt failed, by id."""
    query = select(Order.id, Order.status).where(
        Order.service_date == day,
        Order.status.in_((OrderStatus.DELIVERED, OrderStatus.FAILED)),
    )
    if depot_id is not None:
        query = query.where(Order.depot_id == depot_id)
    rows = session.execute(query).all()
    delivered = [order_id for order_id, status in rows if status is OrderStatus.DELIVERED]
    failed = [order_id for order_id, status in rows if status is OrderStatus.FAILED]
    return delivered, failed


def _position(session: Session, route: Route) -> Position | None:
    if route.departed_at is None or route.courier_id is None:
        return None
    latest = pings.latest_position(session, route.courier_id)
    if latest is None or latest.device_at < route.departed_at:
        return None
    return Position(latest.lat, latest.lng, latest.device_at)


def _next_stop(session: Session, route: Route, stop: Stop | None) -> NextStop | None:
    if stop is None:
        return None
    order = session.get(Order, stop.order_id)
    assert order is not None  # a foreign key
    eta_at = None
    if route.status is RouteStatus.DEPARTED:
        last = session.scalars(
            select(LiveEvent.payload)
            .where(LiveEvent.route_id == route.id, LiveEvent.kind == lateness.ETAS)
            .order_by(LiveEvent.id.desc())
            .limit(1)
        ).first()
        item = next((s for s in (last or {}).get("stops", []) if s["stop_id"] == stop.id), None)
        eta_at = datetime.fromisoformat(item["eta_at"]) if item else None
    return NextStop(
        stop_id=stop.id,
        order_id=order.id,
        sequence=stop.sequence,
        reference=order.reference or order.tracking_code,
        planned_arrival_at=stop.planned_arrival_at,
        eta_at=eta_at,
    )
