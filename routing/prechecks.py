"""Cheap best-case checks before solving: visits no plan whatever could serve, with the reason.

Each check is optimistic (a vehicle driving only to this visit, empty, at its earliest start), so
a visit rejected here is truly unservable, and the search never wastes time on it.
"""

from __future__ import annotations

from routing.constraints.skills import eligible_vehicles
from routing.problem import InvalidProblem, Problem, Vehicle, Visit
from routing.solution import Unassigned, UnassignedReason


def precheck(problem: Problem) -> list[Unassigned]:
    rejected: dict[str, Unassigned] = {}
    for visit in problem.visits:
        reason = _reject_reason(problem, visit)
        if reason is not None:
            rejected[visit.id] = reason
    # A pair is served whole or not at all.
    for pair in problem.pairs:
        for this, other in ((pair.pickup_id, pair.delivery_id), (pair.delivery_id, pair.pickup_id)):
            if this in rejected and other not in rejected:
                first = rejected[this]
                rejected[other] = Unassigned(
                    other, first.reason, f"its pair {this}: {first.detail}"
                )
    return list(rejected.values())


def _reject_reason(problem: Problem, visit: Visit) -> Unassigned | None:
    pinned = visit.allowed_vehicles is not None or visit.loaded_on is not None
    with_skill = [v for v in problem.vehicles if visit.skills <= v.skills]
    if not with_skill:
        needed = ", ".join(sorted(visit.skills))
        return Unassigned(visit.id, UnassignedReason.NO_VEHICLE_WITH_SKILL, f"needs {needed}")
    candidates = [problem.vehicles[v] for v in eligible_vehicles(problem, visit)]
    if not candidates:
        if pinned:
            return Unassigned(
                visit.id,
                UnassignedReason.PINNED_VEHICLE_CANNOT_REACH,
                "no vehicle it is pinned to has the skills or the goods",
            )
        return Unassigned(visit.id, UnassignedReason.NOT_LOADED)
    demand = problem.demand_of(visit)
    fitting = [
        v
        for v in candidates
        if all(d <= c for d, c in zip(demand, problem.capacity_of(v), strict=True))
    ]
    if not fitting:
        largest = max(problem.capacity_of(v) for v in candidates)
        detail = ", ".join(
            f"{name} {d} > {c}"
            for name, d, c in zip(problem.dimensions, demand, largest, strict=True)
            if d > c
        )
        return Unassigned(visit.id, UnassignedReason.CAPACITY, detail)
    window_ok = False
    for vehicle in fitting:
        verdict = _direct_trip(problem, vehicle, visit)
        if verdict is None:
            return None
        window_ok = window_ok or verdict == UnassignedReason.ROUTE_DURATION
    if pinned:
        return Unassigned(visit.id, UnassignedReason.PINNED_VEHICLE_CANNOT_REACH)
    if window_ok:
        return Unassigned(visit.id, UnassignedReason.ROUTE_DURATION)
    return Unassigned(visit.id, UnassignedReason.WINDOW_UNREACHABLE)


def _direct_trip(problem: Problem, vehicle: Vehicle, visit: Visit) -> UnassignedReason | None:
    """None if `vehicle` can serve `visit` alone (with its pair partner); else what breaks."""
    matrix = problem.matrices[vehicle.profile].duration_s
    stops = [visit]
    pair = problem.pair_of(visit.id)
    if pair is not None:
        stops = [problem.visit(pair.pickup_id), problem.visit(pair.delivery_id)]
    location, clock = vehicle.start_location, vehicle.earliest_start_s
    # Driving and service only: departing later can absorb any wait, so this bounds the duration.
    busy_s = 0
    for stop in stops:
        leg_s = int(matrix[location, stop.location])
        start = stop.service_start_s(clock + leg_s)
        if start is None:
            return UnassignedReason.WINDOW_UNREACHABLE
        busy_s += leg_s + stop.service_s
        clock, location = start + stop.service_s, stop.location
    if vehicle.end_location is not None:
        leg_s = int(matrix[location, vehicle.end_location])
        clock += leg_s
        busy_s += leg_s
    too_long = vehicle.max_duration_s is not None and busy_s > vehicle.max_duration_s
    if clock > vehicle.shift.end_s or too_long:
        return UnassignedReason.ROUTE_DURATION
    return None


def check_prefixes(problem: Problem, rejected: list[Unassigned]) -> None:
    """Fixed prefixes are commitments: raise InvalidProblem if one cannot be driven as given."""
    rejected_ids = {u.visit_id: u for u in rejected}
    for vehicle in problem.vehicles:
        matrix = problem.matrices[vehicle.profile].duration_s
        location, clock = vehicle.start_location, vehicle.earliest_start_s
        for visit_id in vehicle.fixed_prefix:
            if visit_id in rejected_ids:
                why = rejected_ids[visit_id].text
                raise InvalidProblem(f"vehicle {vehicle.id}: fixed visit {visit_id}: {why}")
            visit = problem.visit(visit_id)
            start = visit.service_start_s(clock + int(matrix[location, visit.location]))
            if start is None:
                raise InvalidProblem(
                    f"vehicle {vehicle.id}: fixed visit {visit_id} cannot be reached in its window"
                )
            clock, location = start + visit.service_s, visit.location
