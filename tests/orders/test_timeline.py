"""The order timeline: recorded by the services in their transaction, append-only, read whole
or as the customer's subset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from infra.models import HoldReason, OrderEvent, PositionPing
from infra.models.append_only import AppendOnlyViolation
from orders import service, timeline
from tests.conftest import DEFAULT_NOW
from tests.factories import make_batch, make_depot, make_order, make_stock_order, make_zone
from tests.tracking.routes import START, make_tracked_route
from warehouse import holds, stock


def kinds(session, order_id: int, *, customer_view: bool = False) -> list[str]:
    entries = timeline.timeline_of(session, order_id, customer_view=customer_view)
    return [e.kind for e in entries]


def test_an_event_cannot_be_changed_or_deleted(session):
    order = make_order(session)
    timeline.record(session, order.id, timeline.RECEIVED, {"source": "single"}, at=DEFAULT_NOW)
    session.flush()
    event = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).one()

    event.kind = timeline.CANCELLED
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    session.delete(event)
    with pytest.raises(AppendOnlyViolation):
        session.flush()


def test_a_cancellation_is_on_the_timeline_with_who_did_it(session):
    order = make_order(session)

    service.cancel_order(session, order.id, now=DEFAULT_NOW, by_id=None)

    [entry] = timeline.timeline_of(session, order.id, customer_view=False)
    assert entry.kind == timeline.CANCELLED
    assert entry.payload == {"previous_status": "plannable"}


def test_allocation_and_a_hold_show_internally_and_only_as_held_to_the_customer(session):
    depot = make_depot(session)
    batch = make_batch(session, make_zone(session, depot), sku="SALAD", quantity=5)
    order = make_stock_order(session, depot=depot, sku="SALAD")
    stock.allocate_order(session, order.id, now=DEFAULT_NOW)

    effects = holds.place_hold(
        session,
        batch_id=batch.id,
        reason=HoldReason.TEMPERATURE_EXCURSION,
        note="cold room at 9 C",
        by_id=None,
        now=DEFAULT_NOW + timedelta(minutes=5),
    )
    holds.release_hold(
        session, effects.hold.id, note=None, by_id=None, now=DEFAULT_NOW + timedelta(minutes=9)
    )

    entries = timeline.timeline_of(session, order.id, customer_view=False)
    assert [e.kind for e in entries] == ["allocated", "held", "hold_released"]
    assert entries[0].payload["takes"] == [
        {"order_line_id": order.lines[0].id, "batch_id": batch.id, "quantity": 2}
    ]
    assert entries[1].payload["reason"] == "temperature_excursion"
    customer = timeline.timeline_of(session, order.id, customer_view=True)
    assert [(e.kind, e.payload) for e in customer] == [("held", {}), ("hold_released", {})]


def test_the_dispatcher_reads_a_summary_of_the_pings_until_the_outcome(session):
    setup = make_tracked_route(session, stops=1)
    order = setup.orders[0]
    for minutes, lat in ((2, 52.5), (6, 52.505), (30, 52.6)):
        session.add(
            PositionPing(
                courier_id=setup.courier.id,
                device_at=START + timedelta(minutes=minutes),
                lat=lat,
                lng=13.4,
            )
        )
    timeline.record(session, order.id, timeline.DELIVERED, {}, at=START + timedelta(minutes=10))
    session.flush()

    entries = timeline.timeline_of(session, order.id, customer_view=False)

    assert [e.kind for e in entries][-2:] == ["positions", "delivered"]
    summary = entries[-2].payload
    assert summary["pings"] == 2  # the ping after the delivery is not this stop's
    assert 500 < summary["distance_m"] < 620
    assert "positions" not in kinds(session, order.id, customer_view=True)
