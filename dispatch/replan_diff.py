"""What a replan changes: the current plan driven on from now versus the replanned one.

"Before" is the base plan's remaining sequences timed from where each courier is now
(`routing.evaluate`), so lateness that is already unavoidable counts on both sides and the
difference is what the replan itself wins or costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import routing
from dispatch.problem_builder import BuiltProblem


@dataclass(frozen=True, slots=True)
class _Placement:
    vehicle_id: int
    service_start_s: int
    late_s: int


def replan_diff(
    built: BuiltProblem,
    before: routing.Solution,
    after: routing.Solution,
    *,
    planned_vehicle_of: Mapping[int, int],
    eta_change_s: int,
) -> dict[str, Any]:
    """A JSON-ready summary: stops moved, orders newly served or dropped, lateness, km, ETAs.

    `planned_vehicle_of` maps each open order of the base plan to its vehicle there (also
    orders whose vehicle left the day, which "before" cannot time).
    """
    problem = built.problem
    was = _placements(built, before)
    now = _placements(built, after)
    moved = [
        {"order_id": o, "from_vehicle_id": v, "to_vehicle_id": now[o].vehicle_id}
        for o, v in sorted(planned_vehicle_of.items())
        if o in now and now[o].vehicle_id != v
    ]
    eta_changes = [
        {
            "order_id": o,
            "before": built.clock.instant(was[o].service_start_s).isoformat(),
            "after": built.clock.instant(now[o].service_start_s).isoformat(),
            "shift_s": now[o].service_start_s - was[o].service_start_s,
        }
        for o in sorted(was.keys() & now.keys())
        if abs(now[o].service_start_s - was[o].service_start_s) >= eta_change_s
    ]
    late_before = {o: p.late_s for o, p in was.items() if p.late_s > 0}
    late_after = {o: p.late_s for o, p in now.items() if p.late_s > 0}
    diff: dict[str, Any] = {
        "stops_moved": moved,
        "newly_served": sorted(now.keys() - planned_vehicle_of.keys()),
        "no_longer_served": sorted(planned_vehicle_of.keys() - now.keys()),
        "late_stops_before": len(late_before),
        "late_stops_after": len(late_after),
        "lateness_min_before": round(sum(late_before.values()) / 60),
        "lateness_min_after": round(sum(late_after.values()) / 60),
        "late_orders_after": sorted(late_after),
        "distance_km_before": round(before.distance_m / 1000, 2),
        "distance_km_after": round(after.distance_m / 1000, 2),
        "eta_changes": eta_changes,
        "visits": len(problem.visits),
    }
    diff["summary"] = summary_text(diff)
    return diff


def _placements(built: BuiltProblem, solution: routing.Solution) -> Mapping[int, _Placement]:
    placed: dict[int, _Placement] = {}
    for tour in solution.tours:
        for arrival in tour.arrivals:
            visit = built.problem.visit(arrival.visit_id)
            placed[built.order_of_visit[arrival.visit_id]] = _Placement(
                built.vehicle_of[tour.vehicle_id],
                arrival.service_start_s,
                visit.lateness_s(arrival.service_start_s),
            )
    return placed


def summary_text(diff: Mapping[str, Any]) -> str:
    """One line for the dispatcher: what accepting the replan changes."""
    parts = [f"{len(diff['stops_moved'])} stops moved"]
    if diff["newly_served"]:
        parts.append(f"{len(diff['newly_served'])} more orders served")
    if diff["no_longer_served"]:
        parts.append(f"{len(diff['no_longer_served'])} orders left out")
    parts.append(
        f"late stops {diff['late_stops_before']} -> {diff['late_stops_after']} "
        f"({diff['lateness_min_before']} -> {diff['lateness_min_after']} min late in all)"
    )
    parts.append(f"{diff['distance_km_before']} -> {diff['distance_km_after']} km still to drive")
    parts.append(f"{len(diff['eta_changes'])} customers get a new ETA")
    return ", ".join(parts)
