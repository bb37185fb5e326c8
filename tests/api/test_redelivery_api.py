"""After a failed attempt the customer picks a new window or a pickup point by tracking code."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from infra.models import NotificationOutbox, Order, OrderStatus, Role
from infra.settings import Settings
from orders import timeline
from tests.factories import auth_headers, make_depot, make_user
from tests.tracking.routes import START, RouteSetup, make_tracked_route

# The failure happens on Tuesday 2025-03-04; the next operating day is the Wednesday.
NEXT_DAY = date(2025, 3, 5)


def fail_first_stop(client: TestClient, settings: Settings, setup: RouteSetup) -> Order:
    stop = setup.stops[0]
    for kind, minutes, extra in [
        ("arrived", 10, {}),
        ("failed", 12, {"failure_reason": "not_at_home"}),
    ]:
        response = client.post(
            f"/courier/me/stops/{stop.id}/events",
            json={
                "client_event_id": f"{kind}-{stop.id}",
                "kind": kind,
                "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
                **extra,
            },
            headers=auth_headers(settings, setup.user),
        )
        assert response.status_code == 201, response.json()
    return setup.orders[0]


def choose(client: TestClient, code: str, body: dict[str, Any]) -> Any:
    return client.post(f"/track/{code}/redelivery", json=body)


def test_a_failed_order_offers_next_day_windows_and_pickup_points(client, session, settings, clock):
    setup = make_tracked_route(session)
    far = make_depot(session, name="North", lat=53.5, lng=13.4, address="Far Road 1")
    clock.now = START + timedelta(minutes=15)
    order = fail_first_stop(client, settings, setup)

    response = client.get(f"/track/{order.tracking_code}/redelivery")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["service_date"] == NEXT_DAY.isoformat()
    windows = {(w["start"], w["end"]): w for w in body["windows"]}
    assert windows[("09:00:00", "11:00:00")]["available"] is True
    # The van's shift ends at 18:00: it cannot be at the door and back between 19:00 and 21:00.
    assert windows[("19:00:00", "21:00:00")]["available"] is False
    assert windows[("19:00:00", "21:00:00")]["reason"]
    assert "route" not in windows[("09:00:00", "11:00:00")], "no internals for the customer"
    points = body["pickup_points"]
    assert [p["pickup_point_id"] for p in points][-1] == far.id, "nearest first"
    assert points[0]["distance_m"] < points[-1]["distance_m"]


def test_a_new_window_books_the_order_again_once(client, session, settings, clock):
    setup = make_tracked_route(session)
    clock.now = START + timedelta(minutes=15)
    order = fail_first_stop(client, settings, setup)
    code = order.tracking_code
    window = {"service_date": NEXT_DAY.isoformat(), "start": "11:00", "end": "13:00"}

    response = choose(client, code, {"window": window})

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "plannable"
    assert response.json()["window_starts_at"] == "2025-03-05T10:00:00Z"
    session.refresh(order)
    assert order.status is OrderStatus.PLANNABLE
    assert order.service_date == NEXT_DAY
    assert [(w.starts_at.hour, w.ends_at.hour) for w in order.windows] == [(10, 12)]  # UTC
    told = session.scalars(
        select(NotificationOutbox.template_code).where(NotificationOutbox.order_id == order.id)
    ).all()
    assert "redelivery_booked" in told
    kinds = [e.kind for e in timeline.timeline_of(session, order.id, customer_view=True)]
    assert kinds[-2:] == [timeline.FAILED, timeline.REDELIVERY_BOOKED]
    page = client.get(f"/track/{code}").json()
    assert page["status"] == "plannable"
    assert page["promised_from"] == "2025-03-05T10:00:00Z"

    again = choose(client, code, {"window": window})
    assert again.status_code == 409
    assert again.json()["code"] == "redelivery_not_open"


def test_a_pickup_point_keeps_the_order_until_it_is_handed_over(client, session, settings, clock):
    setup = make_tracked_route(session)
    clock.now = START + timedelta(minutes=15)
    order = fail_first_stop(client, settings, setup)
    depot_id = setup.vehicle.depot_id

    response = choose(client, order.tracking_code, {"pickup_point_id": depot_id})

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "awaiting_collection"
    assert response.json()["pickup_point_id"] == depot_id
    dispatcher = make_user(session, role=Role.DISPATCHER)
    handed = client.post(
        f"/orders/{order.id}/collected",
        json={"recipient_name": "Ada Lovelace"},
        headers=auth_headers(settings, dispatcher),
    )
    assert handed.status_code == 200, handed.json()
    assert handed.json()["status"] == "delivered"
    twice = client.post(
        f"/orders/{order.id}/collected",
        json={"recipient_name": "Ada Lovelace"},
        headers=auth_headers(settings, dispatcher),
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "collection_not_waiting"
    kinds = [e.kind for e in timeline.timeline_of(session, order.id, customer_view=True)]
    assert kinds[-2:] == [timeline.COLLECTION_CHOSEN, timeline.COLLECTED]
    courier = client.post(
        f"/orders/{order.id}/collected",
        json={"recipient_name": "Bo"},
        headers=auth_headers(settings, setup.user),
    )
    assert courier.status_code == 403


def test_bad_choices_are_refused_and_change_nothing(client, session, settings, clock):
    setup = make_tracked_route(session)
    clock.now = START + timedelta(minutes=15)
    order = fail_first_stop(client, settings, setup)
    code = order.tracking_code
    window = {"service_date": NEXT_DAY.isoformat(), "start": "11:00", "end": "13:00"}

    both = choose(client, code, {"window": window, "pickup_point_id": 1})
    assert both.status_code == 422
    neither = choose(client, code, {})
    assert neither.status_code == 422
    today = choose(client, code, {"window": window | {"service_date": "2025-03-04"}})
    assert today.status_code == 422
    assert today.json()["errors"][0]["field"] == "service_date"
    odd = choose(client, code, {"window": window | {"start": "11:30", "end": "13:30"}})
    assert odd.status_code == 422
    too_late = choose(client, code, {"window": window | {"start": "19:00", "end": "21:00"}})
    assert too_late.status_code == 409
    assert too_late.json()["code"] == "slot_unavailable"
    nowhere = choose(client, code, {"pickup_point_id": 999_999})
    assert nowhere.status_code == 422
    assert nowhere.json()["errors"][0]["field"] == "pickup_point_id"
    session.refresh(order)
    assert order.status is OrderStatus.FAILED

    # An order on its way, not failed, has nothing to choose.
    on_its_way = setup.orders[1].tracking_code
    assert client.get(f"/track/{on_its_way}/redelivery").status_code == 409
    assert choose(client, on_its_way, {"window": window}).status_code == 409


def test_an_unknown_code_is_a_miss_like_on_the_tracking_page(client, settings):
    allowed = settings.tracking.code_misses_allowed
    for k in range(allowed):
        assert client.get(f"/track/NOPE{k}/redelivery").status_code == 404
    refused = client.post("/track/NOPE/redelivery", json={"pickup_point_id": 1})
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
