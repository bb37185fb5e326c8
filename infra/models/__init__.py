"""SQLAlchemy mapped classes, one module per area; importing this registers every table."""

from infra.models.accounts import Role, User
from infra.models.base import Base
from infra.models.fleet import Courier, Shift, Vehicle, VehicleStatus, VehicleType
from infra.models.idempotency import IdempotencyRecord
from infra.models.orders import (
    LocationSource,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    OrderWindow,
    Parcel,
)
from infra.models.planning import (
    JobStatus,
    Plan,
    PlanJob,
    PlanStatus,
    PlanUnserved,
    Route,
    RouteStatus,
    Stop,
)
from infra.models.warehouse import Depot

__all__ = [
    "Base",
    "Courier",
    "Depot",
    "IdempotencyRecord",
    "JobStatus",
    "LocationSource",
    "Order",
    "OrderKind",
    "OrderLine",
    "OrderStatus",
    "OrderWindow",
    "Parcel",
    "Plan",
    "PlanJob",
    "PlanStatus",
    "PlanUnserved",
    "Role",
    "Route",
    "RouteStatus",
    "Shift",
    "Stop",
    "User",
    "Vehicle",
    "VehicleStatus",
    "VehicleType",
]
