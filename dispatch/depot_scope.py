"""Which depot an object belongs to, and refusing a depot-scoped dispatcher another's objects."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from customers.errors import CompensationNotFound, ComplaintNotFound, ReturnNotFound
from dispatch.errors import (
    CourierNotFound,
    DepotNotFound,
    PlanJobNotFound,
    PlanNotFound,
    ReplanNotFound,
    RouteNotFound,
    ShiftNotFound,
    VehicleNotFound,
)
from infra.errors import NotFound
from infra.models import (
    Compensation,
    Complaint,
    Courier,
    Depot,
    Hold,
    Order,
    Plan,
    PlanJob,
    ReturnRequest,
    Route,
    Shift,
    StockBatch,
    StorageZone,
    Vehicle,
)
from orders.errors import OrderNotFound
from warehouse.errors import BatchNotFound, HoldNotFound, ZoneNotFound


class Kind(enum.Enum):
    """Objects that belong to a depot, each with its not-found error and its id's name."""

    DEPOT = ("depot", DepotNotFound, "depot_id")
    VEHICLE = ("vehicle", VehicleNotFound, "vehicle_id")
    COURIER = ("courier", CourierNotFound, "courier_id")
    SHIFT = ("shift", ShiftNotFound, "shift_id")
    ORDER = ("order", OrderNotFound, "order_id")
    PLAN = ("plan", PlanNotFound, "plan_id")
    PLAN_JOB = ("plan job", PlanJobNotFound, "job_id")
    REPLAN = ("replan", ReplanNotFound, "job_id")
    ROUTE = ("route", RouteNotFound, "route_id")
    ZONE = ("storage zone", ZoneNotFound, "zone_id")
    BATCH = ("stock batch", BatchNotFound, "batch_id")
    HOLD = ("hold", HoldNotFound, "hold_id")
    COMPLAINT = ("complaint", ComplaintNotFound, "complaint_id")
    RETURN = ("return", ReturnNotFound, "return_id")
    COMPENSATION = ("compensation", CompensationNotFound, "compensation_id")

    def not_found(self, object_id: int) -> NotFound:
        """The error of an id that does not exist, word for word: another depot's object
        must not be told apart from a missing one."""
        noun, error, id_name = self.value
        found: NotFound = error(f"{noun} {object_id} does not exist", **{id_name: object_id})
        return found


# The query of one object's depot id.
DepotQuery = Select[Any]


def _through_order(
    model: type[Complaint] | type[ReturnRequest] | type[Compensation],
) -> DepotQuery:
    return select(Order.depot_id).join(model, model.order_id == Order.id)


# Given an object's id, the query of its depot id.
_DEPOT_OF: dict[Kind, Callable[[int], DepotQuery]] = {
    Kind.DEPOT: lambda i: select(Depot.id).where(Depot.id == i),
    Kind.VEHICLE: lambda i: select(Vehicle.depot_id).where(Vehicle.id == i),
    Kind.COURIER: lambda i: select(Courier.depot_id).where(Courier.id == i),
    # A shift is the courier's: the vehicle it names may be lent by another depot.
    Kind.SHIFT: lambda i: select(Courier.depot_id).join(Shift).where(Shift.id == i),
    Kind.ORDER: lambda i: select(Order.depot_id).where(Order.id == i),
    Kind.PLAN: lambda i: select(Plan.depot_id).where(Plan.id == i),
    Kind.PLAN_JOB: lambda i: select(PlanJob.depot_id).where(PlanJob.id == i),
    Kind.REPLAN: lambda i: select(PlanJob.depot_id).where(PlanJob.id == i),
    Kind.ROUTE: lambda i: select(Plan.depot_id).join(Route).where(Route.id == i),
    Kind.ZONE: lambda i: select(StorageZone.depot_id).where(StorageZone.id == i),
    Kind.BATCH: lambda i: select(StockBatch.depot_id).where(StockBatch.id == i),
    Kind.HOLD: lambda i: select(StockBatch.depot_id).join(Hold).where(Hold.id == i),
    Kind.COMPLAINT: lambda i: _through_order(Complaint).where(Complaint.id == i),
    Kind.RETURN: lambda i: _through_order(ReturnRequest).where(ReturnRequest.id == i),
    Kind.COMPENSATION: lambda i: _through_order(Compensation).where(Compensation.id == i),
}


def ensure_in_depot(session: Session, kind: Kind, object_id: int, *, depot_id: int) -> None:
    """Raises the kind's not-found error unless the object belongs to `depot_id`.

    An object of no depot (an order or a plan of all depots) is not any one depot's: only
    unscoped users see it.
    """
    if session.scalar(_DEPOT_OF[kind](object_id)) != depot_id:
        raise kind.not_found(object_id)


def depot_in_scope(session: Session, requested: int | None, *, scope: int | None) -> int | None:
    """The depot a caller scoped to `scope` (None: not scoped) works in when asking for
    `requested` (None: not said): their own by default, another depot's is a 404."""
    if scope is None:
        return requested
    if requested is not None and requested != scope:
        ensure_in_depot(session, Kind.DEPOT, requested, depot_id=scope)
    return scope
