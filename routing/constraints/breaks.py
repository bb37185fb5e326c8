"""Mandatory breaks: a fixed-duration interval per break, placed by OR-Tools between services."""

from __future__ import annotations

from routing.constraints.context import ModelContext
from routing.constraints.time_windows import service_by_node


def add_breaks(ctx: ModelContext) -> None:
    dimension = ctx.time_dimension
    assert dimension is not None, "the time dimension comes first"
    visit_transits = [int(s) for s in service_by_node(ctx)]
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
