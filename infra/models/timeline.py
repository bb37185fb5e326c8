"""The order timeline: every event of one order, in the order it happened, never rewritten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.append_only import insert_only
from infra.models.base import Base


@insert_only
class OrderEvent(Base):
    """One thing that happened to an order: taken in, allocated, held, planned, under way,
    delivered, rated, complained about, compensated.

    Written in the transaction that causes it, so the timeline never tells of a change that was
    rolled back. Which kinds the customer sees is decided by `orders.timeline`, stored here
    with the row so a later change of that rule does not rewrite what was shown.
    """

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    happened_at: Mapped[datetime]
    payload: Mapped[Any] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    customer_visible: Mapped[bool]
