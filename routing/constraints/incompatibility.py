"""Goods classes that may never share a vehicle, or never be on board at the same time.

The on-board span of each visit follows how goods move: an unpaired delivery is on board from
the start up to its visit, an unpaired pickup from its visit to the end, a pair in between.
"""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp

from routing.constraints.context import ModelContext
from routing.problem import Incompatibility, VisitKind

_POLICY = pywrapcp.RoutingModel


def add_incompatibilities(ctx: ModelContext) -> None:
    problem, routing = ctx.problem, ctx.routing
    if ctx.relax.incompatibility or not problem.incompatibilities:
        return
    involved = sorted({c for a, b, _ in problem.incompatibilities for c in (a, b)})
    type_of = {goods_class: t for t, goods_class in enumerate(involved)}
    pickups = {p.pickup_id for p in problem.pairs}
    deliveries = {p.delivery_id for p in problem.pairs}
    for visit in problem.visits:
        if visit.goods_class not in type_of:
            continue
        if visit.id in pickups or (visit.kind == VisitKind.PICKUP and visit.id not in deliveries):
            policy = _POLICY.TYPE_ADDED_TO_VEHICLE
        elif visit.id in deliveries:
            policy = _POLICY.ADDED_TYPE_REMOVED_FROM_VEHICLE
        else:
            policy = _POLICY.TYPE_ON_VEHICLE_UP_TO_VISIT
        routing.SetVisitType(ctx.indexer.visit_index(visit.id), type_of[visit.goods_class], policy)
    for a, b, kind in problem.incompatibilities:
        if kind == Incompatibility.SAME_VEHICLE:
            routing.AddHardTypeIncompatibility(type_of[a], type_of[b])
        else:
            routing.AddTemporalTypeIncompatibility(type_of[a], type_of[b])
