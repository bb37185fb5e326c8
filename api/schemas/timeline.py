"""An order's timeline as the dispatcher reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.schemas.common import ResponseModel
from orders.timeline import TimelineEntry


class TimelineEntryOut(ResponseModel):
    kind: str
    at: datetime
    payload: dict[str, Any]
    # The user who caused it; None for the system, a courier's device or the customer.
    actor_id: int | None

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryOut:
        return cls(
            kind=entry.kind,
            at=entry.at.astimezone(UTC),
            payload=entry.payload,
            actor_id=entry.actor_id,
        )
