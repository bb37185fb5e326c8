"""Goods classes that may not share a vehicle, or may not be on board at the same time.

On-board spans are half-open ranges of route points (0 is the start, stop i is point i, the
end is n + 1): an unpaired delivery at i rides [0, i), an unpaired pickup at j rides [j, n + 1),
a pair rides from its pickup to its delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from routing.problem import Incompatibility, Problem, Visit, VisitKind
from routing.solution import Solution, Tour
from routing.validation.violations import Violation, ViolationKind


@dataclass(frozen=True, slots=True)
class _OnBoard:
    visit: Visit
    goods_class: str
    first: int
    stop: int  # exclusive


def check_incompatibilities(problem: Problem, solution: Solution) -> list[Violation]:
    if not problem.incompatibilities:
        return []
    known = {v.id for v in problem.visits}
    found: list[Violation] = []
    for tour in solution.tours:
        visits = [problem.visit(v) for v in tour.visit_ids if v in known]
        found += _same_vehicle(problem, tour, visits)
        found += _on_board(problem, tour, visits)
    return found


def _same_vehicle(problem: Problem, tour: Tour, visits: list[Visit]) -> list[Violation]:
    vid = tour.vehicle_id
    return [
        Violation(
            ViolationKind.SAME_VEHICLE_INCOMPATIBILITY,
            vid,
            a.id,
            f"vehicle {vid} serves visit {a.id} ({a.goods_class}) and visit {b.id} "
            f"({b.goods_class}), classes that may not share a vehicle",
        )
        for a, b in combinations(visits, 2)
        if problem.incompatible(a.goods_class, b.goods_class, Incompatibility.SAME_VEHICLE)
    ]


def _on_board(problem: Problem, tour: Tour, visits: list[Visit]) -> list[Violation]:
    vid = tour.vehicle_id
    return [
        Violation(
            ViolationKind.ON_BOARD_INCOMPATIBILITY,
            vid,
            a.visit.id,
            f"vehicle {vid} carries the goods of visit {a.visit.id} ({a.goods_class}) and of "
            f"visit {b.visit.id} ({b.goods_class}) at the same time, classes that may not be "
            "on board together",
        )
        for a, b in combinations(_spans(problem, visits), 2)
        if a.visit.id != b.visit.id
        and a.first < b.stop
        and b.first < a.stop
        and problem.incompatible(a.goods_class, b.goods_class, Incompatibility.ON_BOARD)
    ]


def _spans(problem: Problem, visits: list[Visit]) -> list[_OnBoard]:
    end = len(visits) + 1
    point = {visit.id: i for i, visit in enumerate(visits, start=1)}
    spans: list[_OnBoard] = []
    for i, visit in enumerate(visits, start=1):
        pair = problem.pair_of(visit.id)
        if pair is None:
            first, stop = (0, i) if visit.kind == VisitKind.DELIVERY else (i, end)
            classes = {visit.goods_class}
        elif visit.id == pair.pickup_id and point.get(pair.delivery_id, 0) > i:
            # The goods of a pair ride as the class of either end.
            first, stop = i, point[pair.delivery_id]
            classes = {visit.goods_class, problem.visit(pair.delivery_id).goods_class}
        else:
            # The delivery end of a pair, or a pair broken across tours (reported elsewhere).
            continue
        named = sorted(c for c in classes if c is not None)
        spans += [_OnBoard(visit, goods_class, first, stop) for goods_class in named]
    return spans
