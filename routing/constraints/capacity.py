"""Capacities in several dimensions, with goods loaded at the start and pickups riding to the end.

Without pickups this is the classic form: each delivery adds its demand, the total must fit.
With pickups the load is tracked as it really is: the route starts with every unpaired delivery
on board (a free start cumul), deliveries subtract, pickups add. A second, counting dimension of
the returns forces the start load to cover all unpaired deliveries, so returns can never "pay"
for deliveries that were never loaded.
"""

from __future__ import annotations

from routing.constraints.context import ModelContext
from routing.problem import VisitKind


def load_dimension_name(dim: str) -> str:
    return f"load:{dim}"


def add_capacities(ctx: ModelContext) -> None:
    problem, routing = ctx.problem, ctx.routing
    n_nodes = ctx.indexer.layout.n_nodes
    has_pickups = any(v.kind == VisitKind.PICKUP for v in problem.visits)
    paired = {p.pickup_id for p in problem.pairs} | {p.delivery_id for p in problem.pairs}
    big = 2**40

    for d, dim in enumerate(problem.dimensions):
        capacities = [problem.capacity_of(v)[d] for v in problem.vehicles]
        if ctx.relax.capacity:
            capacities = [big] * len(capacities)
        signed = [0] * n_nodes
        returns = [0] * n_nodes
        for node, visit in enumerate(problem.visits):
            amount = problem.demand_of(visit)[d]
            if not has_pickups:
                signed[node] = amount
            elif visit.kind == VisitKind.PICKUP:
                signed[node] = amount
                if visit.id not in paired:
                    returns[node] = amount
            else:
                signed[node] = -amount
        if not any(signed):
            continue
        name = load_dimension_name(dim)
        evaluator = routing.RegisterUnaryTransitVector(signed)
        routing.AddDimensionWithVehicleCapacity(evaluator, 0, capacities, not has_pickups, name)
        if not has_pickups:
            continue
        load = routing.GetDimensionOrDie(name)
        returns_name = f"returns:{dim}"
        returns_evaluator = routing.RegisterUnaryTransitVector(returns)
        routing.AddDimensionWithVehicleCapacity(
            returns_evaluator, 0, [big] * len(capacities), True, returns_name
        )
        returned = routing.GetDimensionOrDie(returns_name)
        for v in ctx.vehicle_indices():
            end = routing.End(v)
            ctx.solver.Add(load.CumulVar(end) >= returned.CumulVar(end))
