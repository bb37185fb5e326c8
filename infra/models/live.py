"""The live event log behind the dispatcher's and the customer's live views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.append_only import insert_only
from infra.models.base import Base, utcnow


@insert_only
class LiveEvent(Base):
    """Something a live page shows as it happens: a courier moved, a stop changed, a stop became
    late, a replan was proposed or applied.

    Events are stored first, in the transaction that causes them; a stream reads them by id, so
    a reconnecting browser resumes after the last id it saw (the SSE Last-Event-ID) and nothing
    is lost between two reads. Signals that new rows exist are only a wake-up, never the data.
    """

    __tablename__ = "live_event"
    # A route's latest event of a kind (the last ETAs, after every ping of a departed route)
    # is found at once, however many positions the route has logged.
    __table_args__ = (Index("ix_live_event_route_id_kind_id", "route_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "position", "stop_event", "late", "eta", "replan_proposed", "replan_applied", ...
    kind: Mapped[str] = mapped_column(String(32))
    service_date: Mapped[date | None] = mapped_column(index=True)
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("route.id"), index=True)
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("courier.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    payload: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
