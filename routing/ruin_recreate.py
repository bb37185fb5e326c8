"""Iterated local search with ruin-and-recreate, driven from Python around the OR-Tools model.

Each iteration removes a few strings of geographically close visits from the current plan
(Slack Induction by String Removals, Christiaens & Vanden Berghe 2020), lets OR-Tools re-insert
them and polish with a short greedy local search, and accepts the result by a cooling threshold.
OR-Tools keeps every constraint: a ruined-and-recreated plan is as feasible as any other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.constraints.context import ModelContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuinParameters:
    avg_removed: int = 10  # c-bar in the paper
    max_string: int = 10  # L-max
    neighbours: int = 30
    # Accept a worse plan while it is within this fraction of the current one, cooling to zero.
    start_threshold: float = 0.02
    inner_time_s: float = 0.2


def iterate(
    ctx: ModelContext,
    start: pywrapcp.Assignment,
    deadline: float,
    rng: np.random.Generator,
    parameters: RuinParameters | None = None,
    on_improvement: Callable[[float], None] | None = None,
) -> pywrapcp.Assignment:
    """The best assignment found by ruin-and-recreate from `start` until `deadline`."""
    p = parameters or RuinParameters()
    routing = ctx.routing
    neighbours = _nearest_visits(ctx, p.neighbours)
    best = routing.solver().Assignment(start)
    best_cost = start.ObjectiveValue()
    current_routes = _routes(ctx, start)
    current_cost = best_cost
    began = time.monotonic()
    total = max(deadline - began, 1e-9)
    inner = _inner_parameters(p.inner_time_s)
    iterations = 0
    unusable = 0  # ruined routes OR-Tools would not read, or recreated without a plan
    while time.monotonic() < deadline - 0.01:
        iterations += 1
        progress = (time.monotonic() - began) / total
        ruined = _ruin(current_routes, neighbours, rng, p)
        attempt = routing.ReadAssignmentFromRoutes(ruined, True)
        if attempt is None:
            unusable += 1
            continue
        left = deadline - time.monotonic()
        inner.time_limit.FromMilliseconds(int(1000 * max(0.01, min(p.inner_time_s, left))))
        result = routing.SolveFromAssignmentWithParameters(attempt, inner)
        if result is None:
            unusable += 1
            continue
        cost = result.ObjectiveValue()
        threshold = p.start_threshold * (1.0 - progress)
        if cost < current_cost * (1.0 + threshold):
            current_routes, current_cost = _routes(ctx, result), cost
        if cost < best_cost:
            best = routing.solver().Assignment(result)
            best_cost = cost
            if on_improvement is not None:
                on_improvement(cost)
    elapsed_s = max(time.monotonic() - began, 1e-9)
    # Each iteration crosses into OR-Tools twice (routes in, a full local search out): the
    # rate, not the ruin, is what limits this loop.
    logger.info(
        "ruin-and-recreate: %d iterations in %.1f s (%.1f per s), %d unusable",
        iterations,
        elapsed_s,
        iterations / elapsed_s,
        unusable,
    )
    return best


def _inner_parameters(time_s: float) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromMilliseconds(int(1000 * time_s))
    return params


def _routes(ctx: ModelContext, assignment: pywrapcp.Assignment) -> list[list[int]]:
    routing = ctx.routing
    routes = []
    for v in range(routing.vehicles()):
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


def _nearest_visits(ctx: ModelContext, k: int) -> npt.NDArray[np.int64]:
    """Row i: the k visits nearest to visit i (visits are solver indices 0..n-1)."""
    layout = ctx.indexer.layout
    n = layout.n_visits
    assert all(ctx.indexer.index_of_node(node) == node for node in (0, n - 1)), "index layout"
    locations = layout.node_location[:n]
    first_profile = ctx.problem.vehicles[0].profile
    distance = ctx.problem.matrices[first_profile].distance_m[np.ix_(locations, locations)]
    nearest: npt.NDArray[np.int64] = np.argsort(distance + distance.T, axis=1)[:, 1 : k + 1]
    return nearest


def _ruin(
    routes: list[list[int]],
    neighbours: npt.NDArray[np.int64],
    rng: np.random.Generator,
    p: RuinParameters,
) -> list[list[int]]:
    """SISR: remove strings around a random seed visit from a few nearby routes."""
    route_of = {index: r for r, route in enumerate(routes) for index in route}
    if not route_of:
        return [list(route) for route in routes]
    non_empty = [len(route) for route in routes if route]
    max_string = min(p.max_string, max(1, int(np.mean(non_empty))))
    max_routes = (4 * p.avg_removed) / (1 + max_string) - 1
    n_routes = int(rng.uniform(1, max_routes + 1))
    seed = int(rng.choice(list(route_of)))
    removed: set[int] = set()
    touched: set[int] = set()
    for candidate in [seed, *neighbours[seed]]:
        if len(touched) >= n_routes:
            break
        r = route_of.get(int(candidate))
        if r is None or r in touched:
            continue
        touched.add(r)
        route = routes[r]
        length = int(rng.uniform(1, min(max_string, len(route)) + 1))
        at = route.index(int(candidate))
        first = int(rng.integers(max(0, at - length + 1), min(at, len(route) - length) + 1))
        removed.update(route[first : first + length])
    return [[i for i in route if i not in removed] for route in routes]
