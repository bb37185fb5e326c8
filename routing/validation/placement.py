"""Where visits sit in the plan: fixed route prefixes and pickup-before-delivery pairs."""

from __future__ import annotations

from collections import defaultdict

from routing.problem import Problem
from routing.solution import Solution
from routing.validation.violations import Violation, ViolationKind


def check_fixed_prefixes(problem: Problem, solution: Solution) -> list[Violation]:
    found: list[Violation] = []
    for vehicle in problem.vehicles:
        prefix = vehicle.fixed_prefix
        if not prefix:
            continue
        tour = solution.tour_of(vehicle.id)
        opening = tour.visit_ids[: len(prefix)] if tour is not None else ()
        if opening == prefix:
            continue
        first_wrong = next(
            (p for i, p in enumerate(prefix) if i >= len(opening) or opening[i] != p), None
        )
        found.append(
            Violation(
                ViolationKind.FIXED_PREFIX,
                vehicle.id,
                first_wrong,
                f"vehicle {vehicle.id} must open its route with {list(prefix)}, "
                f"but it opens with {list(opening)}",
            )
        )
    return found


def check_pairs(problem: Problem, solution: Solution) -> list[Violation]:
    # visit id -> every (tour number, position) that serves it
    served: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for t, tour in enumerate(solution.tours):
        for position, visit_id in enumerate(tour.visit_ids):
            served[visit_id].append((t, position))
    found: list[Violation] = []
    for pair in problem.pairs:
        pickup, delivery = pair.pickup_id, pair.delivery_id
        at_pickup, at_delivery = served.get(pickup, []), served.get(delivery, [])
        # Both unassigned is allowed; a visit served twice is reported by the id checks.
        if not (at_pickup or at_delivery) or len(at_pickup) > 1 or len(at_delivery) > 1:
            continue
        where_p = at_pickup[0] if at_pickup else None
        where_d = at_delivery[0] if at_delivery else None
        name = f"pair {pickup}->{delivery}"
        if where_p is None or where_d is None or where_p[0] != where_d[0]:
            found.append(
                Violation(
                    ViolationKind.PAIR_SPLIT,
                    None,
                    pickup,
                    f"{name}: pickup is {_describe(solution, where_p)} but delivery is "
                    f"{_describe(solution, where_d)}",
                )
            )
        elif where_d[1] < where_p[1]:
            vid = solution.tours[where_p[0]].vehicle_id
            found.append(
                Violation(
                    ViolationKind.PAIR_ORDER,
                    vid,
                    delivery,
                    f"{name}: vehicle {vid} delivers at stop {where_d[1] + 1} before picking up "
                    f"at stop {where_p[1] + 1}",
                )
            )
    return found


def _describe(solution: Solution, where: tuple[int, int] | None) -> str:
    if where is None:
        return "unassigned"
    return f"on the tour of vehicle {solution.tours[where[0]].vehicle_id}"
