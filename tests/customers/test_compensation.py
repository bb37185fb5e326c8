"""Compensation rules on a Session: a second evaluation of the same breach issues nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from customers import compensation
from infra.models import Compensation, StopEvent, StopEventKind
from infra.settings import ServiceSettings
from tests.tracking.routes import START, make_tracked_route


def test_evaluating_the_same_breach_twice_issues_once(session):
    setup = make_tracked_route(session, window_h=(9, 10))
    order, stop = setup.orders[0], setup.stops[0]
    for kind, minutes in ((StopEventKind.ARRIVED, 115), (StopEventKind.DELIVERED, 120)):
        session.add(
            StopEvent(
                stop_id=stop.id,
                route_id=setup.route.id,
                order_id=order.id,
                courier_id=setup.courier.id,
                client_event_id=f"{kind.value}-1",
                kind=kind,
                occurred_at=START + timedelta(minutes=minutes),
            )
        )
    session.flush()
    settings = ServiceSettings()
    now = START + timedelta(hours=3)

    first = compensation.evaluate_order(session, order, settings=settings, now=now)
    second = compensation.evaluate_order(session, order, settings=settings, now=now)

    assert [c.rule for c in first] == ["late"]
    assert second == []
    rows = session.scalars(select(Compensation).where(Compensation.order_id == order.id)).all()
    assert len(rows) == 1


def test_late_by_counts_from_the_end_of_the_promised_window(session):
    setup = make_tracked_route(session, window_h=(9, 10))
    order = setup.orders[0]

    assert compensation.late_by(order, START + timedelta(minutes=30)) is None
    assert compensation.late_by(order, START + timedelta(minutes=100)) == timedelta(minutes=40)
