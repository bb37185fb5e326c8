"""A solved file plan in the dispatcher's words: orders, vehicles, clock times and human units.

The report is what plan.json, routes.csv and the map are written from, so the three never
disagree. It holds plain values only (seconds and metres as integers); formatting into HH:MM:SS
and kilometres happens when it is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import routing
from dispatch.plan_input import Location, PlanInput


@dataclass(frozen=True, slots=True)
class Load:
    weight_g: int
    volume_cm3: int
    parcels: int

    @classmethod
    def of(cls, values: Sequence[int]) -> Load:
        padded = (*values, 0, 0, 0)
        return cls(int(padded[0]), int(padded[1]), int(padded[2]))


@dataclass(frozen=True, slots=True)
class ReportedVisit:
    seq: int
    order_id: str
    name: str
    address: str
    kind: str
    lat: float
    lng: float
    windows: tuple[routing.TimeWindow, ...]
    arrival_s: int
    wait_s: int
    service_start_s: int
    departure_s: int
    load_after: Load
    distance_m: int  # cumulative from the route start


@dataclass(frozen=True, slots=True)
class ReportedBreak:
    start_s: int
    duration_s: int


@dataclass(frozen=True, slots=True)
class ReportedRoute:
    vehicle_id: str
    vehicle_name: str
    start: Location
    end: Location | None
    start_s: int
    end_s: int
    distance_m: int
    cost: float
    load_at_start: Load
    breaks: tuple[ReportedBreak, ...]
    visits: tuple[ReportedVisit, ...]

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class ReportedUnserved:
    order_id: str
    name: str
    address: str
    lat: float
    lng: float
    windows: tuple[routing.TimeWindow, ...]
    reason: str  # stable code, e.g. "no_vehicle_with_skill"
    text: str  # the reason in words, with any detail


@dataclass(frozen=True, slots=True)
class ReportedViolation:
    """A rule the plan breaks, as the independent validator found it."""

    code: str
    text: str
    vehicle_id: str | None = None
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class PlanReport:
    date: dt.date
    orders_file: str
    vehicles_file: str
    time_limit_s: float
    solver_status: str
    wall_time_s: float
    cost: float
    order_count: int
    vehicle_count: int
    routes: tuple[ReportedRoute, ...]
    unserved: tuple[ReportedUnserved, ...]
    # Every start and end place of the fleet, used or not.
    depots: tuple[Location, ...]
    violations: tuple[ReportedViolation, ...]
    warnings: tuple[str, ...]

    @property
    def served_count(self) -> int:
        return sum(len(r.visits) for r in self.routes)

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def valid(self) -> bool:
        return not self.violations


def build_report(
    plan_input: PlanInput,
    solution: routing.Solution,
    violations: Sequence[ReportedViolation],
    *,
    date: dt.date,
    orders_file: str,
    vehicles_file: str,
    time_limit_s: float,
) -> PlanReport:
    """Join the solution with the rows it came from; routes without visits are left out."""
    routes = tuple(_route(plan_input, tour) for tour in solution.tours if tour.arrivals)
    unserved = tuple(_unserved(plan_input, u) for u in solution.unassigned)
    return PlanReport(
        date=date,
        orders_file=orders_file,
        vehicles_file=vehicles_file,
        time_limit_s=time_limit_s,
        solver_status=solution.status,
        wall_time_s=solution.wall_time_s,
        cost=solution.cost,
        order_count=len(plan_input.orders),
        vehicle_count=len(plan_input.vehicles),
        routes=routes,
        unserved=unserved,
        depots=_depots(plan_input),
        violations=tuple(violations),
        warnings=plan_input.warnings,
    )


def _route(plan_input: PlanInput, tour: routing.Tour) -> ReportedRoute:
    vehicle = plan_input.vehicle(tour.vehicle_id)
    solver_vehicle = plan_input.problem.vehicle(tour.vehicle_id)
    visits = []
    for seq, arrival in enumerate(tour.arrivals, start=1):
        order = plan_input.order(arrival.visit_id)
        visits.append(
            ReportedVisit(
                seq=seq,
                order_id=order.order_id,
                name=order.name,
                address=order.address,
                kind=order.kind.value,
                lat=order.lat,
                lng=order.lng,
                windows=order.windows,
                arrival_s=arrival.arrival_s,
                wait_s=arrival.wait_s,
                service_start_s=arrival.service_start_s,
                departure_s=arrival.departure_s,
                load_after=Load.of(arrival.load_after),
                distance_m=arrival.distance_m,
            )
        )
    return ReportedRoute(
        vehicle_id=vehicle.vehicle_id,
        vehicle_name=vehicle.name,
        start=plan_input.locations[solver_vehicle.start_location],
        end=plan_input.location_of_vehicle_end(vehicle.vehicle_id),
        start_s=tour.start_s,
        end_s=tour.end_s,
        distance_m=tour.distance_m,
        cost=tour.cost,
        load_at_start=Load.of(tour.load_at_start),
        breaks=tuple(ReportedBreak(b.start_s, b.duration_s) for b in tour.breaks),
        visits=tuple(visits),
    )


def _depots(plan_input: PlanInput) -> tuple[Location, ...]:
    indices: dict[int, None] = {}
    for vehicle in plan_input.problem.vehicles:
        indices[vehicle.start_location] = None
        if vehicle.end_location is not None:
            indices[vehicle.end_location] = None
    return tuple(plan_input.locations[i] for i in indices)


def _unserved(plan_input: PlanInput, unassigned: routing.Unassigned) -> ReportedUnserved:
    order = plan_input.order(unassigned.visit_id)
    return ReportedUnserved(
        order_id=order.order_id,
        name=order.name,
        address=order.address,
        lat=order.lat,
        lng=order.lng,
        windows=order.windows,
        reason=unassigned.reason.value,
        text=unassigned.text,
    )


def format_clock(seconds: int) -> str:
    """Seconds since midnight as HH:MM:SS; hours go past 23 for times after midnight."""
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"


def format_hhmm(seconds: int) -> str:
    """Seconds since midnight as HH:MM, seconds dropped."""
    return format_clock(seconds).rsplit(":", 1)[0]


def format_window(window: routing.TimeWindow) -> str:
    return f"{format_hhmm(window.start_s)}-{format_hhmm(window.end_s)}"


def format_windows(windows: Sequence[routing.TimeWindow]) -> str:
    return ", ".join(format_window(w) for w in windows) or "any time"


def km(distance_m: int) -> float:
    return round(distance_m / 1000, 3)


def kg(weight_g: int) -> float:
    return round(weight_g / 1000, 3)


def litres(volume_cm3: int) -> float:
    return round(volume_cm3 / 1000, 3)
