"""Which vehicles may serve a visit: skills, explicit allow-lists, goods already on board."""

from __future__ import annotations

from routing.constraints.context import ModelContext
from routing.problem import Problem, Vehicle, Visit, VisitKind


def eligible_vehicles(problem: Problem, visit: Visit, *, ignore_skills: bool = False) -> list[int]:
    """Indices of the vehicles that may carry `visit` at all (ignoring time and load)."""
    paired = problem.pair_of(visit.id) is not None
    return [
        v
        for v, vehicle in enumerate(problem.vehicles)
        if vehicle_may_take(vehicle, visit, paired=paired, ignore_skills=ignore_skills)
    ]


def vehicle_may_take(
    vehicle: Vehicle, visit: Visit, *, paired: bool, ignore_skills: bool = False
) -> bool:
    if not ignore_skills and not visit.skills <= vehicle.skills:
        return False
    if visit.allowed_vehicles is not None and vehicle.id not in visit.allowed_vehicles:
        return False
    if visit.loaded_on is not None:
        return visit.loaded_on == vehicle.id
    # An unpaired delivery is loaded at the start: impossible away from a depot.
    return vehicle.can_load_at_start or visit.kind != VisitKind.DELIVERY or paired


def add_vehicle_restrictions(ctx: ModelContext) -> None:
    problem = ctx.problem
    everyone = len(problem.vehicles)
    for visit in problem.visits:
        allowed = eligible_vehicles(problem, visit, ignore_skills=ctx.relax.skills)
        pair = problem.pair_of(visit.id)
        if pair is not None:
            other_id = pair.delivery_id if visit.id == pair.pickup_id else pair.pickup_id
            other = eligible_vehicles(
                problem, problem.visit(other_id), ignore_skills=ctx.relax.skills
            )
            allowed = [v for v in allowed if v in other]
        assert allowed, f"visit {visit.id} has no vehicle; prechecks should have rejected it"
        if len(allowed) < everyone:
            # SetAllowedVehiclesForIndex takes an absl::Span the Python wrapper cannot build;
            # narrowing the vehicle variable's domain states the same constraint.
            barred = [v for v in range(everyone) if v not in allowed]
            ctx.routing.VehicleVar(ctx.indexer.visit_index(visit.id)).RemoveValues(barred)
