"""Warehouse: depots, storage zones, stock batches, readings, holds and what a hold touched."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.append_only import insert_only
from infra.models.base import Base, str_enum, utcnow
from infra.models.orders import OrderStatus


class Depot(Base):
    __tablename__ = "depot"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float]
    lng: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StorageMode(enum.StrEnum):
    FROZEN = "frozen"
    CHILLED = "chilled"
    AMBIENT = "ambient"
    DRY = "dry"


class HoldReason(enum.StrEnum):
    TEMPERATURE_EXCURSION = "temperature_excursion"
    DEFECT = "defect"
    WRONG_STORAGE_MODE = "wrong_storage_mode"
    INCOMPATIBLE_NEIGHBOUR = "incompatible_neighbour"
    MANUAL = "manual"


class HoldStatus(enum.StrEnum):
    ACTIVE = "active"
    RELEASED = "released"  # the goods may travel again
    RETURNED = "returned"  # closed as return-to-supplier; the stock is written off


class HoldEventKind(enum.StrEnum):
    PLACED = "placed"
    RELEASED = "released"
    RETURNED = "returned"


class StorageZone(Base):
    """A place in a depot with one storage mode whose temperature sensors report readings."""

    __tablename__ = "storage_zone"
    __table_args__ = (UniqueConstraint("depot_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    storage_mode: Mapped[StorageMode] = mapped_column(str_enum(StorageMode))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockBatch(Base):
    """One supplier lot of one SKU in a depot zone, with the conditions it must be kept in."""

    __tablename__ = "stock_batch"
    __table_args__ = (UniqueConstraint("depot_id", "sku", "lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("storage_zone.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    lot_number: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(200))
    # Units received; allocations and write-offs are counted against it.
    quantity: Mapped[int]
    written_off_quantity: Mapped[int] = mapped_column(default=0)
    # The last day the goods may be delivered.
    expires_on: Mapped[date]
    storage_mode: Mapped[StorageMode] = mapped_column(str_enum(StorageMode))
    # Degrees Celsius the goods must stay within; None: no bound on that side.
    min_temp_c: Mapped[float | None]
    max_temp_c: Mapped[float | None]
    # Goods of conflicting groups must not share a zone (see warehouse.rules).
    compatibility_group: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BatchAllocation(Base):
    """Units of an order line reserved from a batch; a released row is kept as history."""

    __tablename__ = "batch_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batch.id"), index=True)
    quantity: Mapped[int]
    allocated_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    release_reason: Mapped[str | None] = mapped_column(String(64))


class StorageReading(Base):
    __tablename__ = "storage_reading"
    # A sensor resending the same reading is one reading.
    __table_args__ = (UniqueConstraint("zone_id", "measured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("storage_zone.id"))
    measured_at: Mapped[datetime] = mapped_column(index=True)
    temperature_c: Mapped[float]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hold(Base):
    """A block on a whole batch until it is released or returned; never deleted."""

    __tablename__ = "batch_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batch.id"), index=True)
    reason: Mapped[HoldReason] = mapped_column(str_enum(HoldReason))
    status: Mapped[HoldStatus] = mapped_column(
        str_enum(HoldStatus), default=HoldStatus.ACTIVE, index=True
    )
    note: Mapped[str | None] = mapped_column(String(2000))
    # None: placed automatically (e.g. by a temperature excursion).
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    placed_at: Mapped[datetime]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]


@insert_only
class HoldEvent(Base):
    """The history of a hold, one insert-only row per change."""

    __tablename__ = "hold_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("batch_hold.id"), index=True)
    kind: Mapped[HoldEventKind] = mapped_column(str_enum(HoldEventKind))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    happened_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(2000))


class OrderHold(Base):
    """An order a hold took out of planning, and the status it had before."""

    __tablename__ = "order_hold"
    __table_args__ = (UniqueConstraint("hold_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("batch_hold.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    previous_status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus))
    held_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]


class StopRemoval(Base):
    """A stop taken off a route that had not departed because a hold blocks its goods.

    The route's remaining stops keep their planned times (removing a stop never makes later
    arrivals later) until planning re-times it and sets `retimed_at`.
    """

    __tablename__ = "stop_removal"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("batch_hold.id"))
    # The stop's position on the route before it was removed.
    sequence: Mapped[int]
    reason_text: Mapped[str] = mapped_column(String(500))
    removed_at: Mapped[datetime]
    retimed_at: Mapped[datetime | None]


class SupplierReturn(Base):
    """Goods of a held batch sent back to the supplier and written off."""

    __tablename__ = "supplier_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batch.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("batch_hold.id"), unique=True)
    supplier: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(2000))
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    returned_at: Mapped[datetime]
