"""Tracking: courier position pings, stop events and the customers' feedback at the door."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.append_only import insert_only
from infra.models.base import Base, str_enum, utcnow


class StopEventKind(enum.StrEnum):
    ARRIVED = "arrived"
    DELIVERED = "delivered"
    FAILED = "failed"
    PICKUP_DONE = "pickup_done"  # a return collected from the customer


class FailureReason(enum.StrEnum):
    NOT_AT_HOME = "not_at_home"
    ADDRESS_NOT_FOUND = "address_not_found"
    REFUSED = "refused"
    DAMAGED = "damaged"
    NO_ACCESS = "no_access"


@insert_only
class PositionPing(Base):
    """Where a courier's device was at `device_at`; a resent ping is the same ping."""

    __tablename__ = "position_ping"
    __table_args__ = (UniqueConstraint("courier_id", "device_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("courier.id"))
    # The device's clock: the order of pings, whenever they arrive.
    device_at: Mapped[datetime]
    lat: Mapped[float]
    lng: Mapped[float]
    accuracy_m: Mapped[float | None]
    speed_m_s: Mapped[float | None]
    heading_deg: Mapped[float | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


@insert_only
class StopEvent(Base):
    """One thing a courier reported at a stop; the stop's state is the result of its events."""

    __tablename__ = "stop_event"
    # A retried report carries the same client event id and is recorded once.
    __table_args__ = (UniqueConstraint("courier_id", "client_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("stop.id"), index=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("courier.id"))
    client_event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[StopEventKind] = mapped_column(str_enum(StopEventKind))
    # When it happened on the device; `recorded_at` is when the server took it in.
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    # Proof of delivery.
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    signature_ref: Mapped[str | None] = mapped_column(String(200))
    photo_ref: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[FailureReason | None] = mapped_column(str_enum(FailureReason))
    note: Mapped[str | None] = mapped_column(String(1000))


class Feedback(Base):
    """The customer's rating right after delivery; one per order."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
