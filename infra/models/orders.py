"""Orders: what a customer asked for, where and when, and the parcels and lines it holds."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.models.base import Base, str_enum, utcnow


class OrderKind(enum.StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"  # a return collected from the customer and brought to the depot


class OrderStatus(enum.StrEnum):
    RECEIVED = "received"  # taken in, waiting for something before it may be planned
    PLANNABLE = "plannable"  # may go into the next plan for its service date
    HELD = "held"  # a warehouse hold blocks its goods; kept out of planning and routes
    PLANNED = "planned"  # on a route of a plan
    OUT_FOR_DELIVERY = "out_for_delivery"  # its route has departed
    DELIVERED = "delivered"
    FAILED = "failed"
    # After a failed attempt the customer chose to collect it at a depot (its depot_id).
    AWAITING_COLLECTION = "awaiting_collection"
    CANCELLED = "cancelled"


class LocationSource(enum.StrEnum):
    GIVEN = "given"  # coordinates came with the order
    GEOCODED = "geocoded"  # looked up from the address


class Order(Base):
    # "order" is reserved in SQL.
    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    # The shop's own order number, if it sent one.
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[OrderKind] = mapped_column(str_enum(OrderKind))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), index=True)
    # The local operating day the order is delivered on (after the cut-off: the next one).
    service_date: Mapped[date] = mapped_column(index=True)
    received_at: Mapped[datetime]
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_phone: Mapped[str | None] = mapped_column(String(32))
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float]
    lng: Mapped[float]
    location_source: Mapped[LocationSource] = mapped_column(str_enum(LocationSource))
    service_s: Mapped[int]
    # Higher is more important; decides who is left out when not everything fits.
    priority: Mapped[int] = mapped_column(default=0)
    # Handling the goods need, e.g. "chilled"; only vehicles with that skill may carry them.
    handling: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(String(1000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parcels: Mapped[list[Parcel]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="Parcel.id",
        lazy="selectin",
    )
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="OrderLine.line_no",
        lazy="selectin",
    )
    windows: Mapped[list[OrderWindow]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="OrderWindow.starts_at",
        lazy="selectin",
    )


class Parcel(Base):
    """`count` identical packages of this weight and volume each."""

    __tablename__ = "parcel"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    weight_g: Mapped[int]
    volume_cm3: Mapped[int]
    count: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="parcels")


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    line_no: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderWindow(Base):
    """One interval in which the recipient accepts the visit; an order may have several."""

    __tablename__ = "order_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="windows")
