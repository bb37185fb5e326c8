"""Solver inputs and plans built by hand: matrices, visits, vehicles, problems, tours.

Sensible defaults with keyword overrides, as in tests/factories.py, but pure: no database.
Times are seconds since midnight; `hms(9, 30)` reads better than 34200.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from routing.problem import Problem, TimeWindow, TravelMatrix, Vehicle, Visit
from routing.solution import Arrival, BreakTaken, Solution, Tour, Unassigned, UnassignedReason

DEFAULT_SPEED_M_PER_S = 10.0


def hms(hours: int, minutes: int = 0, seconds: int = 0) -> int:
    """Seconds since midnight."""
    return hours * 3600 + minutes * 60 + seconds


def window(start: str, end: str) -> TimeWindow:
    """A window from clock strings: window("09:00", "11:30")."""
    return TimeWindow(_clock_s(start), _clock_s(end))


def _clock_s(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return hms(*parts)


def matrix_from_points(
    points: Sequence[tuple[float, float]], *, speed_m_per_s: float = DEFAULT_SPEED_M_PER_S
) -> TravelMatrix:
    """Euclidean metres between (x_m, y_m) points, driven at a constant speed, rounded."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    offsets = xy[:, None, :] - xy[None, :, :]
    metres = np.rint(np.sqrt((offsets**2).sum(axis=2)))
    seconds = np.rint(metres / speed_m_per_s)
    return TravelMatrix(distance_m=metres.astype(np.int64), duration_s=seconds.astype(np.int64))


def line_matrix(
    n: int, metres_between: int = 1000, *, speed_m_per_s: float = DEFAULT_SPEED_M_PER_S
) -> TravelMatrix:
    """n locations on a straight road, `metres_between` apart (1 km at 10 m/s: 100 s a hop)."""
    return matrix_from_points(
        [(i * metres_between, 0.0) for i in range(n)], speed_m_per_s=speed_m_per_s
    )


def make_visit(id: str = "A", location: int = 1, **overrides: Any) -> Visit:
    return Visit(id=id, location=location, **overrides)


def make_vehicle(id: str = "V1", **overrides: Any) -> Vehicle:
    values: dict[str, Any] = {
        "start_location": 0,
        "end_location": 0,
        "shift": TimeWindow(hms(8), hms(18)),
    }
    return Vehicle(id=id, **(values | overrides))


def make_problem(
    visits: Iterable[Visit] = (),
    vehicles: Iterable[Vehicle] | None = None,
    *,
    matrix: TravelMatrix | None = None,
    **overrides: Any,
) -> Problem:
    """A problem; by default one vehicle V1 and a 1 km line matrix covering every location.

    The one matrix serves every profile the vehicles name, unless `matrices` is given.
    """
    visits = tuple(visits)
    vehicles = (make_vehicle(),) if vehicles is None else tuple(vehicles)
    if matrix is None:
        locations = [v.location for v in visits]
        for vehicle in vehicles:
            locations.append(vehicle.start_location)
            if vehicle.end_location is not None:
                locations.append(vehicle.end_location)
        matrix = line_matrix(max([1, *locations]) + 1)
    values: dict[str, Any] = {"matrices": {v.profile: matrix for v in vehicles} or {"car": matrix}}
    return Problem(visits=visits, vehicles=vehicles, **(values | overrides))


def make_arrival(
    visit_id: str,
    arrival_s: int,
    *,
    service_start_s: int | None = None,
    service_s: int = 0,
    load_after: tuple[int, ...] = (),
    distance_m: int = 0,
) -> Arrival:
    """An arrival; wait and departure follow from the service start (default: on arrival)."""
    start = arrival_s if service_start_s is None else service_start_s
    return Arrival(
        visit_id=visit_id,
        arrival_s=arrival_s,
        wait_s=start - arrival_s,
        service_start_s=start,
        departure_s=start + service_s,
        load_after=load_after,
        distance_m=distance_m,
    )


def make_tour(
    arrivals: Iterable[Arrival] = (),
    *,
    vehicle_id: str = "V1",
    start_s: int = 0,
    end_s: int = 0,
    distance_m: int = 0,
    load_at_start: tuple[int, ...] = (),
    breaks: Iterable[BreakTaken] = (),
) -> Tour:
    return Tour(
        vehicle_id=vehicle_id,
        start_s=start_s,
        end_s=end_s,
        arrivals=tuple(arrivals),
        distance_m=distance_m,
        load_at_start=load_at_start,
        breaks=tuple(breaks),
        cost=0.0,
    )


def make_solution(
    tours: Iterable[Tour] = (),
    unassigned: Iterable[str | Unassigned] = (),
) -> Solution:
    """A solution; unassigned visits may be given as bare ids (reason: dropped for priority)."""
    left_out = tuple(
        u if isinstance(u, Unassigned) else Unassigned(u, UnassignedReason.DROPPED_FOR_PRIORITY)
        for u in unassigned
    )
    tours = tuple(tours)
    cost = math.fsum(t.cost for t in tours)
    return Solution(tours=tours, unassigned=left_out, cost=cost)
