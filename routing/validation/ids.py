"""Ids: every tour names a known vehicle once, every visit is served once or left out once."""

from __future__ import annotations

from collections import Counter

from routing.problem import Problem
from routing.solution import Solution
from routing.validation.violations import Violation, ViolationKind


def check_ids(problem: Problem, solution: Solution) -> list[Violation]:
    return _check_vehicles(problem, solution) + _check_visits(problem, solution)


def _check_vehicles(problem: Problem, solution: Solution) -> list[Violation]:
    known = {v.id for v in problem.vehicles}
    found: list[Violation] = []
    seen: set[str] = set()
    for tour in solution.tours:
        vid = tour.vehicle_id
        if vid not in known:
            found.append(
                Violation(
                    ViolationKind.UNKNOWN_VEHICLE,
                    vid,
                    None,
                    f"a tour is driven by vehicle {vid}, which the problem does not have",
                )
            )
        elif vid in seen:
            found.append(
                Violation(ViolationKind.DUPLICATE_TOUR, vid, None, f"vehicle {vid} has two tours")
            )
        seen.add(vid)
    return found


def _check_visits(problem: Problem, solution: Solution) -> list[Violation]:
    known = {v.id for v in problem.visits}
    found: list[Violation] = []
    served: Counter[str] = Counter()
    for tour in solution.tours:
        for visit_id in tour.visit_ids:
            served[visit_id] += 1
            if visit_id not in known:
                found.append(
                    Violation(
                        ViolationKind.UNKNOWN_VISIT,
                        tour.vehicle_id,
                        visit_id,
                        f"the tour of vehicle {tour.vehicle_id} serves visit {visit_id}, "
                        "which the problem does not have",
                    )
                )
    unassigned = Counter(u.visit_id for u in solution.unassigned)
    for visit_id, times in served.items():
        if visit_id in known and times > 1:
            found.append(
                Violation(
                    ViolationKind.DUPLICATE_VISIT,
                    None,
                    visit_id,
                    f"visit {visit_id} is served {times} times",
                )
            )
    for visit_id, times in unassigned.items():
        if visit_id not in known:
            found.append(
                Violation(
                    ViolationKind.UNKNOWN_VISIT,
                    None,
                    visit_id,
                    f"visit {visit_id} is listed as unassigned but the problem does not have it",
                )
            )
            continue
        if times > 1:
            found.append(
                Violation(
                    ViolationKind.DUPLICATE_UNASSIGNED,
                    None,
                    visit_id,
                    f"visit {visit_id} is listed as unassigned {times} times",
                )
            )
        if visit_id in served:
            found.append(
                Violation(
                    ViolationKind.SERVED_AND_UNASSIGNED,
                    None,
                    visit_id,
                    f"visit {visit_id} is both served and listed as unassigned",
                )
            )
    for visit in problem.visits:
        if visit.id not in served and visit.id not in unassigned:
            found.append(
                Violation(
                    ViolationKind.MISSING_VISIT,
                    None,
                    visit.id,
                    f"visit {visit.id} is neither served nor listed as unassigned",
                )
            )
    return found
