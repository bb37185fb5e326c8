"""Turns visit ids per vehicle (a previous plan) into an OR-Tools starting assignment."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ortools.constraint_solver import pywrapcp

from routing.constraints.context import ModelContext

logger = logging.getLogger(__name__)


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
    ctx.routing.CloseModelWithParameters(params)
    assignment = ctx.routing.ReadAssignmentFromRoutes(per_vehicle, True)
    if assignment is None:
        logger.info("the warm start does not satisfy the model; solving from scratch")
    return assignment
