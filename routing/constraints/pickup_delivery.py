"""Pickup-and-delivery pairs: same vehicle, pickup first."""

from __future__ import annotations

from routing.constraints.context import ModelContext


def add_pairs(ctx: ModelContext) -> None:
    routing, dimension = ctx.routing, ctx.time_dimension
    assert dimension is not None, "the time dimension comes first"
    for pair in ctx.problem.pairs:
        pickup = ctx.indexer.visit_index(pair.pickup_id)
        delivery = ctx.indexer.visit_index(pair.delivery_id)
        routing.AddPickupAndDelivery(pickup, delivery)
        ctx.solver.Add(routing.VehicleVar(pickup) == routing.VehicleVar(delivery))
        ctx.solver.Add(dimension.CumulVar(pickup) <= dimension.CumulVar(delivery))
