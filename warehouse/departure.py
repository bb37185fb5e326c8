"""The departure gate: a route leaves only with a published plan, an inspected vehicle and
no held goods on board."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import VehicleOutOfService
from dispatch.routes import get_route
from infra.errors import IdValue
from infra.models import (
    BatchAllocation,
    Order,
    OrderLine,
    OrderStatus,
    PlanStatus,
    Route,
    RouteStatus,
    Vehicle,
    VehicleStatus,
)
from orders import timeline
from tracking import live_feed, notifications
from warehouse import inspections, stock
from warehouse.errors import (
    InspectionFailed,
    InspectionMissing,
    PlanNotPublished,
    RouteAlreadyDeparted,
    RouteHasHeldItems,
)


def depart_route(
    session: Session, route_id: int, *, as_courier: int | None, now: datetime
) -> Route:
    """Lets a route leave the depot: its orders go out for delivery, and their customers are
    told so in the same transaction (once: a route departs once).

    The live pages are told in the same transaction too. Refused unless the route's plan is
    published, its vehicle is in service with a passed inspection on the plan's day (the latest
    log counts), and none of its goods is held.
    Raises RouteNotFound, RouteAlreadyDeparted, PlanNotPublished, VehicleOutOfService,
    InspectionMissing, InspectionFailed, RouteHasHeldItems.
    """
    route = get_route(session, route_id, as_courier=as_courier)
    if route.status is not RouteStatus.PLANNED:
        raise RouteAlreadyDeparted(
            f"route {route_id} is already {route.status.value}", route_id=route_id
        )
    plan = route.plan
    if plan.status is not PlanStatus.PUBLISHED:
        raise PlanNotPublished(
            f"route {route_id} belongs to plan {plan.id}, which is {plan.status.value}, "
            "not published",
            route_id=route_id,
            plan_id=plan.id,
        )
    vehicle = session.get(Vehicle, route.vehicle_id)
    assert vehicle is not None  # a foreign key
    day = plan.service_date
    ids: dict[str, IdValue] = {"route_id": route_id, "vehicle_id": vehicle.id, "day": str(day)}
    if vehicle.status is not VehicleStatus.IN_SERVICE:
        raise VehicleOutOfService(
            f"vehicle {vehicle.code} is out of service until a repair is recorded", **ids
        )
    latest = inspections.latest_inspection(session, vehicle.id, day)
    if latest is None:
        raise InspectionMissing(f"vehicle {vehicle.code} has no passed inspection on {day}", **ids)
    if not latest.passed:
        raise InspectionFailed(
            f"the latest inspection of vehicle {vehicle.code} on {day} "
            f"(inspection {latest.id}) failed; a passing inspection is needed",
            inspection_id=latest.id,
            **ids,
        )
    held = held_orders_on(session, route)
    if held:
        raise RouteHasHeldItems(
            f"route {route_id} carries held goods (orders {', '.join(map(str, held))})",
            order_id=held[0],
            **ids,
        )
    route.status = RouteStatus.DEPARTED
    route.departed_at = now
    order_ids = [s.order_id for s in route.stops]
    if order_ids:
        for order in session.scalars(
            select(Order).where(Order.id.in_(order_ids), Order.status == OrderStatus.PLANNED)
        ):
            order.status = OrderStatus.OUT_FOR_DELIVERY
            notifications.notify_customer(session, order, notifications.OUT_FOR_DELIVERY, now=now)
            timeline.record(
                session,
                order.id,
                timeline.OUT_FOR_DELIVERY,
                {
                    "route_id": route.id,
                    "vehicle_code": vehicle.code,
                    "courier_id": route.courier_id,
                },
                at=now,
            )
    live_feed.route_departed(session, route)
    session.flush()
    return route


def held_orders_on(session: Session, route: Route) -> list[int]:
    """Orders on the route that are held, or whose allocated goods sit in a held batch."""
    order_ids = [s.order_id for s in route.stops]
    if not order_ids:
        return []
    held = set(
        session.scalars(
            select(Order.id).where(Order.id.in_(order_ids), Order.status == OrderStatus.HELD)
        )
    )
    allocated = session.execute(
        select(OrderLine.order_id, BatchAllocation.batch_id)
        .join(OrderLine, BatchAllocation.order_line_id == OrderLine.id)
        .where(OrderLine.order_id.in_(order_ids), BatchAllocation.released_at.is_(None))
    ).all()
    blocked = stock.held_batch_ids(session, {batch_id for _, batch_id in allocated})
    held |= {order_id for order_id, batch_id in allocated if batch_id in blocked}
    return sorted(held)
