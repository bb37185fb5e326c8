"""Mandatory breaks: a fixed-duration interval per break, placed by OR-Tools between services."""

from __future__ import annotations

from routing.constraints.context import ModelContext
from routing.constraints.time_windows import service_by_node


def add_breaks(ctx: ModelContext) -> None:
    dimension = ctx.time_dimension
    assert dimension is not None, "the time dimension comes first"
    # OR-Tools reads this vector by solver index, not by node, and ends have indices past the
    # node count: sized by node it is read out of bounds and the plans turn erratic.
    service = service_by_node(ctx)
    routing = ctx.routing
    visit_transits = [0] * (routing.Size() + routing.vehicles())
    for index in range(routing.Size()):
        if not routing.IsStart(index):
            visit_transits[index] = int(service[ctx.indexer.node(index)])
    for v, vehicle in enumerate(ctx.problem.vehicles):
        if not vehicle.breaks:
            continue
        intervals = [
            ctx.solver.FixedDurationIntervalVar(
                brk.window.start_s, brk.window.end_s, brk.duration_s, False, f"break {v}.{i}"
            )
            for i, brk in enumerate(vehicle.breaks)
        ]
        dimension.SetBreakIntervalsOfVehicle(intervals, v, visit_transits)
        for interval in intervals:
            ctx.routing.AddIntervalToAssignment(interval)
        ctx.break_intervals[v] = intervals
