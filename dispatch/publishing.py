"""Publishing a plan to the couriers, and the manifest each courier reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import plans
from dispatch.errors import NoRouteAssigned, PlanNotEditable
from infra.models import Order, OrderStatus, Plan, PlanStatus, Route, Shift, Stop, Vehicle
from orders import timeline
from tracking import notifications

# Orders a publication may move to `planned`; later states belong to the route being driven.
_REPLANNABLE = (OrderStatus.PLANNABLE, OrderStatus.PLANNED)
# Orders a publication puts on their timeline: to be served by this plan's routes.
_ROUTED = (OrderStatus.PLANNED, OrderStatus.OUT_FOR_DELIVERY)


def publish_plan(session: Session, plan_id: int, *, now: datetime) -> Plan:
    """Hands a draft plan to the couriers.

    Each route goes to the courier whose shift that day drives its vehicle; the plan published
    before for the same day and depot is superseded (its orders not in this plan become
    plannable again) and this plan's routed orders become `planned`. Customers whose order is
    new on a route, or planned in another window than before, are told their window.
    Raises PlanNotFound, PlanNotEditable.
    """
    plan = plans.get_plan(session, plan_id)
    if plan.status is not PlanStatus.DRAFT:
        raise PlanNotEditable(
            f"plan {plan_id} is {plan.status.value}; only a draft plan can be published",
            plan_id=plan_id,
        )
    depot_match = (
        Plan.depot_id.is_(None) if plan.depot_id is None else Plan.depot_id == plan.depot_id
    )
    previous = session.scalars(
        select(Plan).where(
            Plan.service_date == plan.service_date,
            depot_match,
            Plan.status == PlanStatus.PUBLISHED,
            Plan.id != plan.id,
        )
    )
    told: dict[int, notifications.Window | None] = {}
    for old in previous:
        told |= _windows(session, old)
        old.status = PlanStatus.SUPERSEDED
        _set_status(session, _routed_order_ids(old), OrderStatus.PLANNABLE)
    shifts = {
        s.vehicle_id: s
        for s in session.scalars(
            select(Shift).where(
                Shift.day == plan.service_date,
                Shift.vehicle_id.in_([r.vehicle_id for r in plan.routes]),
            )
        )
    }
    for route in plan.routes:
        shift = shifts.get(route.vehicle_id)
        route.shift_id = shift.id if shift else None
        route.courier_id = shift.courier_id if shift else None
    waiting = _set_status(session, _routed_order_ids(plan), OrderStatus.PLANNED)
    _tell_windows(session, plan, told, waiting, now=now)
    _record_on_timelines(session, plan, set(told), now=now)
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = now
    session.flush()
    return plan


def _windows(session: Session, plan: Plan) -> dict[int, notifications.Window | None]:
    """The window each routed order of `plan` is told (see `notifications.planned_window`)."""
    orders = plans.orders_of(session, plan)
    return {
        s.order_id: notifications.planned_window(orders[s.order_id], s.planned_service_start_at)
        for r in plan.routes
        for s in r.stops
    }


def _tell_windows(
    session: Session,
    plan: Plan,
    told: dict[int, notifications.Window | None],
    waiting: list[Order],
    *,
    now: datetime,
) -> None:
    """Queues the window notice for each order not yet under way that is new on a route or
    whose window changed; a republish with the same windows sends nothing."""
    windows = _windows(session, plan)
    for order in sorted(waiting, key=lambda o: o.id):
        window = windows[order.id]
        if order.id not in told or told[order.id] != window:
            notifications.notify_window(session, order, window, now=now)


def _record_on_timelines(session: Session, plan: Plan, earlier: set[int], *, now: datetime) -> None:
    """Puts the route, stop and planned arrival on the timeline of each order still to be
    served; an order the superseded plan routed too was replanned."""
    orders = plans.orders_of(session, plan)
    for route in plan.routes:
        vehicle = session.get(Vehicle, route.vehicle_id)
        assert vehicle is not None  # a foreign key
        for stop in route.stops:
            if orders[stop.order_id].status not in _ROUTED:
                continue
            timeline.record(
                session,
                stop.order_id,
                timeline.REPLANNED if stop.order_id in earlier else timeline.PLANNED,
                {
                    "plan_id": plan.id,
                    "route_id": route.id,
                    "vehicle_code": vehicle.code,
                    "courier_id": route.courier_id,
                    "sequence": stop.sequence,
                    "planned_arrival_at": stop.planned_arrival_at.isoformat(),
                    "planned_service_start_at": stop.planned_service_start_at.isoformat(),
                },
                at=now,
            )


def _routed_order_ids(plan: Plan) -> list[int]:
    return [s.order_id for r in plan.routes for s in r.stops]


def _set_status(session: Session, order_ids: list[int], status: OrderStatus) -> list[Order]:
    """Moves the orders not yet under way to `status`; returns them."""
    if not order_ids:
        return []
    changed = list(
        session.scalars(
            select(Order).where(Order.id.in_(order_ids), Order.status.in_(_REPLANNABLE))
        )
    )
    for order in changed:
        order.status = status
    return changed


@dataclass(frozen=True, slots=True)
class ManifestStop:
    stop: Stop
    order: Order


@dataclass(frozen=True, slots=True)
class Manifest:
    route: Route
    vehicle: Vehicle
    stops: tuple[ManifestStop, ...]


def courier_manifest(session: Session, courier_id: int, *, day: date) -> Manifest:
    """The courier's route of the published plan of `day`, stop by stop. Raises NoRouteAssigned."""
    route = session.scalar(
        select(Route)
        .join(Plan, Route.plan_id == Plan.id)
        .where(
            Route.courier_id == courier_id,
            Plan.service_date == day,
            Plan.status == PlanStatus.PUBLISHED,
        )
        .order_by(Route.id.desc())
        .limit(1)
    )
    if route is None:
        raise NoRouteAssigned(
            f"courier {courier_id} has no route in a published plan on {day}",
            courier_id=courier_id,
            day=str(day),
        )
    orders = {
        o.id: o
        for o in session.scalars(
            select(Order).where(Order.id.in_([s.order_id for s in route.stops]))
        )
    }
    vehicle = session.get(Vehicle, route.vehicle_id)
    assert vehicle is not None  # a foreign key
    return Manifest(
        route=route,
        vehicle=vehicle,
        stops=tuple(ManifestStop(s, orders[s.order_id]) for s in route.stops),
    )
