"""Solves a Problem: prechecks, the OR-Tools search under a time limit, reasons for every drop."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing import ruin_recreate
from routing.constraints.context import ModelContext
from routing.costs import UNITS_PER_CURRENCY
from routing.explain import explain_drops
from routing.extract import extract_tours
from routing.model import build_model
from routing.prechecks import check_prefixes, precheck
from routing.problem import InvalidProblem, NoPlanInTime, Problem
from routing.search import DEFAULT, SearchConfig, from_given_routes, search_parameters
from routing.solution import DROP_REASONS, Solution, Unassigned, UnassignedReason
from routing.warm_start import feasible_routes, initial_assignment

logger = logging.getLogger(__name__)

_INVALID = routing_enums_pb2.RoutingSearchStatus.ROUTING_INVALID

# Called with (fraction of the time limit used, cost of the best plan so far or None).
Progress = Callable[[float, float | None], None]


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
    progress: Progress | None = None,
    config: SearchConfig | None = None,
    explain: bool = True,
    explain_within_s: float | None = None,
    seed: int = 0,
) -> Solution:
    """The best plan found within `time_limit_s` (plus a short explanation budget).

    Visits the optimiser leaves out are explained by re-solving with one constraint family
    relaxed, within `explain_within_s` (default `explain_budget_s`); a replan during the day
    gives it less, because the day does not wait.

    `seed` drives the random ruins of the ruin-and-recreate phase; the OR-Tools search itself
    is deterministic, so equal seeds and configurations give equal plans on an idle machine.

    Raises InvalidProblem only for a malformed problem (including fixed prefixes that cannot be
    driven), and its NoPlanInTime when the time limit ends before a first plan. Visits that
    cannot be served are listed in `Solution.unassigned` with a reason.
    """
    config = config or DEFAULT
    started = time.monotonic()
    rejected = precheck(problem)
    check_prefixes(problem, rejected)
    rejected_ids = {u.visit_id for u in rejected}
    kept = _without(problem, rejected_ids)

    ctx = build_model(kept)
    if progress is not None:
        _report_progress(ctx, progress, started, time_limit_s)
    on_improvement = None
    if progress is not None:
        report = progress

        def on_improvement(cost: float) -> None:
            fraction = (time.monotonic() - started) / max(time_limit_s, 1e-9)
            report(min(1.0, fraction), cost / UNITS_PER_CURRENCY)

    if initial_routes is not None:
        initial_routes = feasible_routes(kept, initial_routes)
    assignment, status = _search(ctx, config, time_limit_s, initial_routes, seed, on_improvement)
    if assignment is None and ctx.routing.status() == _INVALID:
        raise ValueError(f"OR-Tools rejected the search parameters of {config.name!r}")
    if assignment is None:
        searched_s = time.monotonic() - started
        # Iterated local search leaves the status unset: a search that used its time timed out.
        if status == "fail_timeout" or searched_s >= time_limit_s:
            raise NoPlanInTime(
                f"no first plan for {len(kept.visits)} visits and {len(kept.vehicles)} vehicles "
                f"was found within the time limit of {time_limit_s:g} s"
            )
        raise InvalidProblem("no plan satisfies the fixed prefixes and the vehicles' shifts")

    tours = extract_tours(ctx, assignment)
    served = {a.visit_id for tour in tours for a in tour.arrivals}
    dropped = [
        Unassigned(v.id, UnassignedReason.DROPPED_FOR_PRIORITY)
        for v in kept.visits
        if v.id not in served
    ]
    if progress is not None:
        progress(1.0, sum(t.cost for t in tours))
    solution = Solution(
        tours=tuple(tours),
        unassigned=tuple(rejected + dropped),
        cost=sum(t.cost for t in tours),
        status=status,
        wall_time_s=time.monotonic() - started,
        stats={
            "objective": assignment.ObjectiveValue() / UNITS_PER_CURRENCY,
            "search_s": time.monotonic() - started,
            "visits": float(len(problem.visits)),
            "dropped": float(len(dropped)),
            "rejected_before_search": float(len(rejected)),
        },
    )
    if dropped and explain:
        budget = (
            explain_within_s if explain_within_s is not None else explain_budget_s(time_limit_s)
        )
        solution = explain_unassigned(problem, solution, config, budget)
    return solution


def explain_budget_s(time_limit_s: float) -> float:
    """Time for naming binding constraints: three quarters of the search, 1 s to 15 s.

    Most of it goes into re-solving the day with one family relaxed; less than that and busy
    days come back "dropped for priority" for want of a complete relaxed plan.
    """
    return min(15.0, max(1.0, 0.75 * time_limit_s))


def explain_unassigned(
    problem: Problem, solution: Solution, config: SearchConfig, budget_s: float
) -> Solution:
    """`solution` with the optimiser's drops given their binding constraint."""
    dropped = [u.visit_id for u in solution.unassigned if u.reason in DROP_REASONS]
    if not dropped:
        return solution
    rejected = [u for u in solution.unassigned if u.reason not in DROP_REASONS]
    kept = _without(problem, {u.visit_id for u in rejected})
    explained = explain_drops(kept, dropped, solution.routes(), config, budget_s)
    return dataclasses.replace(
        solution,
        unassigned=tuple(rejected + explained),
        wall_time_s=solution.wall_time_s + budget_s,
    )


