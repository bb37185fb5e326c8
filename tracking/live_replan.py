"""The problem of a replan during the day: where couriers are, what is on board, what is left.

A replan re-optimises the remaining work of a live plan from the state of the road:
- a departed route starts from the courier's latest position (or the last stop finished, or the
  depot) at `now`; the parcels still on board stay on that vehicle and nothing new can be
  loaded away from the depot, but open pickups may move; a stop the courier has arrived at is
  finished first;
- stops already done are fixed: they are carried into the new plan as they happened;
- routes not yet departed start at the depot at `now` at the earliest, so their stops can move
  between vehicles freely, together with the day's new and previously unserved orders;
- a vehicle out of service takes no work; goods on board of one that already departed cannot
  be served by anyone and are reported as stranded;
- promises that can no longer be kept are kept late at a cost instead of being dropped.
The current plan's sequences are the warm start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import NothingToPlan
from dispatch.problem_builder import (
    BuiltProblem,
    Lateness,
    PlanScope,
    VehicleOverride,
    build_problem,
    solver_vehicle_id,
    visit_id,
)
from dispatch.replanning import live_base
from infra.models import (
    Order,
    OrderKind,
    OrderStatus,
    PlanJob,
    Route,
    RouteStatus,
    Stop,
    Vehicle,
    VehicleStatus,
)
from infra.settings import ReplanSettings
from tracking.etas import courier_origin
from tracking.stop_events import StopProgress, progress_of
from tracking.stop_states import StopState, is_done

# Orders a replan may route: waiting for a route, on one, or on board.
_OPEN_STATUSES = (OrderStatus.PLANNABLE, OrderStatus.PLANNED, OrderStatus.OUT_FOR_DELIVERY)


@dataclass(frozen=True, slots=True)
class CarriedRoute:
    """A base route that is under way or done: what the new plan keeps of it as it happened."""

    route: Route
    done: tuple[Stop, ...]
    # Not done yet, in the planned order (only for a route under way).
    remaining: tuple[Stop, ...]
    # The vehicle may take part in the solve (it is under way and in service).
    replanned: bool


@dataclass(frozen=True, slots=True)
class ReplanInput:
    built: BuiltProblem
    # The base plan's remaining sequences on the vehicles taking part, as visit ids.
    initial_routes: Mapping[str, Sequence[str]]
    built_at: datetime
    carried: Mapping[int, CarriedRoute] = field(default_factory=dict)  # by vehicle id
    # Orders on board of a vehicle out of service, by order id: why nobody can serve them.
    stranded: Mapping[int, str] = field(default_factory=dict)


def build_replan(
    session: Session,
    job: PlanJob,
    *,
    zone: ZoneInfo,
    now: datetime,
    settings: ReplanSettings,
) -> ReplanInput:
    """The problem of a replan job from the state of the road at `now`.

    Raises NothingToPlan (also when the base plan is no longer live, or nothing is left to plan).
    """
    base = live_base(session, job)
    if now.astimezone(zone).date() > base.service_date:
        raise NothingToPlan(
            f"the day {base.service_date} is over; there is nothing to replan",
            plan_id=base.id,
        )
    scope = PlanScope(base.service_date, base.depot_id)
    in_service = set(
        session.scalars(select(Vehicle.id).where(Vehicle.status == VehicleStatus.IN_SERVICE))
    )
    all_stops = [s for r in base.routes for s in r.stops]
    progress = progress_of(session, [s.id for s in all_stops])
    # One query (with its eager loads) instead of one per stop: replans must be quick.
    kind_of = {
        o.id: o.kind
        for o in session.scalars(select(Order).where(Order.id.in_({s.order_id for s in all_stops})))
    }

    carried: dict[int, CarriedRoute] = {}
    overrides: dict[int, VehicleOverride] = {}
    stranded: dict[int, str] = {}
    candidates: list[int] = []
    busy: set[int] = set()
    for route in base.routes:
        stops = list(route.stops)
        if route.status is RouteStatus.PLANNED:
            candidates += [s.order_id for s in stops]
            overrides[route.vehicle_id] = VehicleOverride(ready_at=now)
            continue
        busy.add(route.vehicle_id)
        done = tuple(s for s in stops if is_done(progress[s.id].state))
        remaining = tuple(s for s in stops if not is_done(progress[s.id].state))
        under_way = route.status is RouteStatus.DEPARTED and route.vehicle_id in in_service
        carried[route.vehicle_id] = CarriedRoute(route, done, remaining, replanned=under_way)
        if route.status is RouteStatus.DONE:
            continue
        if not under_way:
            vehicle = session.get(Vehicle, route.vehicle_id)
            code = vehicle.code if vehicle else str(route.vehicle_id)
            for stop in remaining:
                if kind_of[stop.order_id] is OrderKind.PICKUP:
                    candidates.append(stop.order_id)  # nothing on board yet: others may go
                else:
                    stranded[stop.order_id] = (
                        f"on board of vehicle {code}, which went out of service on its route; "
                        f"the goods must be fetched from it"
                    )
            continue
        candidates += [s.order_id for s in remaining]
        overrides[route.vehicle_id] = _under_way(
            session, route, stops, remaining, progress, kind_of, now, settings.finish_grace_s
        )

    order_ids = _open_orders(session, base.service_date, base.depot_id, candidates, stranded)
    vehicle_ids = [v for v in in_service if v not in busy or carried[v].replanned]
    for vehicle_id in vehicle_ids:
        # A van the base plan left idle is at its depot, free from now (not from its shift's
        # start, which may be hours ago).
        overrides.setdefault(vehicle_id, VehicleOverride(ready_at=now))
    built = build_problem(
        session,
        scope,
        zone=zone,
        order_ids=order_ids,
        vehicle_ids=vehicle_ids,
        overrides={v: o for v, o in overrides.items() if v in vehicle_ids},
        lateness=Lateness(settings.max_lateness_s, settings.lateness_cost_per_hour),
    )
    known = set(built.order_of_visit.values())
    available = set(built.vehicle_of.values())
    initial: dict[str, list[str]] = {}
    for route in base.routes:
        if route.vehicle_id not in available:
            continue
        if route.status is RouteStatus.PLANNED:
            sequence = [s.order_id for s in route.stops]
        else:
            sequence = [s.order_id for s in carried[route.vehicle_id].remaining]
        initial[solver_vehicle_id(route.vehicle_id)] = [visit_id(o) for o in sequence if o in known]
    return ReplanInput(built, initial, now, carried, stranded)


def _under_way(
    session: Session,
    route: Route,
    stops: list[Stop],
    remaining: tuple[Stop, ...],
    progress: Mapping[int, StopProgress],
    kind_of: Mapping[int, OrderKind],
    now: datetime,
    finish_grace_s: int,
) -> VehicleOverride:
    """A departed vehicle: from where the courier is, with what is on board, working up to
    `finish_grace_s` past the end of the shift (or past now, once the shift is over)."""
    on_board = {s.order_id for s in remaining if kind_of[s.order_id] is OrderKind.DELIVERY}
    at_stop = (
        remaining[0] if remaining and progress[remaining[0].id].state is StopState.ARRIVED else None
    )
    if at_stop is not None:
        # Service has begun: that stop is finished first, from where it is.
        order = session.get(Order, at_stop.order_id)
        assert order is not None  # a foreign key
        lat, lng = order.lat, order.lng
        fixed: tuple[int, ...] = (at_stop.order_id,)
    else:
        _origin, _since, (lat, lng) = courier_origin(session, route, stops, dict(progress))
        fixed = ()
    return VehicleOverride(
        start_lat=lat,
        start_lng=lng,
        ready_at=now,
        loaded_order_ids=frozenset(on_board),
        fixed_order_ids=fixed,
        can_load_at_start=False,
        overtime_s=finish_grace_s,
    )


def _open_orders(
    session: Session,
    day: date,
    depot_id: int | None,
    candidates: list[int],
    stranded: Mapping[int, str],
) -> list[int]:
    """The base plan's open stops plus the day's orders waiting for a route (new, or unserved)."""
    query = select(Order.id, Order.status).where(
        Order.service_date == day, Order.status.in_(_OPEN_STATUSES)
    )
    if depot_id is not None:
        query = query.where(Order.depot_id == depot_id)
    status: dict[int, OrderStatus] = {row[0]: row[1] for row in session.execute(query)}
    waiting = {o for o, s in status.items() if s is OrderStatus.PLANNABLE}
    wanted = {o for o in candidates if o in status} | waiting
    return sorted(wanted - set(stranded))
