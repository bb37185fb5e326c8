"""Parsed order and vehicle rows, and their conversion into a routing.Problem with map data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import routing
from routing.matrix import HaversineProvider, MatrixProvider, SpeedProfile, matrices_for

# The capacity dimensions of every file-based plan, in the order of demand and capacity tuples.
DIMENSIONS = ("weight_g", "volume_cm3", "parcels")
# Orders further than this from every depot are probably mistyped (lat and lng swapped...).
FAR_FROM_DEPOT_M = 300_000


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: str
    line: int
    lat: float
    lng: float
    windows: tuple[routing.TimeWindow, ...]
    service_s: int
    weight_g: int
    volume_cm3: int
    parcels: int
    skills: frozenset[str]
    priority: int
    kind: routing.VisitKind
    goods_class: str | None
    # Restricts the order to these vehicle ids; None means any vehicle.
    vehicles: frozenset[str] | None
    name: str = ""
    address: str = ""

    @property
    def label(self) -> str:
        return self.name or self.address or self.order_id


@dataclass(frozen=True, slots=True)
class VehicleRow:
    vehicle_id: str
    line: int
    depot_lat: float
    depot_lng: float
    # None: the route ends back at the start depot.
    end_lat: float | None
    end_lng: float | None
    shift: routing.TimeWindow
    # None: no limit in that dimension.
    capacity_g: int | None
    capacity_cm3: int | None
    capacity_parcels: int | None
    skills: frozenset[str]
    speed_kmh: float
    cost_per_km: float
    cost_per_hour: float
    fixed_cost: float
    max_duration_s: int | None
    breaks: tuple[routing.Break, ...]
    name: str = ""
    depot_name: str = ""

    @property
    def profile_name(self) -> str:
        return f"{self.speed_kmh:g}kmh"


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lng: float
    name: str


@dataclass(frozen=True, slots=True)
class PlanInput:
    """A Problem together with what the files said about each order, vehicle and location."""

    problem: routing.Problem
    orders: tuple[OrderRow, ...]
    vehicles: tuple[VehicleRow, ...]
    # Indexed like the Problem's locations.
    locations: tuple[Location, ...]
    warnings: tuple[str, ...] = ()
    _orders_by_id: dict[str, OrderRow] = field(init=False, repr=False, compare=False)
    _vehicles_by_id: dict[str, VehicleRow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_orders_by_id", {o.order_id: o for o in self.orders})
        object.__setattr__(self, "_vehicles_by_id", {v.vehicle_id: v for v in self.vehicles})

    def order(self, order_id: str) -> OrderRow:
        return self._orders_by_id[order_id]

    def vehicle(self, vehicle_id: str) -> VehicleRow:
        return self._vehicles_by_id[vehicle_id]

    def location_of_vehicle_end(self, vehicle_id: str) -> Location | None:
        end = self.problem.vehicle(vehicle_id).end_location
        return None if end is None else self.locations[end]


def build_plan_input(
    orders: Sequence[OrderRow],
    vehicles: Sequence[VehicleRow],
    *,
    provider: MatrixProvider | None = None,
    detour_factor: float = 1.3,
    warnings: Sequence[str] = (),
) -> PlanInput:
    """Assign locations (one per distinct coordinate), compute the matrices, build the Problem.

    Raises routing.InvalidProblem if the rows, although each valid, do not form a valid Problem.
    """
    locations = _Locations()
    solver_vehicles = []
    for vehicle in vehicles:
        depot_label = vehicle.depot_name or f"depot of {vehicle.vehicle_id}"
        start = locations.index(vehicle.depot_lat, vehicle.depot_lng, depot_label)
        end = start
        if vehicle.end_lat is not None and vehicle.end_lng is not None:
            end = locations.index(vehicle.end_lat, vehicle.end_lng, f"end of {vehicle.vehicle_id}")
        solver_vehicles.append(_solver_vehicle(vehicle, start, end, orders))
    depot_count = len(locations.points)
    visits = [
        _solver_visit(order, locations.index(order.lat, order.lng, order.label)) for order in orders
    ]

    profiles = {
        v.profile_name: SpeedProfile(v.profile_name, v.speed_kmh, detour_factor) for v in vehicles
    }
    lats = [p.lat for p in locations.points]
    lngs = [p.lng for p in locations.points]
    matrices = matrices_for(provider or HaversineProvider(), lats, lngs, profiles.values())
    problem = routing.Problem(
        visits=tuple(visits),
        vehicles=tuple(solver_vehicles),
        matrices=matrices,
        dimensions=DIMENSIONS,
        location_names=tuple(p.name for p in locations.points),
    )
    all_warnings = [*warnings, *_far_orders(problem, orders, depot_count)]
    return PlanInput(
        problem=problem,
        orders=tuple(orders),
        vehicles=tuple(vehicles),
        locations=tuple(locations.points),
        warnings=tuple(all_warnings),
    )


class _Locations:
    def __init__(self) -> None:
        self.points: list[Location] = []
        self._by_coordinate: dict[tuple[float, float], int] = {}

    def index(self, lat: float, lng: float, name: str) -> int:
        # Six decimals is about 0.1 m: the same place typed with different precision is one stop.
        key = (round(lat, 6), round(lng, 6))
        if key not in self._by_coordinate:
            self._by_coordinate[key] = len(self.points)
            self.points.append(Location(lat, lng, name))
        return self._by_coordinate[key]


def _solver_visit(order: OrderRow, location: int) -> routing.Visit:
    return routing.Visit(
        id=order.order_id,
        location=location,
        service_s=order.service_s,
        windows=order.windows,
        demand=(order.weight_g, order.volume_cm3, order.parcels),
        kind=order.kind,
        skills=order.skills,
        goods_class=order.goods_class,
        priority=order.priority,
        allowed_vehicles=order.vehicles,
    )


def _solver_vehicle(
    vehicle: VehicleRow, start: int, end: int, orders: Sequence[OrderRow]
) -> routing.Vehicle:
    # "No limit" is the total demand of the day: no route can ever carry more than that.
    unlimited = (
        sum(o.weight_g for o in orders),
        sum(o.volume_cm3 for o in orders),
        sum(o.parcels for o in orders),
    )
    limits = (vehicle.capacity_g, vehicle.capacity_cm3, vehicle.capacity_parcels)
    return routing.Vehicle(
        id=vehicle.vehicle_id,
        start_location=start,
        end_location=end,
        shift=vehicle.shift,
        capacity=tuple(
            total if limit is None else limit
            for limit, total in zip(limits, unlimited, strict=True)
        ),
        skills=vehicle.skills,
        profile=vehicle.profile_name,
        cost_per_km=vehicle.cost_per_km,
        cost_per_hour=vehicle.cost_per_hour,
        fixed_cost=vehicle.fixed_cost,
        max_duration_s=vehicle.max_duration_s,
        breaks=vehicle.breaks,
    )


def _far_orders(
    problem: routing.Problem, orders: Sequence[OrderRow], depot_count: int
) -> list[str]:
    if depot_count == 0:
        return []
    distance_m = next(iter(problem.matrices.values())).distance_m
    warnings = []
    for order, visit in zip(orders, problem.visits, strict=True):
        nearest_m = int(distance_m[:depot_count, visit.location].min())
        if nearest_m > FAR_FROM_DEPOT_M:
            warnings.append(
                f"order {order.order_id} is {nearest_m / 1000:,.0f} km from the nearest depot; "
                "are its lat and lng right?"
            )
    return warnings
