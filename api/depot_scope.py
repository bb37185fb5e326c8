"""Depot scoping of dispatchers: ids of other depots' objects answer 404, lists keep to theirs.

A route names an id parameter with one of the types below instead of `IdPath`/`IdQuery`; for a
dispatcher of one depot the dependency refuses another depot's object exactly as an unknown id.
Lists take `DepotFilter`, and a depot named in a body goes through `depot_in_scope`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends

from api.auth import Actor, current_actor
from api.deps import IdPath, IdQuery, SessionDep
from dispatch import depot_scope
from dispatch.depot_scope import Kind

ActorDep = Annotated[Actor, Depends(current_actor)]


def scope_of(actor: Actor) -> int | None:
    """The depot the actor is confined to, or None (admins, couriers, unscoped dispatchers)."""
    return actor.depot_id


def depot_in_scope(session: SessionDep, actor: Actor, requested: int | None) -> int | None:
    """The depot to work in for a request naming `requested` (or no depot): a scoped
    dispatcher's own by default; another depot is a 404 `depot_not_found`."""
    return depot_scope.depot_in_scope(session, requested, scope=scope_of(actor))


def check_in_scope(session: SessionDep, actor: Actor, kind: Kind, object_id: int | None) -> None:
    """Raises the kind's not-found error when the object (if any) is out of the actor's depot."""
    scope = scope_of(actor)
    if scope is not None and object_id is not None:
        depot_scope.ensure_in_depot(session, kind, object_id, depot_id=scope)


def _checked_id(name: str, kind: Kind, id_type: Any) -> Callable[..., int | None]:
    """A dependency reading the id parameter `name` and refusing it when out of scope."""

    def check(actor: ActorDep, session: SessionDep, **ids: int | None) -> int | None:
        check_in_scope(session, actor, kind, ids[name])
        return ids[name]

    keyword = inspect.Parameter.KEYWORD_ONLY
    default = None if id_type is IdQuery else inspect.Parameter.empty
    check.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("actor", keyword, annotation=ActorDep),
            inspect.Parameter("session", keyword, annotation=SessionDep),
            inspect.Parameter(name, keyword, annotation=id_type, default=default),
        ]
    )
    return check


def _filter_depot(actor: ActorDep, session: SessionDep, depot_id: IdQuery = None) -> int | None:
    return depot_in_scope(session, actor, depot_id)


# The optional `depot_id` query of a list: a scoped dispatcher's own depot unless given.
DepotFilter = Annotated[int | None, Depends(_filter_depot)]

DepotId = Annotated[int, Depends(_checked_id("depot_id", Kind.DEPOT, IdPath))]
VehicleId = Annotated[int, Depends(_checked_id("vehicle_id", Kind.VEHICLE, IdPath))]
CourierId = Annotated[int, Depends(_checked_id("courier_id", Kind.COURIER, IdPath))]
ShiftId = Annotated[int, Depends(_checked_id("shift_id", Kind.SHIFT, IdPath))]
OrderId = Annotated[int, Depends(_checked_id("order_id", Kind.ORDER, IdPath))]
PlanId = Annotated[int, Depends(_checked_id("plan_id", Kind.PLAN, IdPath))]
PlanJobId = Annotated[int, Depends(_checked_id("job_id", Kind.PLAN_JOB, IdPath))]
ReplanId = Annotated[int, Depends(_checked_id("job_id", Kind.REPLAN, IdPath))]
RouteId = Annotated[int, Depends(_checked_id("route_id", Kind.ROUTE, IdPath))]
ZoneId = Annotated[int, Depends(_checked_id("zone_id", Kind.ZONE, IdPath))]
BatchId = Annotated[int, Depends(_checked_id("batch_id", Kind.BATCH, IdPath))]
HoldId = Annotated[int, Depends(_checked_id("hold_id", Kind.HOLD, IdPath))]
ComplaintId = Annotated[int, Depends(_checked_id("complaint_id", Kind.COMPLAINT, IdPath))]
ReturnId = Annotated[int, Depends(_checked_id("return_id", Kind.RETURN, IdPath))]
CompensationId = Annotated[int, Depends(_checked_id("compensation_id", Kind.COMPENSATION, IdPath))]

CourierIdQuery = Annotated[int | None, Depends(_checked_id("courier_id", Kind.COURIER, IdQuery))]
OrderIdQuery = Annotated[int | None, Depends(_checked_id("order_id", Kind.ORDER, IdQuery))]
PlanIdQuery = Annotated[int | None, Depends(_checked_id("plan_id", Kind.PLAN, IdQuery))]
RouteIdQuery = Annotated[int | None, Depends(_checked_id("route_id", Kind.ROUTE, IdQuery))]
BatchIdQuery = Annotated[int | None, Depends(_checked_id("batch_id", Kind.BATCH, IdQuery))]
