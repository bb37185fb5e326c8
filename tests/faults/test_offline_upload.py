"""Fault: a courier offline for 30 minutes uploads everything at once, and the upload is cut off."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.models import (
    LiveEvent,
    NotificationOutbox,
    OrderEvent,
    PlanJob,
    PositionPing,
    StopEvent,
)
from infra.settings import Settings
from tests.factories import auth_headers
from tests.tracking.routes import DEPOT, START, RouteSetup, make_tracked_route

PING_EVERY_S = 5
OFFLINE = timedelta(minutes=30)
UPLOAD_AT = START + OFFLINE + timedelta(minutes=1)
# The courier's page queues positions in batches of ten, between the actions in time order.
BATCH = 10


def stop_position(k: int) -> tuple[float, float]:
    return DEPOT[0] + 0.01 * (k + 1), DEPOT[1]


def position_at(at: datetime) -> tuple[float, float]:
    """Depot to stop 0 by 09:10, there until 09:14, on to stop 1 by 09:24, there since."""
    legs = [
        (START, START + timedelta(minutes=10), DEPOT, stop_position(0)),
        (
            START + timedelta(minutes=14),
            START + timedelta(minutes=24),
            stop_position(0),
            stop_position(1),
        ),
    ]
    for begin, end, origin, target in legs:
        if at <= begin:
            return origin
        if at < end:
            share = (at - begin) / (end - begin)
            return (
                origin[0] + share * (target[0] - origin[0]),
                origin[1] + share * (target[1] - origin[1]),
            )
    return stop_position(1)


def offline_queue(setup: RouteSetup) -> list[tuple[str, dict[str, Any]]]:
    """What the phone sends when it is back: 360 pings in batches and 3 stop events, in order."""
    first, second = setup.stops[0].id, setup.stops[1].id
    events = [
        (START + timedelta(minutes=10), first, {"kind": "arrived"}),
        (
            START + timedelta(minutes=14),
            first,
            {"kind": "delivered", "recipient_name": "Ada Lovelace"},
        ),
        (START + timedelta(minutes=24), second, {"kind": "arrived"}),
    ]
    queue: list[tuple[str, dict[str, Any]]] = []
    pending: list[dict[str, Any]] = []
    for k in range(1, int(OFFLINE.total_seconds()) // PING_EVERY_S + 1):
        at = START + timedelta(seconds=k * PING_EVERY_S)
        while events and events[0][0] <= at:
            if pending:
                queue.append(("/courier/me/pings", {"pings": pending}))
                pending = []
            occurred_at, stop_id, body = events.pop(0)
            body = body | {
                "client_event_id": f"{stop_id}-{body['kind']}",
                "occurred_at": occurred_at.isoformat(),
            }
            queue.append((f"/courier/me/stops/{stop_id}/events", body))
        lat, lng = position_at(at)
        pending.append({"device_at": at.isoformat(), "lat": lat, "lng": lng, "accuracy_m": 10})
        if len(pending) == BATCH:
            queue.append(("/courier/me/pings", {"pings": pending}))
            pending = []
    if pending:
        queue.append(("/courier/me/pings", {"pings": pending}))
    return queue


def send(
    client: TestClient, settings: Settings, setup: RouteSetup, items: list[tuple[str, Any]]
) -> None:
    headers = auth_headers(settings, setup.user)
    for url, body in items:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code in (200, 201), (url, response.text)


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_offline_half_hour_uploaded_twice_and_cut_off_is_stored_once_without_past_alerts(
    client, session, settings, clock
):
    """Fault: 30 minutes offline (360 pings every 5 s, 3 stop events), uploaded at once; the
    first upload is cut off half way and retried whole, and the retry is sent twice (the
    connection dropped after the server committed).

    Pass: 360 pings, 3 stop events, one delivery notice and one timeline entry per event are
    stored; no `late` live event names a stop done offline (stop 0's window closed at 09:20
    while the courier was offline, after it was delivered at 09:14), and every `late` event
    projects from the upload's time, not from before it; exactly one replan is proposed, for
    the stops that are late now.
    """
    setup = make_tracked_route(session, stops=4, window_h=(9, 10))
    done_offline = setup.orders[0]
    done_offline.windows[0].ends_at = START + timedelta(minutes=20)
    for late_now in setup.orders[2:]:
        late_now.windows[0].ends_at = START + timedelta(minutes=15)
    session.flush()
    clock.now = UPLOAD_AT
    queue = offline_queue(setup)
    assert sum(len(body["pings"]) for url, body in queue if url.endswith("/pings")) == 360

    send(client, settings, setup, queue[: len(queue) // 2])
    send(client, settings, setup, queue)
    send(client, settings, setup, queue)

    assert count(session, PositionPing, PositionPing.courier_id == setup.courier.id) == 360
    assert count(session, StopEvent, StopEvent.route_id == setup.route.id) == 3
    order_ids = [o.id for o in setup.orders]
    assert count(session, OrderEvent, OrderEvent.order_id.in_(order_ids)) == 3 * 4 + 3
    delivered = NotificationOutbox.template_code == "order_delivered"
    assert count(session, NotificationOutbox, delivered) == 1
    late = list(
        session.scalars(
            select(LiveEvent).where(LiveEvent.route_id == setup.route.id, LiveEvent.kind == "late")
        )
    )
    assert sorted(e.order_id or 0 for e in late) == sorted(o.id for o in setup.orders[2:])
    for event in late:
        assert datetime.fromisoformat(event.payload["eta_at"]) >= UPLOAD_AT
    proposed = list(
        session.scalars(select(PlanJob).where(PlanJob.base_plan_id == setup.route.plan_id))
    )
    assert len(proposed) == 1
    assert "projected late" in proposed[0].reason
