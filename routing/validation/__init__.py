"""Independent plan checker: recomputes a Solution from its Problem and lists every broken rule.

It shares no code with the solver (no OR-Tools, nothing from routing.solve or its helpers), so a
modelling mistake there cannot hide here.
"""

from __future__ import annotations

from routing.problem import Problem
from routing.solution import Solution
from routing.validation.breaks import check_breaks
from routing.validation.context import check_tour
from routing.validation.distance import check_distance
from routing.validation.fit import check_fit
from routing.validation.ids import check_ids
from routing.validation.incompatibility import check_incompatibilities
from routing.validation.loads import check_loads
from routing.validation.placement import check_fixed_prefixes, check_pairs
from routing.validation.timetable import check_shift, check_timetable
from routing.validation.violations import Violation, ViolationKind

__all__ = ["Violation", "ViolationKind", "assert_valid", "validate"]


def validate(problem: Problem, solution: Solution) -> list[Violation]:
    """Every rule the solution breaks; an empty list means the plan is feasible.

    Costs are not checked. A tour naming an unknown vehicle or visit is reported for that alone:
    its timetable, distance, load and fit checks would be guesses.
    """
    violations = check_ids(problem, solution)
    for tour in solution.tours:
        checked = check_tour(problem, tour)
        if checked is None:
            continue
        violations += check_timetable(checked)
        violations += check_shift(checked)
        violations += check_breaks(checked)
        violations += check_distance(checked)
        violations += check_loads(problem, checked)
        violations += check_fit(problem, checked)
    violations += check_fixed_prefixes(problem, solution)
    violations += check_pairs(problem, solution)
    violations += check_incompatibilities(problem, solution)
    return violations


def assert_valid(problem: Problem, solution: Solution) -> None:
    """Raise AssertionError listing every violation, for tests of the solver."""
    violations = validate(problem, solution)
    if violations:
        lines = [f"  {v.kind}: {v.detail}" for v in violations]
        raise AssertionError(f"the plan breaks {len(violations)} rule(s):\n" + "\n".join(lines))
