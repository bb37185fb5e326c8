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

from routing.constraints.context import Relaxation
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
    # Visits on the routes now must stay there: a suspect that only fits by pushing another
    # visit out is not kept out by this family.
    served = frozenset(v for visit_ids in routes.values() for v in visit_ids)
    ctx = build_model(
        problem, relax=relax, penalty_boost=dict.fromkeys(suspects, _BOOST), mandatory=served
    )
    params = search_parameters(config, time_limit_s, len(problem.visits))
    start = initial_assignment(ctx, routes, params)
    if start is not None:
        assignment = ctx.routing.SolveFromAssignmentWithParameters(start, params)
    else:
        assignment = ctx.routing.SolveWithParameters(params)
    if assignment is None:
        logger.info("relaxation %s found no plan in %.2fs", relax, time_limit_s)
        return set()
    return {
        visit_id
        for visit_id in suspects
        if assignment.Value(ctx.routing.NextVar(ctx.indexer.visit_index(visit_id)))
        != ctx.indexer.visit_index(visit_id)
    }
