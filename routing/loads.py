"""What is on board along a sequence of visits: the one rule for loads, used by solve and plans."""

from __future__ import annotations

from collections.abc import Sequence

from routing.problem import Problem, VisitKind


def loads_along(
    problem: Problem, visit_ids: Sequence[str]
) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """The load at the start (every unpaired delivery) and the load after each visit."""
    n = len(problem.dimensions)
    paired = {p.delivery_id for p in problem.pairs}
    start = [0] * n
    for visit_id in visit_ids:
        visit = problem.visit(visit_id)
        if visit.kind == VisitKind.DELIVERY and visit_id not in paired:
            start = [a + b for a, b in zip(start, problem.demand_of(visit), strict=True)]
    load = list(start)
    after: list[tuple[int, ...]] = []
    for visit_id in visit_ids:
        visit = problem.visit(visit_id)
        sign = 1 if visit.kind == VisitKind.PICKUP else -1
        load = [a + sign * b for a, b in zip(load, problem.demand_of(visit), strict=True)]
        after.append(tuple(load))
    return tuple(start), after
