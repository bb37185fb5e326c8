"""Builds the OR-Tools routing model for a Problem, one constraint family at a time."""

from __future__ import annotations

from collections.abc import Mapping

from ortools.constraint_solver import pywrapcp

from routing.constraints.breaks import add_breaks
from routing.constraints.capacity import add_capacities
from routing.constraints.context import ModelContext, Relaxation
from routing.constraints.drops import add_drop_penalties, add_fixed_prefixes
from routing.constraints.incompatibility import add_incompatibilities
from routing.constraints.pickup_delivery import add_pairs
from routing.constraints.skills import add_vehicle_restrictions
from routing.constraints.time_windows import add_time
from routing.costs import arc_cost_per_m, fixed_cost_units
from routing.indexing import Indexer, layout_nodes, node_matrix
from routing.problem import Problem


def build_model(
    problem: Problem,
    relax: Relaxation | None = None,
    penalty_boost: Mapping[str, int] | None = None,
    mandatory: frozenset[str] = frozenset(),
) -> ModelContext:
    indexer = Indexer(layout_nodes(problem))
    parameters = pywrapcp.DefaultRoutingModelParameters()
    routing = pywrapcp.RoutingModel(indexer.manager, parameters)
    ctx = ModelContext(problem=problem, indexer=indexer, routing=routing)
    if relax is not None:
        ctx.relax = relax
    _add_arc_costs(ctx)
    add_time(ctx)
    add_breaks(ctx)
    add_capacities(ctx)
    add_vehicle_restrictions(ctx)
    add_pairs(ctx)
    add_incompatibilities(ctx)
    add_drop_penalties(ctx, penalty_boost, mandatory)
    add_fixed_prefixes(ctx)
    return ctx


def _add_arc_costs(ctx: ModelContext) -> None:
    problem, routing, layout = ctx.problem, ctx.routing, ctx.indexer.layout
    # Costs are registered as matrices, evaluated on the C++ side without calling back into
    # Python; vehicles with the same profile and price per metre share one matrix.
    evaluators: dict[tuple[str, int], int] = {}
    distances = {}
    for v, vehicle in enumerate(problem.vehicles):
        key = (vehicle.profile, arc_cost_per_m(vehicle))
        if key not in evaluators:
            if vehicle.profile not in distances:
                distances[vehicle.profile] = node_matrix(
                    layout, problem.matrices[vehicle.profile].distance_m
                )
            cost = distances[vehicle.profile] * key[1]
            evaluators[key] = routing.RegisterTransitMatrix(cost.tolist())
        routing.SetArcCostEvaluatorOfVehicle(evaluators[key], v)
        routing.SetFixedCostOfVehicle(fixed_cost_units(vehicle), v)
