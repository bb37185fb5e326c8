"""Re-timing one route after stops were taken off it (e.g. by a hold), checked by routing.

Only the route itself changes: its remaining stops keep their order and get new planned
times and loads from `routing.evaluate`; other routes of the plan are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch import plans
from dispatch.problem_builder import BuiltProblem, PlanScope, build_problem
from dispatch.routes import get_route
from infra.models import Route, RouteStatus, StopRemoval


@dataclass(frozen=True, slots=True)
class RetimedRoute:
    route_id: int
    plan_id: int
    stops: int
    # False when the route was left as it was; `why` says why.
    retimed: bool
    why: str | None = None


def retime_route(session: Session, route_id: int, *, zone: ZoneInfo, now: datetime) -> RetimedRoute:
    """Gives the route's remaining stops new planned times and loads, in their current order.

    The timed route is checked with `routing.validate`; when it breaks a rule (or the route has
    departed, or its vehicle is out of service) nothing is written and `why` says so. On success
    the route's open stop removals get `retimed_at`. Raises RouteNotFound.
    """
    route = get_route(session, route_id)
    plan = route.plan
    if route.status is not RouteStatus.PLANNED:
        return _kept(route, f"route {route_id} is {route.status.value}; its times stay")
    order_ids = [s.order_id for s in route.stops]
    if not order_ids:
        _write_empty(route)
        _mark_retimed(session, route.id, now)
        return RetimedRoute(route.id, plan.id, 0, retimed=True)
    built = build_problem(
        session,
        PlanScope(plan.service_date, plan.depot_id),
        zone=zone,
        order_ids=order_ids,
        vehicle_ids=[route.vehicle_id],
    )
    if route.vehicle_id not in built.vehicle_of.values():
        return _kept(route, f"the vehicle of route {route_id} is out of service; plan again")
    vehicle = built.solver_vehicle_id(route.vehicle_id)
    solution = routing.evaluate(built.problem, {vehicle: [built.visit_id(o) for o in order_ids]})
    violations = routing.validate(built.problem, solution)
    if violations:
        return _kept(
            route,
            f"route {route_id} cannot be re-timed as it stands: "
            + plans.violations_text(violations),
        )
    tour = next(t for t in solution.tours if t.vehicle_id == vehicle)
    _write_tour(route, built, tour)
    _mark_retimed(session, route.id, now)
    session.flush()
    return RetimedRoute(route.id, plan.id, len(order_ids), retimed=True)


def retime_routes(
    session: Session, route_ids: Iterable[int], *, zone: ZoneInfo, now: datetime
) -> list[RetimedRoute]:
    """`retime_route` for each distinct route, in id order."""
    return [retime_route(session, r, zone=zone, now=now) for r in sorted(set(route_ids))]


def _kept(route: Route, why: str) -> RetimedRoute:
    return RetimedRoute(route.id, route.plan_id, len(route.stops), retimed=False, why=why)


def _write_tour(route: Route, built: BuiltProblem, tour: routing.Tour) -> None:
    plan = route.plan
    clock = built.clock
    plan.total_distance_m += tour.distance_m - route.distance_m
    plan.total_duration_s += tour.duration_s - route.duration_s
    route.planned_start_at = clock.instant(tour.start_s)
    route.planned_end_at = clock.instant(tour.end_s)
    route.distance_m = tour.distance_m
    route.duration_s = tour.duration_s
    by_order = {s.order_id: s for s in route.stops}
    for arrival in tour.arrivals:
        stop = by_order[built.order_of_visit[arrival.visit_id]]
        weight_g, volume_cm3, parcels = (*arrival.load_after, 0, 0, 0)[:3]
        stop.planned_arrival_at = clock.instant(arrival.arrival_s)
        stop.planned_service_start_at = clock.instant(arrival.service_start_s)
        stop.planned_departure_at = clock.instant(arrival.departure_s)
        stop.load_weight_g_after = weight_g
        stop.load_volume_cm3_after = volume_cm3
        stop.load_parcels_after = parcels


def _write_empty(route: Route) -> None:
    # A route with nothing left to deliver stays (its removals point at it) but drives nowhere.
    plan = route.plan
    plan.total_distance_m -= route.distance_m
    plan.total_duration_s -= route.duration_s
    route.planned_end_at = route.planned_start_at
    route.distance_m = 0
    route.duration_s = 0


def _mark_retimed(session: Session, route_id: int, now: datetime) -> None:
    for removal in session.scalars(
        select(StopRemoval).where(
            StopRemoval.route_id == route_id, StopRemoval.retimed_at.is_(None)
        )
    ):
        removal.retimed_at = now