def _without(problem: Problem, visit_ids: set[str]) -> Problem:
    if not visit_ids:
        return problem
    return dataclasses.replace(
        problem,
        visits=tuple(v for v in problem.visits if v.id not in visit_ids),
        pairs=tuple(p for p in problem.pairs if p.pickup_id not in visit_ids),
    )


def _search(
    ctx: ModelContext,
    config: SearchConfig,
    time_limit_s: float,
    initial_routes: Mapping[str, Sequence[str]] | None,
    seed: int,
    on_improvement: Callable[[float], None] | None,
) -> tuple[pywrapcp.Assignment | None, str]:
    """The best assignment, and the OR-Tools status of the main search phase."""
    deadline = time.monotonic() + time_limit_s
    n_visits = len(ctx.problem.visits)
    if config.ruin_recreate_after is None:
        params = search_parameters(config, time_limit_s, n_visits)
        start = initial_assignment(ctx, initial_routes, params) if initial_routes else None
        if start is not None:
            params = from_given_routes(params)
            assignment = ctx.routing.SolveFromAssignmentWithParameters(start, params)
        elif params.use_iterated_local_search and n_visits:
            # OR-Tools runs its iterated local search only through this entry point, which
            # leaves the model's status unset; a returned plan is a completed search.
            assignment = ctx.routing.SolveWithIteratedLocalSearch(params)
            return assignment, "success" if assignment is not None else _status_name(ctx)
        else:
            assignment = ctx.routing.SolveWithParameters(params)
        return assignment, _status_name(ctx)
    # Two phases: the first plan (built to completion, however long that takes) improved by the
    # metaheuristic for a share of the time, then ruin-and-recreate until the deadline.
    params = search_parameters(config, time_limit_s, n_visits)
    start = initial_assignment(ctx, initial_routes, params) if initial_routes else None
    if start is None:
        params.solution_limit = 1
        start = ctx.routing.SolveWithParameters(params)
    if start is None:
        return None, _status_name(ctx)
    elapsed_s = time.monotonic() - (deadline - time_limit_s)
    phase_s = time_limit_s * config.ruin_recreate_after - elapsed_s
    assignment = start
    if phase_s > 0.01:
        params = search_parameters(config, phase_s, n_visits)
        assignment = ctx.routing.SolveFromAssignmentWithParameters(start, params) or start
    # Read now: the ruin-and-recreate solves that follow overwrite the model's status.
    status = _status_name(ctx)
    if not ctx.problem.visits:
        return assignment, status
    rng = np.random.default_rng(seed)
    improved = ruin_recreate.iterate(ctx, assignment, deadline, rng, on_improvement=on_improvement)
    return improved, status


def _report_progress(
    ctx: ModelContext, progress: Progress, started: float, time_limit_s: float
) -> None:
    best: list[int] = []

    def on_solution() -> None:
        # The cost variable exists only once the model is closed, i.e. inside the search. Max(),
        # not Value(): should the callback fire where the cost is not bound, Value() aborts the
        # whole process (a failed CHECK), Max() merely reports an upper bound.
        # Iterated local search also reports the perturbed plans it moves through, which may
        # cost more than the best so far: only the best is reported.
        cost = ctx.routing.CostVar().Max()
        if best and cost >= best[0]:
            return
        best[:] = [cost]
        fraction = min(1.0, (time.monotonic() - started) / max(time_limit_s, 1e-9))
        progress(fraction, cost / UNITS_PER_CURRENCY)

    ctx.routing.AddAtSolutionCallback(on_solution)


def _status_name(ctx: ModelContext) -> str:
    name: str = routing_enums_pb2.RoutingSearchStatus.Value.Name(ctx.routing.status())
    return name.removeprefix("ROUTING_").lower()
