"""The notification outbox: messages to customers, written in the transaction that causes them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.base import Base, str_enum, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a sender, or for its next attempt
    SENT = "sent"
    FAILED = "failed"  # every attempt failed; kept for the dispatcher to see


class NotificationOutbox(Base):
    """One message waiting for a sender.

    A sender claims a pending row by taking its lease (`lease_owner`, `lease_expires_at`),
    delivers it and marks it sent; a sender that dies mid-send leaves the lease to run out and
    the message is claimed again. The row id is the message's idempotency key towards receivers,
    so a message delivered twice after such a crash is recognisable as one.
    """

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The order the message is about (None for messages not about one order).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    # "email", "sms", "webhook", ...
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    template_code: Mapped[str] = mapped_column(String(64))
    payload: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # None: due now.
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
