"""Database state -> routing.Problem: the only module that speaks both vocabularies.

Solver times are seconds since local midnight of the plan date in the operation's time zone
(`DayClock` converts in both directions); capacities are grams, cm3 and parcels. A later
replanning pass passes `VehicleOverride`s (current position, ready time, goods already on
board, stops that are done or committed) instead of the database defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch.csv_rows import SECONDS_PER_DAY
from dispatch.errors import NothingToPlan
from infra.models import (
    Depot,
    Order,
    OrderKind,
    OrderStatus,
    Shift,
    Vehicle,
    VehicleStatus,
    VehicleType,
)
from routing.matrix import HaversineProvider, MatrixProvider, SpeedProfile

DIMENSIONS = ("weight_g", "volume_cm3", "parcels")
# Orders in these states go into a new plan of their day; a published plan's orders are
# `planned` and may be planned again (the new plan supersedes the old one when published).
PLANNABLE_STATUSES = (OrderStatus.PLANNABLE, OrderStatus.PLANNED)
# Urban speeds; road distance is the great-circle distance stretched by the detour factor.
SPEED_PROFILES: Mapping[VehicleType, SpeedProfile] = {
    VehicleType.BICYCLE: SpeedProfile("bicycle", speed_kmh=15.0, detour_factor=1.25),
    VehicleType.CARGO_BIKE: SpeedProfile("cargo_bike", speed_kmh=13.0, detour_factor=1.25),
    VehicleType.SCOOTER: SpeedProfile("scooter", speed_kmh=25.0, detour_factor=1.3),
    VehicleType.CAR: SpeedProfile("car", speed_kmh=30.0, detour_factor=1.35),
    VehicleType.VAN: SpeedProfile("van", speed_kmh=25.0, detour_factor=1.35),
    VehicleType.TRUCK: SpeedProfile("truck", speed_kmh=22.0, detour_factor=1.4),
}
CENTS_PER_CURRENCY = 100


@dataclass(frozen=True, slots=True)
class DayClock:
    """Seconds since local midnight of `day` <-> UTC instants; the one place that converts."""

    day: date
    zone: ZoneInfo

    @property
    def midnight(self) -> datetime:
        return datetime.combine(self.day, time(0), tzinfo=self.zone)

    def seconds(self, instant: datetime) -> int:
        return round((instant - self.midnight).total_seconds())

    def wall_seconds(self, wall: time) -> int:
        local = datetime.combine(self.day, wall, tzinfo=self.zone)
        return self.seconds(local)

    def instant(self, seconds: int) -> datetime:
        return (self.midnight + timedelta(seconds=seconds)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class VehicleOverride:
    """What replanning knows better than the database about one vehicle."""

    # The courier's current position; None keeps the depot.
    start_lat: float | None = None
    start_lng: float | None = None
    # Free from this instant on (e.g. now); None means the start of the shift.
    ready_at: datetime | None = None
    # Orders already on board: they stay on this vehicle and need no reload.
    loaded_order_ids: frozenset[int] = frozenset()
    # Orders that must open the route in this order (committed to the courier).
    fixed_order_ids: tuple[int, ...] = ()
    # False when the vehicle is away from the depot and cannot load anything new.
    can_load_at_start: bool = True
    # The shift may end this much after the later of its end and `ready_at` (a courier on the
    # road finishing what is on board).
    overtime_s: int = 0


@dataclass(frozen=True, slots=True)
class Lateness:
    """How late a replan of a day under way may keep a promise, and what each hour late costs."""

    max_s: int
    cost_per_hour: float


@dataclass(frozen=True, slots=True)
class ExtraStop:
    """Visits that are not orders yet (a delivery slot being priced), at one place of their own;
    each visit's `location` is replaced by that place's index."""

    lat: float
    lng: float
    visits: tuple[routing.Visit, ...]


@dataclass(frozen=True, slots=True)
class PlanScope:
    service_date: date
    # None: every depot.
    depot_id: int | None = None


@dataclass(frozen=True, slots=True)
class BuiltProblem:
    """A Problem and the way back from its ids to database rows."""

    problem: routing.Problem
    clock: DayClock
    order_of_visit: Mapping[str, int]
    vehicle_of: Mapping[str, int]
    shift_of_vehicle: Mapping[str, int | None] = field(default_factory=dict)

    def visit_id(self, order_id: int) -> str:
        return visit_id(order_id)

    def solver_vehicle_id(self, vehicle_id: int) -> str:
        return solver_vehicle_id(vehicle_id)


def visit_id(order_id: int) -> str:
    return f"order-{order_id}"


def solver_vehicle_id(vehicle_id: int) -> str:
    return f"vehicle-{vehicle_id}"


def build_problem(
    session: Session,
    scope: PlanScope,
    *,
    zone: ZoneInfo,
    order_ids: Iterable[int] | None = None,
    vehicle_ids: Iterable[int] | None = None,
    overrides: Mapping[int, VehicleOverride] | None = None,
    provider: MatrixProvider | None = None,
    lateness: Lateness | None = None,
    extra: ExtraStop | None = None,
) -> BuiltProblem:
    """The routing Problem of a day (and depot): its plannable orders and in-service vehicles.

    `order_ids` / `vehicle_ids` restrict it to those rows (e.g. the ones already in a plan);
    `overrides` are keyed by vehicle id; `lateness` lets every window be kept late at a cost
    (replanning) instead of dropping the stop; `extra` adds visits that are not orders. Raises
    NothingToPlan when there is no depot, vehicle or order to plan with.
    """
    clock = DayClock(scope.service_date, zone)
    overrides = overrides or {}
    depots = _depots(session, scope)
    vehicles = _vehicles(session, scope, vehicle_ids)
    orders = _orders(session, scope, order_ids)
    where = f"{scope.service_date}" + (f" at depot {scope.depot_id}" if scope.depot_id else "")
    if not depots:
        raise NothingToPlan(f"there is no depot to plan {where} from", depot_id=scope.depot_id)
    if not vehicles:
        raise NothingToPlan(f"no vehicle is in service for {where}", day=str(scope.service_date))
    if not orders and extra is None:
        raise NothingToPlan(f"no order is plannable for {where}", day=str(scope.service_date))
    shifts = _shifts_by_vehicle(session, scope.service_date, [v.id for v in vehicles])

    lats = [d.lat for d in depots] + [o.lat for o in orders]
    lngs = [d.lng for d in depots] + [o.lng for o in orders]
    depot_location = {d.id: k for k, d in enumerate(depots)}
    order_location = {o.id: len(depots) + k for k, o in enumerate(orders)}
    start_location: dict[int, int] = {}
    for vehicle in vehicles:
        override = overrides.get(vehicle.id)
        if override and override.start_lat is not None and override.start_lng is not None:
            start_location[vehicle.id] = len(lats)
            lats.append(override.start_lat)
            lngs.append(override.start_lng)

    loaded_on = {
        order_id: solver_vehicle_id(vehicle_id)
        for vehicle_id, override in overrides.items()
        for order_id in override.loaded_order_ids
    }
    # What is on board or being served is better delivered however late than driven back to
    # the depot: its lateness is bounded by the shift alone.
    committed = {
        order_id
        for override in overrides.values()
        for order_id in (*override.loaded_order_ids, *override.fixed_order_ids)
    }
    visits = tuple(
        _visit(
            order,
            order_location[order.id],
            clock,
            loaded_on.get(order.id),
            dataclasses.replace(lateness, max_s=SECONDS_PER_DAY)
            if lateness is not None and order.id in committed
            else lateness,
        )
        for order in orders
    )
    if extra is not None:
        visits += tuple(dataclasses.replace(v, location=len(lats)) for v in extra.visits)
        lats.append(extra.lat)
        lngs.append(extra.lng)
    known_orders = {o.id for o in orders}
    solver_vehicles = []
    for vehicle in vehicles:
        home = depot_location.get(vehicle.depot_id or depots[0].id, 0)
        override = overrides.get(vehicle.id, VehicleOverride())
        shift = shifts.get(vehicle.id)
        solver_vehicles.append(
            _solver_vehicle(
                vehicle,
                shift,
                clock,
                start=start_location.get(vehicle.id, home),
                end=home,
                override=override,
                known_orders=known_orders,
            )
        )
    provider = provider or HaversineProvider()
    profiles = {SPEED_PROFILES[v.type] for v in vehicles}
    matrices = {p.name: provider.matrix(lats, lngs, p) for p in profiles}
    problem = routing.Problem(
        visits=visits,
        vehicles=tuple(solver_vehicles),
        matrices=matrices,
        dimensions=DIMENSIONS,
        location_names=tuple(d.name for d in depots)
        + tuple(o.reference or o.tracking_code for o in orders)
        + tuple(f"vehicle {v}" for v in start_location)
        + (("new stop",) if extra is not None else ()),
    )
    return BuiltProblem(
        problem=problem,
        clock=clock,
        order_of_visit={visit_id(o.id): o.id for o in orders},
        vehicle_of={solver_vehicle_id(v.id): v.id for v in vehicles},
        shift_of_vehicle={
            solver_vehicle_id(v.id): (shifts[v.id].id if v.id in shifts else None) for v in vehicles
        },
    )


def _depots(session: Session, scope: PlanScope) -> list[Depot]:
    query = select(Depot).order_by(Depot.id)
    if scope.depot_id is not None:
        query = query.where(Depot.id == scope.depot_id)
    return list(session.scalars(query))


def _vehicles(
    session: Session, scope: PlanScope, vehicle_ids: Iterable[int] | None
) -> list[Vehicle]:
    query = select(Vehicle).where(Vehicle.status == VehicleStatus.IN_SERVICE).order_by(Vehicle.id)
    if scope.depot_id is not None:
        query = query.where(Vehicle.depot_id == scope.depot_id)
    if vehicle_ids is not None:
        query = query.where(Vehicle.id.in_(list(vehicle_ids)))
    return list(session.scalars(query))


def _orders(session: Session, scope: PlanScope, order_ids: Iterable[int] | None) -> list[Order]:
    query = select(Order).where(Order.service_date == scope.service_date).order_by(Order.id)
    if order_ids is None:
        query = query.where(Order.status.in_(PLANNABLE_STATUSES))
    else:
        query = query.where(Order.id.in_(list(order_ids)))
    if scope.depot_id is not None:
        # An order without a depot is planned only in a plan of all depots.
        query = query.where(Order.depot_id == scope.depot_id)
    return list(session.scalars(query))


def _shifts_by_vehicle(session: Session, day: date, vehicle_ids: Sequence[int]) -> dict[int, Shift]:
    query = (
        select(Shift)
        .where(Shift.day == day, Shift.vehicle_id.in_(vehicle_ids))
        .order_by(Shift.starts_at, Shift.id)
    )
    shifts: dict[int, Shift] = {}
    for shift in session.scalars(query):
        assert shift.vehicle_id is not None
        shifts.setdefault(shift.vehicle_id, shift)
    return shifts


def _visit(
    order: Order,
    location: int,
    clock: DayClock,
    loaded_on: str | None,
    lateness: Lateness | None,
) -> routing.Visit:
    windows = sorted((clock.seconds(w.starts_at), clock.seconds(w.ends_at)) for w in order.windows)
    merged: list[tuple[int, int]] = []
    for start_s, end_s in windows:
        if merged and start_s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_s))
        else:
            merged.append((start_s, end_s))
    return routing.Visit(
        id=visit_id(order.id),
        location=location,
        service_s=order.service_s,
        windows=tuple(routing.TimeWindow(s, e) for s, e in merged),
        demand=(
            sum(p.weight_g * p.count for p in order.parcels),
            sum(p.volume_cm3 * p.count for p in order.parcels),
            sum(p.count for p in order.parcels),
        ),
        kind=routing.VisitKind.PICKUP
        if order.kind is OrderKind.PICKUP
        else routing.VisitKind.DELIVERY,
        skills=frozenset(order.handling),
        priority=order.priority,
        loaded_on=loaded_on if order.kind is OrderKind.DELIVERY else None,
        max_lateness_s=lateness.max_s if lateness else 0,
        lateness_cost_per_hour=lateness.cost_per_hour if lateness else 0.0,
    )


def _solver_vehicle(
    vehicle: Vehicle,
    shift: Shift | None,
    clock: DayClock,
    *,
    start: int,
    end: int,
    override: VehicleOverride,
    known_orders: set[int],
) -> routing.Vehicle:
    if shift is not None:
        shift_window = routing.TimeWindow(
            clock.seconds(shift.starts_at), clock.seconds(shift.ends_at)
        )
    else:
        shift_window = routing.TimeWindow(
            clock.wall_seconds(vehicle.shift_start), clock.wall_seconds(vehicle.shift_end)
        )
    if override.overtime_s:
        ready_s = clock.seconds(override.ready_at) if override.ready_at else 0
        shift_window = routing.TimeWindow(
            shift_window.start_s, max(shift_window.end_s, ready_s) + override.overtime_s
        )
    return routing.Vehicle(
        id=solver_vehicle_id(vehicle.id),
        start_location=start,
        end_location=end,
        shift=shift_window,
        capacity=(vehicle.max_weight_g, vehicle.max_volume_cm3, vehicle.max_parcels),
        skills=frozenset(vehicle.skills),
        profile=SPEED_PROFILES[vehicle.type].name,
        cost_per_km=vehicle.cost_per_km_cents / CENTS_PER_CURRENCY,
        cost_per_hour=vehicle.cost_per_hour_cents / CENTS_PER_CURRENCY,
        fixed_cost=vehicle.fixed_cost_cents / CENTS_PER_CURRENCY,
        ready_at_s=clock.seconds(override.ready_at) if override.ready_at else None,
        can_load_at_start=override.can_load_at_start,
        fixed_prefix=tuple(visit_id(o) for o in override.fixed_order_ids if o in known_orders),
    )
