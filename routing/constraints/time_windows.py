"""Time: driving plus service as transit, visit windows (several per visit), shifts, duration.

A window constrains the start of service. Waiting is slack. Visit windows with gaps become the
hull of the windows with the gaps removed from the cumul variable's domain.
"""

from __future__ import annotations

import numpy as np

from routing.constraints.context import ModelContext
from routing.costs import lateness_cost_per_s, span_cost_per_s
from routing.indexing import node_matrix

TIME = "time"
# How far past the latest time in the problem a relaxed shift may run.
_RELAXED_SLACK_S = 7 * 24 * 3600


def horizon_s(ctx: ModelContext) -> int:
    problem = ctx.problem
    latest = max((max(v.shift.end_s, v.earliest_start_s) for v in problem.vehicles), default=0)
    for visit in problem.visits:
        if visit.windows:
            latest = max(latest, visit.deadline_s or visit.windows[-1].end_s)
    return latest + _RELAXED_SLACK_S if ctx.relax.shift_duration else latest


def service_by_node(ctx: ModelContext) -> np.ndarray:
    service = np.zeros(ctx.indexer.layout.n_nodes, dtype=np.int64)
    service[: len(ctx.problem.visits)] = [v.service_s for v in ctx.problem.visits]
    return service


def add_time(ctx: ModelContext) -> None:
    problem, routing, layout = ctx.problem, ctx.routing, ctx.indexer.layout
    service = service_by_node(ctx)
    evaluators: dict[str, int] = {}
    for profile in {v.profile for v in problem.vehicles}:
        travel = node_matrix(layout, problem.matrices[profile].duration_s)
        # Service happens at the node we leave, so it is added to every outgoing arc.
        transit = travel + service[:, None]
        evaluators[profile] = routing.RegisterTransitMatrix(transit.tolist())
    horizon = horizon_s(ctx)
    routing.AddDimensionWithVehicleTransits(
        [evaluators[v.profile] for v in problem.vehicles], horizon, horizon, False, TIME
    )
    dimension = routing.GetDimensionOrDie(TIME)
    ctx.time_dimension = dimension

    if not ctx.relax.time_windows:
        for visit in problem.visits:
            if not visit.windows:
                continue
            index = ctx.indexer.visit_index(visit.id)
            cumul = dimension.CumulVar(index)
            cumul.SetRange(visit.windows[0].start_s, visit.deadline_s or visit.windows[-1].end_s)
            for before, after in zip(visit.windows, visit.windows[1:], strict=False):
                cumul.RemoveInterval(before.end_s + 1, after.start_s - 1)
            if visit.max_lateness_s:
                dimension.SetCumulVarSoftUpperBound(
                    index, visit.windows[-1].end_s, lateness_cost_per_s(visit)
                )

    for v, vehicle in enumerate(problem.vehicles):
        start, end = routing.Start(v), routing.End(v)
        # A vehicle ready only after its shift has ended serves nothing; its empty route starts
        # and ends when it is ready instead of making the model infeasible.
        latest = horizon if ctx.relax.shift_duration else vehicle.shift.end_s
        latest = max(latest, vehicle.earliest_start_s)
        dimension.CumulVar(start).SetRange(vehicle.earliest_start_s, latest)
        dimension.CumulVar(end).SetRange(vehicle.earliest_start_s, latest)
        if vehicle.max_duration_s is not None and not ctx.relax.shift_duration:
            dimension.SetSpanUpperBoundForVehicle(vehicle.max_duration_s, v)
        coefficient = span_cost_per_s(vehicle)
        if coefficient:
            dimension.SetSpanCostCoefficientForVehicle(coefficient, v)
        # Leave as late and come back as early as the plan allows: no idle time at the ends.
        routing.AddVariableMaximizedByFinalizer(dimension.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(dimension.CumulVar(end))
