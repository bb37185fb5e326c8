"""Names the binding constraint for visits the optimiser left out.

For each constraint family present in the problem, the model is rebuilt with that family
switched off and the left-out visits made very expensive to drop, then re-solved briefly from
the current plan. A visit that then fits was kept out by that family. One short re-solve per
family (not per visit) keeps the cost bounded whatever the number of dropped visits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.constraints.context import ModelContext, Relaxation
from routing.model import build_model
from routing.problem import Problem
from routing.search import SearchConfig, search_parameters
from routing.solution import Unassigned, UnassignedReason
from routing.warm_start import initial_assignment

logger = logging.getLogger(__name__)

# Dropping a suspect visit costs this many times its normal penalty while we probe.
_BOOST = 1000

_FAMILIES: tuple[tuple[UnassignedReason, Relaxation], ...] = (
    (UnassignedReason.DROPPED_CAPACITY, Relaxation(capacity=True)),
    (UnassignedReason.DROPPED_TIME_WINDOWS, Relaxation(time_windows=True)),
    (UnassignedReason.DROPPED_SHIFT_DURATION, Relaxation(shift_duration=True)),
    (UnassignedReason.DROPPED_SKILLS, Relaxation(skills=True)),
    (UnassignedReason.DROPPED_INCOMPATIBILITY, Relaxation(incompatibility=True)),
)


def explain_drops(
    problem: Problem,
    dropped: Sequence[str],
    routes: Mapping[str, Sequence[str]],
    config: SearchConfig,
    budget_s: float,
) -> list[Unassigned]:
    """A reason for every id in `dropped`, spending at most about `budget_s` in total."""
    families = [(r, relax) for r, relax in _FAMILIES if _present(problem, relax)]
    remaining = list(dropped)
    explained: list[Unassigned] = []
    deadline = time.monotonic() + budget_s
    examined = 0
    for index, (reason, relax) in enumerate(families):
        left = deadline - time.monotonic()
        if not remaining or left <= 0.05:
            break
        examined += 1
        fits = _fits_when_relaxed(
            problem, remaining, routes, relax, config, left / (len(families) - index)
        )
        explained += [Unassigned(visit_id, reason) for visit_id in remaining if visit_id in fits]
        remaining = [visit_id for visit_id in remaining if visit_id not in fits]
    detail = "" if examined == len(families) else "not every constraint was examined in time"
    explained += [Unassigned(v, UnassignedReason.DROPPED_FOR_PRIORITY, detail) for v in remaining]
    return explained


def _present(problem: Problem, relax: Relaxation) -> bool:
    if relax.capacity:
        return bool(problem.dimensions)
    if relax.skills:
        return any(v.skills for v in problem.visits)
    if relax.incompatibility:
        return bool(problem.incompatibilities)
    if relax.time_windows:
        return any(v.windows for v in problem.visits)
    return True


def _fits_when_relaxed(
    problem: Problem,
    suspects: Sequence[str],
    routes: Mapping[str, Sequence[str]],
    relax: Relaxation,
    config: SearchConfig,
    time_limit_s: float,
) -> set[str]:
    """Suspects that the relaxed model serves, first without, then with rearranging the plan.

    The quick probe keeps every served visit on the routes (a suspect that only fits by pushing
    another out is not kept out by this family) and lets greedy local search insert suspects.
    Insertions that need a whole day rearranged escape local moves, so when the probe finds
    none, the relaxed model is solved afresh: if it serves more visits than the plan does, the
    suspects among them were kept out by this family.
    """
    deadline = time.monotonic() + time_limit_s
    served = frozenset(v for visit_ids in routes.values() for v in visit_ids)
    ctx = build_model(
        problem, relax=relax, penalty_boost=dict.fromkeys(suspects, _BOOST), mandatory=served
    )
    params = search_parameters(config, time_limit_s / 4, len(problem.visits))
    # Greedy descent stops at the first local optimum: inserting a suspect is an improving move.
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    start = initial_assignment(ctx, routes, params)
    fits: set[str] = set()
    if start is not None:
        probe = ctx.routing.SolveFromAssignmentWithParameters(start, params)
        fits = _served(ctx, probe, suspects)
    left_s = deadline - time.monotonic()
    if fits or left_s < 0.1:
        return fits
    fresh = build_model(problem, relax=relax)
    assignment = fresh.routing.SolveWithParameters(
        search_parameters(config, left_s, len(problem.visits))
    )
    if len(_served(fresh, assignment, [v.id for v in problem.visits])) <= len(served):
        return set()
    return _served(fresh, assignment, suspects)


def _served(
    ctx: ModelContext, assignment: pywrapcp.Assignment | None, visit_ids: Sequence[str]
) -> set[str]:
    if assignment is None:
        return set()
    routing, indexer = ctx.routing, ctx.indexer
    return {
        visit_id
        for visit_id in visit_ids
        if assignment.Value(routing.NextVar(indexer.visit_index(visit_id)))
        != indexer.visit_index(visit_id)
    }
