"""Outbox messages as dispatchers see them: what was queued for whom, and how sending went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.schemas.common import ResponseModel
from infra.models import DeliveryStatus


class NotificationOut(ResponseModel):
    # Also the message's idempotency key towards its receiver.
    id: int
    order_id: int | None
    channel: str
    recipient: str
    template_code: str
    payload: dict[str, Any]
    created_at: datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    failed_at: datetime | None
