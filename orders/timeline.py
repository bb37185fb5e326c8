"""One timeline per order: every event recorded as it happens, read whole by dispatchers and as
the customer-safe subset on the tracking page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.models import OrderEvent, PositionPing
from tracking.driven import trail_length_m

RECEIVED = "received"
CANCELLED = "cancelled"
ALLOCATED = "allocated"
HELD = "held"
HOLD_RELEASED = "hold_released"
PLANNED = "planned"
REPLANNED = "replanned"
OUT_FOR_DELIVERY = "out_for_delivery"
ARRIVED = "arrived"
DELIVERED = "delivered"
FAILED = "failed"
PICKED_UP = "picked_up"
FEEDBACK = "feedback"
COMPLAINT_OPENED = "complaint_opened"
COMPLAINT_ANSWERED = "complaint_answered"
COMPLAINT_CLOSED = "complaint_closed"
RETURN_REQUESTED = "return_requested"
RETURN_RECEIVED = "return_received"
COMPENSATION_ISSUED = "compensation_issued"
COMPENSATION_VOIDED = "compensation_voided"
REDELIVERY_BOOKED = "redelivery_booked"
COLLECTION_CHOSEN = "collection_chosen"
COLLECTED = "collected"
# Never stored: summarised from the courier's pings when a dispatcher reads the timeline.
POSITIONS = "positions"

# The kinds a customer sees, each with the payload fields they may read. A hold is only "held
# at the depot" (no batch, no reason); plans and departures show no route, vehicle or courier;
# a delivery's proof is on the page already, by first name only.
CUSTOMER_FIELDS: Mapping[str, frozenset[str]] = {
    RECEIVED: frozenset(),
    CANCELLED: frozenset(),
    HELD: frozenset(),
    HOLD_RELEASED: frozenset(),
    PLANNED: frozenset(),
    REPLANNED: frozenset(),
    OUT_FOR_DELIVERY: frozenset(),
    ARRIVED: frozenset(),
    DELIVERED: frozenset(),
    FAILED: frozenset({"reason"}),
    PICKED_UP: frozenset(),
    FEEDBACK: frozenset({"rating"}),
    COMPLAINT_OPENED: frozenset({"category"}),
    COMPLAINT_ANSWERED: frozenset({"status", "response"}),
    COMPLAINT_CLOSED: frozenset({"status"}),
    RETURN_REQUESTED: frozenset({"reason"}),
    RETURN_RECEIVED: frozenset(),
    COMPENSATION_ISSUED: frozenset({"kind", "points", "amount_cents", "reason"}),
    REDELIVERY_BOOKED: frozenset({"service_date", "window"}),
    COLLECTION_CHOSEN: frozenset({"pickup_point", "address"}),
    COLLECTED: frozenset(),
}
# The kinds that end a delivery attempt: a departure's pings are summarised up to one of them.
_OUTCOMES = frozenset({DELIVERED, FAILED, PICKED_UP})


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    kind: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


def record(
    session: Session,
    order_id: int,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    at: datetime,
    actor_id: int | None = None,
    customer_visible: bool | None = None,
) -> None:
    """Appends an event to the order's timeline in the caller's transaction; whether the
    customer sees it follows `CUSTOMER_FIELDS` unless `customer_visible` says otherwise."""
    session.add(
        OrderEvent(
            order_id=order_id,
            kind=kind,
            happened_at=at,
            payload=dict(payload or {}),
            actor_id=actor_id,
            customer_visible=kind in CUSTOMER_FIELDS
            if customer_visible is None
            else customer_visible,
        )
    )


def timeline_of(session: Session, order_id: int, *, customer_view: bool) -> list[TimelineEntry]:
    """The order's events, oldest first. The customer's view keeps the customer-visible events
    with only the fields they may read; the dispatcher's adds, for each departure, a summary of
    the courier's pings until the stop's outcome."""
    query = select(OrderEvent).where(OrderEvent.order_id == order_id)
    if customer_view:
        query = query.where(OrderEvent.customer_visible.is_(True))
    events = session.scalars(query.order_by(OrderEvent.happened_at, OrderEvent.id))
    if customer_view:
        return [
            TimelineEntry(
                e.kind,
                e.happened_at,
                {k: v for k, v in e.payload.items() if k in CUSTOMER_FIELDS.get(e.kind, ())},
            )
            for e in events
        ]
    entries = [TimelineEntry(e.kind, e.happened_at, dict(e.payload), e.actor_id) for e in events]
    return _with_positions(session, entries)


def _with_positions(session: Session, entries: list[TimelineEntry]) -> list[TimelineEntry]:
    result: list[TimelineEntry] = []
    courier_id: int | None = None
    departed_at: datetime | None = None
    for entry in entries:
        if entry.kind == OUT_FOR_DELIVERY:
            courier_id, departed_at = entry.payload.get("courier_id"), entry.at
        elif entry.kind in _OUTCOMES and departed_at is not None:
            result += _positions(session, courier_id, departed_at, entry.at)
            courier_id, departed_at = None, None
        result.append(entry)
    if departed_at is not None:
        result += _positions(session, courier_id, departed_at, None)
    # A summary stands at its last ping; the sort is stable, so it stays before its outcome.
    return sorted(result, key=lambda entry: entry.at)


def _positions(
    session: Session, courier_id: int | None, since: datetime, until: datetime | None
) -> list[TimelineEntry]:
    """How the courier moved from the departure to the stop's outcome, as one entry."""
    if courier_id is None:
        return []
    query = select(PositionPing.device_at, PositionPing.lat, PositionPing.lng).where(
        PositionPing.courier_id == courier_id, PositionPing.device_at >= since
    )
    if until is not None:
        query = query.where(PositionPing.device_at <= until)
    trail = session.execute(query.order_by(PositionPing.device_at)).all()
    if not trail:
        return []
    summary = {
        "courier_id": courier_id,
        "pings": len(trail),
        "first_at": trail[0].device_at.isoformat(),
        "last_at": trail[-1].device_at.isoformat(),
        "distance_m": round(trail_length_m([p.lat for p in trail], [p.lng for p in trail])),
    }
    return [TimelineEntry(POSITIONS, trail[-1].device_at, summary)]
