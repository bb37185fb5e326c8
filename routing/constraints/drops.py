"""Optional visits: every visit may be left out at a price, so a solve never fails outright.

Visits in a vehicle's fixed prefix are the exception: they are committed and pinned in place.
"""

from __future__ import annotations

from collections.abc import Mapping

from routing.constraints.context import ModelContext
from routing.costs import base_drop_penalty, drop_penalty


def add_drop_penalties(
    ctx: ModelContext,
    boost: Mapping[str, int] | None = None,
    mandatory: frozenset[str] = frozenset(),
) -> None:
    """`boost` multiplies the penalty of some visits; `mandatory` ones may not be dropped.

    Both serve the drop explanations: can a left-out visit join without pushing anyone out?
    """
    problem = ctx.problem
    base = base_drop_penalty(problem)
    pinned = {vid for vehicle in problem.vehicles for vid in vehicle.fixed_prefix} | mandatory
    for visit in problem.visits:
        if visit.id in pinned:
            continue
        penalty = drop_penalty(visit, base) * (boost or {}).get(visit.id, 1)
        ctx.routing.AddDisjunction([ctx.indexer.visit_index(visit.id)], penalty)


def add_fixed_prefixes(ctx: ModelContext) -> None:
    routing = ctx.routing
    for v, vehicle in enumerate(ctx.problem.vehicles):
        previous = routing.Start(v)
        for visit_id in vehicle.fixed_prefix:
            index = ctx.indexer.visit_index(visit_id)
            routing.NextVar(previous).SetValue(index)
            routing.VehicleVar(index).SetValue(v)
            previous = index
