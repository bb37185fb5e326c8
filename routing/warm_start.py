"""Turns visit ids per vehicle (a previous plan) into an OR-Tools starting assignment."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ortools.constraint_solver import pywrapcp, routing_parameters_pb2

from routing.constraints.context import ModelContext
from routing.evaluate import evaluate
from routing.problem import Problem
from routing.validation import validate

logger = logging.getLogger(__name__)

_RESTORE_SHARE = 0.1
_MIN_RESTORE_S = 0.05
_MAX_RESTORE_S = 1.0


def _seconds(params: pywrapcp.RoutingSearchParameters) -> float:
    return float(params.time_limit.seconds + params.time_limit.nanos / 1e9)


def initial_assignment(
    ctx: ModelContext,
    routes: Mapping[str, Sequence[str]],
    params: pywrapcp.RoutingSearchParameters,
) -> pywrapcp.Assignment | None:
    """The assignment for `routes`, or None when it does not satisfy the model.

    Unknown visit ids are skipped (the previous plan may name orders since removed); fixed
    prefixes are put in front, as the model demands.
    """
    known = set(ctx.indexer.layout.visit_ids)
    prefixed = {vid for vehicle in ctx.problem.vehicles for vid in vehicle.fixed_prefix}
    placed = set(prefixed)
    per_vehicle: list[list[int]] = []
    for vehicle in ctx.problem.vehicles:
        sequence = list(vehicle.fixed_prefix)
        for visit_id in routes.get(vehicle.id, ()):
            if visit_id in known and visit_id not in placed:
                sequence.append(visit_id)
                placed.add(visit_id)
        per_vehicle.append([ctx.indexer.visit_index(vid) for vid in sequence])
    # Restoring the routes finds the assignment at once, then keeps polishing the cumul values
    # (soft bounds such as allowed lateness) until the time limit: the search that follows does
    # that better, so the restore only gets a short slice of the time.
    restore = routing_parameters_pb2.RoutingSearchParameters()
    restore.CopyFrom(params)
    cap_s = max(_MIN_RESTORE_S, min(_RESTORE_SHARE * _seconds(params), _MAX_RESTORE_S))
    restore.time_limit.seconds = int(cap_s)
    restore.time_limit.nanos = int((cap_s - int(cap_s)) * 1e9)
    ctx.routing.CloseModelWithParameters(restore)
    assignment = ctx.routing.ReadAssignmentFromRoutes(per_vehicle, True)
    if assignment is None:
        logger.info("the warm start does not satisfy the model; solving from scratch")
    return assignment


def feasible_routes(problem: Problem, routes: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """`routes` cut back until each one keeps every rule, dropping visits from a broken route's
    end (never its fixed prefix); ids this problem does not know are skipped.

    A previous plan driven on may break a rule of the day as it is now (a courier running late
    ends after the shift): OR-Tools then refuses the whole warm start and a short search from
    scratch does far worse than the previous plan less its last stops.
    """
    known = {v.id for v in problem.visits}
    repaired: dict[str, list[str]] = {}
    for vehicle in problem.vehicles:
        fixed = len(vehicle.fixed_prefix)
        sequence = [v for v in routes.get(vehicle.id, ()) if v in known]
        while len(sequence) > fixed and _breaks_rules(problem, vehicle.id, sequence):
            sequence.pop()
        repaired[vehicle.id] = sequence
    return repaired


def _breaks_rules(problem: Problem, vehicle_id: str, sequence: list[str]) -> bool:
    tour = evaluate(problem, {vehicle_id: sequence})
    return any(v.vehicle_id == vehicle_id for v in validate(problem, tour))
