"""Customer service: complaints, return requests and compensation with its ledger."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.append_only import insert_only
from infra.models.base import Base, str_enum, utcnow


class ComplaintCategory(enum.StrEnum):
    LATE = "late"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    COURIER_BEHAVIOUR = "courier_behaviour"
    OTHER = "other"


class ComplaintStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class ComplaintSource(enum.StrEnum):
    CUSTOMER = "customer"  # by tracking code
    DISPATCHER = "dispatcher"


class Complaint(Base):
    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    category: Mapped[ComplaintCategory] = mapped_column(str_enum(ComplaintCategory))
    description: Mapped[str] = mapped_column(String(2000))
    photo_ref: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[ComplaintSource] = mapped_column(str_enum(ComplaintSource))
    status: Mapped[ComplaintStatus] = mapped_column(str_enum(ComplaintStatus), index=True)
    # The dispatcher handling it; never shown to the customer.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # What the customer reads on the tracking page.
    response: Mapped[str | None] = mapped_column(String(2000))
    due_at: Mapped[datetime] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class ReturnReason(enum.StrEnum):
    FAULTY_GOODS = "faulty_goods"
    WRONG_ITEM = "wrong_item"


class ReturnStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # its pickup order waits for planning or the courier
    RECEIVED = "received"  # in the depot's returns area


class ReturnRequest(Base):
    """Goods collected from the customer by a pickup order and received back into the depot."""

    __tablename__ = "return_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    pickup_order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    # The batch the returned goods came from, when the order was allocated to one.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("stock_batch.id"), index=True)
    reason: Mapped[ReturnReason] = mapped_column(str_enum(ReturnReason))
    status: Mapped[ReturnStatus] = mapped_column(str_enum(ReturnStatus), index=True)
    note: Mapped[str | None] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime | None]
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    defect: Mapped[bool | None]
    # The hold its defect placed on the batch.
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("batch_hold.id"))


class CompensationKind(enum.StrEnum):
    BONUS_POINTS = "bonus_points"
    DISCOUNT_CODE = "discount_code"


class CompensationStatus(enum.StrEnum):
    ISSUED = "issued"
    VOIDED = "voided"


class Compensation(Base):
    """What a customer got for a breach of the promise; issued once per (order, rule)."""

    __tablename__ = "compensation"
    # A second evaluation of the same breach, even a concurrent one, cannot issue twice.
    # Issued by hand, `rule` is None and never collides.
    __table_args__ = (UniqueConstraint("order_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    customer_key: Mapped[str] = mapped_column(String(254), index=True)
    rule: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[CompensationKind] = mapped_column(str_enum(CompensationKind))
    points: Mapped[int | None]
    amount_cents: Mapped[int | None]
    discount_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[CompensationStatus] = mapped_column(str_enum(CompensationStatus))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))


@insert_only
class LedgerEntry(Base):
    """One movement on a customer's compensation account: an issue (+) or a void (-)."""

    __tablename__ = "compensation_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(254), index=True)
    compensation_id: Mapped[int] = mapped_column(ForeignKey("compensation.id"), index=True)
    points: Mapped[int]
    amount_cents: Mapped[int]
    note: Mapped[str] = mapped_column(String(500))
    booked_at: Mapped[datetime]
