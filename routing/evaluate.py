"""Timetable of routes whose order is already decided (a dispatcher's edit, a plan being driven).

No search happens here: each route is timed as early as its windows allow, breaks are taken
as soon as they are due, and the departure is delayed so the courier does not wait at the first
stop. The result is an ordinary Solution, so `validate` says whether the edit is feasible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from routing.costs import tour_cost
from routing.loads import loads_along
from routing.problem import Break, Problem, Vehicle, Visit
from routing.solution import Arrival, BreakTaken, Solution, Tour, Unassigned, UnassignedReason


def evaluate(
    problem: Problem,
    routes: Mapping[str, Sequence[str]],
    unassigned: Sequence[Unassigned] = (),
) -> Solution:
    """Time `routes` (visit ids per vehicle id) as given; visits on no route are unassigned.

    Visits neither routed nor listed in `unassigned` get DROPPED_FOR_PRIORITY ("not on any
    route"). Unknown ids raise KeyError: the caller sends ids of this problem only.
    """
    tours = [
        _time_route(problem, problem.vehicle(vehicle_id), [problem.visit(v) for v in visit_ids])
        for vehicle_id, visit_ids in routes.items()
        if visit_ids
    ]
    routed = {visit_id for visit_ids in routes.values() for visit_id in visit_ids}
    listed = {u.visit_id for u in unassigned}
    rest = [
        Unassigned(v.id, UnassignedReason.DROPPED_FOR_PRIORITY, "not on any route")
        for v in problem.visits
        if v.id not in routed and v.id not in listed
    ]
    return Solution(
        tours=tuple(tours),
        unassigned=tuple(unassigned) + tuple(rest),
        cost=sum(t.cost for t in tours),
        status="evaluated",
    )


def _time_route(problem: Problem, vehicle: Vehicle, visits: list[Visit]) -> Tour:
    matrix = problem.matrices[vehicle.profile]
    pending = list(vehicle.breaks)
    taken: list[BreakTaken] = []
    load_at_start, load_after = loads_along(problem, [v.id for v in visits])
    location, now, distance = vehicle.start_location, vehicle.earliest_start_s, 0
    arrivals: list[Arrival] = []
    for visit, load in zip(visits, load_after, strict=True):
        leg_s = int(matrix.duration_s[location, visit.location])
        now = _take_due_breaks(pending, taken, now, leg_s)
        arrival = now + leg_s
        start = visit.service_start_s(arrival)
        # Too late even with the allowed lateness: report the truth and let the validator name
        # the breach.
        start = arrival if start is None else start
        distance += int(matrix.distance_m[location, visit.location])
        arrivals.append(
            Arrival(
                visit_id=visit.id,
                arrival_s=arrival,
                wait_s=start - arrival,
                service_start_s=start,
                departure_s=start + visit.service_s,
                load_after=load,
                distance_m=distance,
            )
        )
        location, now = visit.location, start + visit.service_s
    if vehicle.end_location is not None:
        leg_s = int(matrix.duration_s[location, vehicle.end_location])
        now = _take_due_breaks(pending, taken, now, leg_s) + leg_s
        distance += int(matrix.distance_m[location, vehicle.end_location])
    # Breaks still pending fall after the route's end, where they constrain nothing.
    taken += [BreakTaken(max(now, b.window.start_s), b.duration_s) for b in pending]
    start_s = vehicle.earliest_start_s
    if arrivals and not (taken and taken[0].start_s < arrivals[0].arrival_s):
        # Leave later instead of waiting at the first stop.
        first = arrivals[0]
        start_s += first.wait_s
        arrivals[0] = dataclasses.replace(first, arrival_s=first.service_start_s, wait_s=0)
    return Tour(
        vehicle_id=vehicle.id,
        start_s=start_s,
        end_s=now,
        arrivals=tuple(arrivals),
        distance_m=distance,
        load_at_start=load_at_start,
        breaks=tuple(taken),
        cost=tour_cost(vehicle, distance, now - start_s),
    )


def _take_due_breaks(pending: list[Break], taken: list[BreakTaken], now: int, leg_s: int) -> int:
    """Take, before the next leg, every break that is open now or would close during it."""
    for brk in list(pending):
        if now >= brk.window.start_s or now + leg_s > brk.window.end_s:
            start = max(now, brk.window.start_s)
            taken.append(BreakTaken(start, brk.duration_s))
            pending.remove(brk)
            now = start + brk.duration_s
    return now
