"""Messages to customers about their order, queued in the outbox in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from infra.models import NotificationOutbox, Order

OUT_FOR_DELIVERY = "order_out_for_delivery"
COURIER_ON_THE_WAY = "courier_on_the_way"
DELIVERED = "order_delivered"
DELIVERY_FAILED = "delivery_failed"
PICKED_UP = "return_picked_up"


def notify_customer(
    session: Session,
    order: Order,
    template_code: str,
    *,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> NotificationOutbox | None:
    """Queues one message by e-mail, else SMS; an order with neither contact gets none."""
    if order.recipient_email:
        channel, recipient = "email", order.recipient_email
    elif order.recipient_phone:
        channel, recipient = "sms", order.recipient_phone
    else:
        return None
    row = NotificationOutbox(
        channel=channel,
        recipient=recipient,
        template_code=template_code,
        payload={
            "tracking_code": order.tracking_code,
            "reference": order.reference,
            "service_date": order.service_date.isoformat(),
            **(details or {}),
        },
        created_at=now,
    )
    session.add(row)
    return row
