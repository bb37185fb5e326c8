"""The courier's page and the day it reads: who may open it, and only their own route in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from api.auth import TOKEN_COOKIE, issue_token
from infra.models import OrderKind, Role, User
from infra.settings import Settings
from tests.factories import (
    DAY,
    PASSWORD,
    auth_headers,
    make_courier,
    make_shift,
    make_user,
)
from tests.tracking.routes import START, make_tracked_route


def sign_in(client: TestClient, settings: Settings, user: User) -> None:
    token, _ = issue_token(settings, user, now=datetime.now(UTC))
    client.cookies.set(TOKEN_COOKIE, token)


def test_an_anonymous_visitor_is_sent_to_the_sign_in_form(client):
    response = client.get("/courier", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_a_dispatcher_is_told_the_page_is_for_couriers(client, session, settings):
    sign_in(client, settings, make_user(session, role=Role.DISPATCHER))

    response = client.get("/courier")

    assert response.status_code == 403
    assert 'id="refused"' in response.text
    assert "This page is for couriers" in response.text
    assert "courier.js" not in response.text


def test_a_courier_gets_the_page_with_its_script_and_service_worker(client, session, settings):
    setup = make_tracked_route(session, departed=False)
    sign_in(client, settings, setup.user)

    page = client.get("/courier")
    script = client.get("/static/courier/courier.js")
    worker = client.get("/courier/sw.js")

    assert page.status_code == 200
    assert f'data-username="{setup.user.username}"' in page.text
    assert '<script src="/static/courier/courier.js" defer></script>' in page.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert worker.status_code == 200
    assert "javascript" in worker.headers["content-type"]
    # Served under /courier/, it may still control the page at /courier itself.
    assert worker.headers["service-worker-allowed"] == "/courier"


def test_the_page_escapes_what_it_shows(client, session, settings):
    user = make_user(session, role=Role.COURIER, username="<b>courier</b>")
    sign_in(client, settings, user)

    page = client.get("/courier")

    assert "<b>courier</b>" not in page.text
    assert "&lt;b&gt;courier&lt;/b&gt;" in page.text


def test_signing_in_as_a_courier_lands_on_the_courier_page(client, session):
    courier = make_user(session, role=Role.COURIER)
    dispatcher = make_user(session, role=Role.DISPATCHER)

    as_courier = client.post(
        "/login",
        data={"username": courier.username, "password": PASSWORD},
        follow_redirects=False,
    )
    home = client.get("/", follow_redirects=False)
    client.cookies.clear()
    as_dispatcher = client.post(
        "/login",
        data={"username": dispatcher.username, "password": PASSWORD},
        follow_redirects=False,
    )

    assert as_courier.headers["location"] == "/courier"
    assert home.headers["location"] == "/courier"
    assert as_dispatcher.headers["location"] == "/dispatch"


def test_the_day_shows_the_couriers_own_route_and_never_anothers(client, session, settings):
    mine = make_tracked_route(session, stops=2, departed=False)
    theirs = make_tracked_route(session, stops=3, departed=False)

    response = client.get("/courier/me/day", headers=auth_headers(settings, mine.user))

    assert response.status_code == 200, response.text
    day = response.json()
    assert day["day"] == DAY.isoformat()
    assert day["timezone"] == "Europe/Berlin"
    route = day["route"]
    assert route["route_id"] == mine.route.id
    assert route["status"] == "planned"
    assert route["vehicle_id"] == mine.vehicle.id
    assert route["inspection"] is None
    assert {item["code"] for item in route["checklist"]} >= {"brakes", "tyres", "lights"}
    assert [s["stop_id"] for s in route["stops"]] == [s.id for s in mine.stops]
    assert [s["tracking_code"] for s in route["stops"]] == [o.tracking_code for o in mine.orders]
    assert [s["state"] for s in route["stops"]] == ["pending", "pending"]
    assert all(s["eta_at"] is None for s in route["stops"])
    their_codes = {o.tracking_code for o in theirs.orders}
    their_stop_ids = {s.id for s in theirs.stops}
    assert not their_codes & {s["tracking_code"] for s in route["stops"]}
    assert not their_stop_ids & {s["stop_id"] for s in route["stops"]}
    assert set(day["failure_reasons"]) == {
        "not_at_home",
        "address_not_found",
        "refused",
        "damaged",
        "no_access",
    }


def test_a_courier_without_a_published_route_gets_an_empty_day(client, session, settings):
    courier = make_courier(session)
    make_tracked_route(session, departed=False)  # someone else's

    response = client.get(
        "/courier/me/day", headers=auth_headers(settings, session.get_one(User, courier.user_id))
    )

    assert response.status_code == 200
    assert response.json()["route"] is None


def test_a_route_under_way_shows_each_stops_state_and_eta(client, session, settings, clock):
    setup = make_tracked_route(session, stops=3)
    headers = auth_headers(settings, setup.user)
    clock.now = START + timedelta(minutes=20)
    for kind, client_id, extra in (
        ("arrived", "a-1", {}),
        ("delivered", "d-1", {"recipient_name": "Ada"}),
    ):
        sent = client.post(
            f"/courier/me/stops/{setup.stops[0].id}/events",
            json={
                "client_event_id": client_id,
                "kind": kind,
                "occurred_at": clock.now.isoformat(),
                **extra,
            },
            headers=headers,
        )
        assert sent.status_code == 201, sent.text

    route = client.get("/courier/me/day", headers=headers).json()["route"]

    assert route["status"] == "departed"
    stops = route["stops"]
    assert [s["state"] for s in stops] == ["delivered", "pending", "pending"]
    assert stops[0]["done_at"] is not None
    assert stops[0]["eta_at"] is None
    assert stops[1]["eta_at"] is not None
    assert stops[1]["eta_at"] <= stops[2]["eta_at"]


def test_the_day_shows_the_latest_inspection_of_the_vehicle(client, session, settings):
    setup = make_tracked_route(session, departed=False)
    make_shift(session, setup.courier, vehicle=setup.vehicle)
    headers = auth_headers(settings, setup.user)
    checklist = client.get("/courier/me/day", headers=headers).json()["route"]["checklist"]
    results = [
        {"code": item["code"], "passed": item["code"] != "mirrors"}
        | ({"note": "left mirror cracked"} if item["code"] == "mirrors" else {})
        for item in checklist
    ]
    inspected = client.post(
        f"/vehicles/{setup.vehicle.id}/inspections",
        json={"day": DAY.isoformat(), "odometer_km": 1200, "items": results},
        headers=headers,
    )
    assert inspected.status_code == 201, inspected.text

    route = client.get("/courier/me/day", headers=headers).json()["route"]

    assert route["inspection"]["id"] == inspected.json()["id"]
    assert route["inspection"]["passed"] is True  # a mirror is not critical: a defect
    assert route["vehicle_in_service"] is True


def test_the_transitions_follow_the_stop_rules(client, session, settings):
    setup = make_tracked_route(session, departed=False)

    table = client.get("/courier/me/day", headers=auth_headers(settings, setup.user)).json()[
        "transitions"
    ]

    delivery = table[OrderKind.DELIVERY.value]
    assert delivery["pending"] == {"arrived": "arrived", "failed": "failed"}
    assert delivery["arrived"] == {"delivered": "delivered", "failed": "failed"}
    assert delivery["delivered"] == {}
    assert table[OrderKind.PICKUP.value]["arrived"] == {
        "pickup_done": "picked_up",
        "failed": "failed",
    }


def test_only_couriers_read_a_courier_day(client, session, settings):
    dispatcher = make_user(session, role=Role.DISPATCHER)

    response = client.get("/courier/me/day", headers=auth_headers(settings, dispatcher))

    assert response.status_code == 403
