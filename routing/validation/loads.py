"""Load on board: recomputed from the demands, within [0, capacity], and reported as recomputed.

Unpaired deliveries are loaded at the route start; a delivery lowers the load, a pickup raises it.
"""

from __future__ import annotations

from routing.problem import Problem, VisitKind
from routing.validation.context import CheckedTour
from routing.validation.violations import Violation, ViolationKind, amounts


def recomputed_loads(
    problem: Problem, checked: CheckedTour
) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """The load at the route start and after each visit of the tour."""
    paired_deliveries = {p.delivery_id for p in problem.pairs}
    start = [0] * len(problem.dimensions)
    for visit in checked.visits:
        if visit.kind == VisitKind.DELIVERY and visit.id not in paired_deliveries:
            start = [a + d for a, d in zip(start, problem.demand_of(visit), strict=True)]
    load = list(start)
    after: list[tuple[int, ...]] = []
    for visit in checked.visits:
        sign = 1 if visit.kind == VisitKind.PICKUP else -1
        load = [a + sign * d for a, d in zip(load, problem.demand_of(visit), strict=True)]
        after.append(tuple(load))
    return tuple(start), after


def check_loads(problem: Problem, checked: CheckedTour) -> list[Violation]:
    vid = checked.vehicle.id
    dims = problem.dimensions
    capacity = problem.capacity_of(checked.vehicle)
    start, after = recomputed_loads(problem, checked)
    # (where, visit id, reported load, recomputed load)
    points: list[tuple[str, str | None, tuple[int, ...], tuple[int, ...]]] = [
        ("at the route start", None, checked.tour.load_at_start, start)
    ]
    points += [
        (f"after visit {a.visit_id}", a.visit_id, a.load_after, load)
        for a, load in zip(checked.tour.arrivals, after, strict=True)
    ]
    found: list[Violation] = []
    for where, visit_id, reported, load in points:
        if tuple(reported) != load:
            found.append(
                Violation(
                    ViolationKind.LOAD_MISMATCH,
                    vid,
                    visit_id,
                    f"vehicle {vid}: load {where} reported as {amounts(reported, dims)}, "
                    f"recomputed as {amounts(load, dims)}",
                )
            )
        if any(x > c for x, c in zip(load, capacity, strict=True)):
            found.append(
                Violation(
                    ViolationKind.CAPACITY,
                    vid,
                    visit_id,
                    f"vehicle {vid}: load {where} is {amounts(load, dims)}, above its capacity "
                    f"{amounts(capacity, dims)}",
                )
            )
        if any(x < 0 for x in load):
            found.append(
                Violation(
                    ViolationKind.NEGATIVE_LOAD,
                    vid,
                    visit_id,
                    f"vehicle {vid}: load {where} is {amounts(load, dims)}, below zero: goods "
                    "are delivered before they are on board",
                )
            )
    return found
