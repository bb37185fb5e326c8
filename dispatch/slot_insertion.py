"""Cheapest feasible insertion of one new visit into routes whose order is fixed.

Pure: a routing.Problem in, insertion candidates out. Each route is timed once with
`routing.evaluate`; inserting the new visit at a position then only pushes the following stops
later, so a candidate is checked by carrying that push forward with the visits' own
`service_start_s` rule until a stop's start is unchanged (the rest of the route is then as
before) or the route ends (it must still reach its end location within the shift). The cheapest
candidate is confirmed by timing the whole route with `routing.evaluate` and checking it with
`routing.validate`, so what is promised is what the validator accepts.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import routing

# Candidates tried by the full check before a route set is given up for a visit: the quick
# check can only be too generous where the model has rules it leaves to the validator (breaks).
CONFIRM_ATTEMPTS = 3


class Misfit(enum.StrEnum):
    """Why no route takes the visit; the most telling reason over all routes wins."""

    NO_VEHICLE = "no_vehicle"  # no vehicle has the skills, or none drives that day
    NO_ROUTE_CAN_REACH = "no_route_can_reach"  # the window cannot be met by any route
    CAPACITY = "capacity"  # a route could meet the window but cannot carry the goods


# From the least to the most telling: a reason further right says more about the day.
MISFIT_ORDER = (Misfit.NO_VEHICLE, Misfit.NO_ROUTE_CAN_REACH, Misfit.CAPACITY)


@dataclass(frozen=True, slots=True)
class Insertion:
    vehicle_id: str
    # 0-based index in the route's sequence where the visit goes.
    index: int
    service_start_s: int
    extra_distance_m: int
    extra_drive_s: int
    extra_cost: float


@dataclass(frozen=True, slots=True)
class Fit:
    """The cheapest validated insertion, or why there is none."""

    insertion: Insertion | None
    misfit: Misfit | None = None


@dataclass(frozen=True, slots=True)
class _Timeline:
    vehicle: routing.Vehicle
    sequence: tuple[str, ...]
    visits: tuple[routing.Visit, ...]
    # Where the courier is, and when it can leave, before each insertion index (0..n).
    location_before: tuple[int, ...]
    leave_at_before: tuple[int, ...]
    service_start: tuple[int, ...]
    # The largest load on board before each insertion index, per dimension.
    peak_load_before: tuple[tuple[int, ...], ...]


def best_insertions(
    problem: routing.Problem,
    routes: Mapping[str, Sequence[str]],
    visit_ids: Sequence[str],
) -> dict[str, Fit]:
    """For each visit of `visit_ids` (not on any route), its cheapest feasible insertion into
    one of `routes` (visit ids per vehicle id; an empty sequence is an idle vehicle), each
    judged alone. Visits of the problem on no route are ignored."""
    timelines = [_timeline(problem, problem.vehicle(v), seq) for v, seq in routes.items()]
    fits = {}
    for visit_id in visit_ids:
        visit = problem.visit(visit_id)
        candidates: list[Insertion] = []
        misfit = Misfit.NO_VEHICLE
        for timeline in timelines:
            found, why = _candidates(problem, timeline, visit)
            candidates += found
            if why is not None and _rank(why) > _rank(misfit):
                misfit = why
        fits[visit_id] = _confirmed(problem, routes, visit_id, candidates, misfit)
    return fits


def place_in_turn(
    problem: routing.Problem, routes: Mapping[str, Sequence[str]], visit_ids: Sequence[str]
) -> dict[str, list[str]]:
    """`routes` with each of `visit_ids` inserted in turn at its cheapest feasible position;
    a visit that fits nowhere is left out."""
    placed = {vehicle_id: list(sequence) for vehicle_id, sequence in routes.items()}
    for visit_id in visit_ids:
        insertion = best_insertions(problem, placed, [visit_id])[visit_id].insertion
        if insertion is not None:
            placed[insertion.vehicle_id].insert(insertion.index, visit_id)
    return placed


def _rank(misfit: Misfit) -> int:
    return MISFIT_ORDER.index(misfit)


def _timeline(
    problem: routing.Problem, vehicle: routing.Vehicle, sequence: Sequence[str]
) -> _Timeline:
    solution = routing.evaluate(problem, {vehicle.id: list(sequence)})
    tour = next((t for t in solution.tours if t.vehicle_id == vehicle.id), None)
    arrivals = tour.arrivals if tour is not None else ()
    load_at_start = tour.load_at_start if tour is not None else (0,) * len(problem.dimensions)
    visits = tuple(problem.visit(v) for v in sequence)
    peak = [tuple(load_at_start)]
    for arrival in arrivals:
        peak.append(tuple(max(a, b) for a, b in zip(peak[-1], arrival.load_after, strict=True)))
    return _Timeline(
        vehicle=vehicle,
        sequence=tuple(sequence),
        visits=visits,
        location_before=(vehicle.start_location, *(v.location for v in visits)),
        leave_at_before=(vehicle.earliest_start_s, *(a.departure_s for a in arrivals)),
        service_start=tuple(a.service_start_s for a in arrivals),
        peak_load_before=tuple(peak),
    )


def _candidates(
    problem: routing.Problem, timeline: _Timeline, visit: routing.Visit
) -> tuple[list[Insertion], Misfit | None]:
    vehicle = timeline.vehicle
    if not visit.skills <= vehicle.skills:
        return [], Misfit.NO_VEHICLE
    matrix = problem.matrices[vehicle.profile]
    capacity = problem.capacity_of(vehicle)
    demand = problem.demand_of(visit)
    found: list[Insertion] = []
    reachable = False
    for index in range(len(timeline.visits) + 1):
        start = _pushed_start(problem, timeline, visit, index)
        if start is None:
            continue
        reachable = True
        peak = timeline.peak_load_before[index]
        if any(p + d > c for p, d, c in zip(peak, demand, capacity, strict=True)):
            continue
        before = timeline.location_before[index]
        after = (
            timeline.visits[index].location
            if index < len(timeline.visits)
            else vehicle.end_location
        )
        distance = int(matrix.distance_m[before, visit.location])
        drive = int(matrix.duration_s[before, visit.location])
        if after is not None:
            distance += int(
                matrix.distance_m[visit.location, after] - matrix.distance_m[before, after]
            )
            drive += int(
                matrix.duration_s[visit.location, after] - matrix.duration_s[before, after]
            )
        cost = (
            vehicle.cost_per_km * distance / 1000
            + vehicle.cost_per_hour * (drive + visit.service_s) / 3600
        )
        if not timeline.visits:
            cost += vehicle.fixed_cost  # the vehicle would go out for this visit alone
        found.append(Insertion(vehicle.id, index, start, distance, drive, cost))
    if found:
        return found, None
    return [], Misfit.CAPACITY if reachable else Misfit.NO_ROUTE_CAN_REACH


def _pushed_start(
    problem: routing.Problem, timeline: _Timeline, visit: routing.Visit, index: int
) -> int | None:
    """The new visit's service start when inserted at `index`, or None when that breaks a
    window (its own or a later stop's) or the shift."""
    vehicle = timeline.vehicle
    duration = problem.matrices[vehicle.profile].duration_s
    location = timeline.location_before[index]
    arrival = timeline.leave_at_before[index] + int(duration[location, visit.location])
    start = visit.service_start_s(arrival)
    if start is None:
        return None
    now, location = start + visit.service_s, visit.location
    for k in range(index, len(timeline.visits)):
        stop = timeline.visits[k]
        stop_start = stop.service_start_s(now + int(duration[location, stop.location]))
        if stop_start is None:
            return None
        if stop_start <= timeline.service_start[k]:
            return start  # the push is absorbed by waiting: the rest runs as planned
        now, location = stop_start + stop.service_s, stop.location
    if vehicle.end_location is not None:
        now += int(duration[location, vehicle.end_location])
    return start if now <= vehicle.shift.end_s else None


def _confirmed(
    problem: routing.Problem,
    routes: Mapping[str, Sequence[str]],
    visit_id: str,
    candidates: list[Insertion],
    misfit: Misfit,
) -> Fit:
    candidates.sort(key=lambda c: (c.extra_cost, c.extra_distance_m, c.vehicle_id, c.index))
    for candidate in candidates[:CONFIRM_ATTEMPTS]:
        sequence = list(routes[candidate.vehicle_id])
        sequence.insert(candidate.index, visit_id)
        solution = routing.evaluate(problem, {candidate.vehicle_id: sequence})
        if not routing.validate(problem, solution):
            return Fit(candidate)
    if candidates:
        misfit = Misfit.NO_ROUTE_CAN_REACH
    return Fit(None, misfit)
