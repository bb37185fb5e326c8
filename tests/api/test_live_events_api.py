"""What couriers' reports tell the live pages: one event per cause, lateness only on change,
and the couriers' snapshot for the dispatcher."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import TOKEN_COOKIE, issue_token
from infra.models import LiveEvent, PlanJob, ReplanTrigger, Role, User
from infra.settings import Settings
from tests.api.test_inspections_api import items
from tests.factories import DAY, auth_headers, make_shift, make_user
from tests.tracking.routes import DEPOT, START, RouteSetup, make_tracked_route
from tracking import lateness


def events(session: Session, route_id: int, *kinds: str) -> list[LiveEvent]:
    query = select(LiveEvent).where(LiveEvent.route_id == route_id)
    if kinds:
        query = query.where(LiveEvent.kind.in_(kinds))
    return list(session.scalars(query.order_by(LiveEvent.id)))


def kinds_of(found: list[LiveEvent]) -> list[str]:
    return [e.kind for e in found]


def ping(
    client: TestClient,
    settings: Settings,
    user: User,
    minutes: float,
    lat: float,
    lng: float = DEPOT[1],
) -> Any:
    at = START + timedelta(minutes=minutes)
    response = client.post(
        "/courier/me/pings",
        json={"pings": [{"device_at": at.isoformat(), "lat": lat, "lng": lng}]},
        headers=auth_headers(settings, user),
    )
    assert response.status_code == 200, response.json()
    return response.json()


def report(
    client: TestClient, settings: Settings, setup: RouteSetup, k: int, kind: str, minutes: float
) -> Any:
    stop_id = setup.stops[k].id
    body: dict[str, Any] = {
        "client_event_id": f"{kind}-{stop_id}",
        "kind": kind,
        "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
    }
    if kind == "delivered":
        body["recipient_name"] = "Ada"
    return client.post(
        f"/courier/me/stops/{stop_id}/events", json=body, headers=auth_headers(settings, setup.user)
    )


def test_a_ping_batch_tells_the_courier_s_new_position_once(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    setup = make_tracked_route(session)
    batch = [
        {"device_at": (START + timedelta(seconds=s)).isoformat(), "lat": lat, "lng": DEPOT[1]}
        for s, lat in [(120, 52.502), (60, 52.501), (180, 52.503)]
    ]

    client.post(
        "/courier/me/pings", json={"pings": batch}, headers=auth_headers(settings, setup.user)
    )

    (position,) = events(session, setup.route.id, "position")
    assert position.courier_id == setup.courier.id
    assert position.service_date == DAY
    assert position.depot_id == setup.vehicle.depot_id
    assert position.payload["lat"] == 52.503
    # The instant as stored (the database gives it back in UTC).
    assert datetime.fromisoformat(position.payload["device_at"]) == START + timedelta(seconds=180)
    assert position.payload["courier_name"] == setup.courier.name
    assert position.payload["vehicle_code"] == setup.vehicle.code
    assert position.payload["route_id"] == setup.route.id


def test_older_pings_uploaded_late_and_repeated_pings_move_nobody(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    setup = make_tracked_route(session)
    ping(client, settings, setup.user, 5, 52.505)

    late_upload = ping(client, settings, setup.user, 2, 52.502)
    repeated = ping(client, settings, setup.user, 5, 52.505)

    assert late_upload["accepted"] == [0]
    assert repeated["duplicates"] == [0]
    assert len(events(session, setup.route.id, "position")) == 1


def test_a_courier_not_under_way_is_not_shown(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    setup = make_tracked_route(session, departed=False)

    ping(client, settings, setup.user, 5, 52.505)

    assert events(session, setup.route.id) == []


def test_a_stop_event_is_told_once_and_a_retry_or_a_refusal_tells_nothing(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=20)
    setup = make_tracked_route(session)

    first = report(client, settings, setup, 0, "arrived", 12)
    retry = report(client, settings, setup, 0, "arrived", 12)
    refused = report(client, settings, setup, 1, "delivered", 13)

    assert (first.status_code, retry.status_code, refused.status_code) == (201, 200, 409)
    (told,) = events(session, setup.route.id, "stop_event")
    assert told.order_id == setup.orders[0].id
    assert told.payload == told.payload | {
        "stop_id": setup.stops[0].id,
        "order_id": setup.orders[0].id,
        "kind": "arrived",
        "state": "arrived",
        "sequence": 1,
        "occurred_at": (START + timedelta(minutes=12)).isoformat(),
    }


def test_the_last_stop_done_tells_that_the_route_finished(client, session, settings, clock):
    clock.now = START + timedelta(minutes=20)
    setup = make_tracked_route(session, stops=1)

    report(client, settings, setup, 0, "arrived", 12)
    report(client, settings, setup, 0, "delivered", 15)

    assert kinds_of(events(session, setup.route.id, "stop_event", "route_finished")) == [
        "stop_event",
        "stop_event",
        "route_finished",
    ]


def test_the_departure_gate_tells_that_the_route_left(client, session, settings):
    setup = make_tracked_route(session, departed=False)
    make_shift(session, setup.courier, vehicle=setup.vehicle)
    headers = auth_headers(settings, setup.user)
    inspected = client.post(
        f"/vehicles/{setup.vehicle.id}/inspections",
        json={"day": DAY.isoformat(), "odometer_km": 1000, "items": items()},
        headers=headers,
    )
    assert inspected.status_code == 201, inspected.json()

    departed = client.post(f"/routes/{setup.route.id}/depart", headers=headers)
    again = client.post(f"/routes/{setup.route.id}/depart", headers=headers)

    assert (departed.status_code, again.status_code) == (200, 409)
    (left,) = events(session, setup.route.id)
    assert left.kind == "route_departed"
    assert left.payload["vehicle_code"] == setup.vehicle.code
    assert left.payload["stops"] == 3


def test_stops_become_late_once_and_done_stops_are_cleared(client, session, settings, clock):
    setup = make_tracked_route(session, window_h=(9, 10))
    clock.now = START + timedelta(minutes=5)
    ping(client, settings, setup.user, 5, 52.501)
    assert events(session, setup.route.id, "late") == []

    # 10:10 and the courier still at the depot: every stop ends up past 10:00 + the threshold.
    clock.now = START + timedelta(minutes=70)
    ping(client, settings, setup.user, 70, 52.502)
    clock.now = START + timedelta(minutes=71)
    ping(client, settings, setup.user, 71, 52.503)

    late = events(session, setup.route.id, "late")
    assert sorted(e.order_id or 0 for e in late) == sorted(o.id for o in setup.orders)
    first = next(e for e in late if e.order_id == setup.orders[0].id)
    assert first.payload["late_by_s"] > settings.tracking.lateness_threshold_s
    assert first.payload["window_end_at"] == "2025-03-04T10:00:00+01:00"
    assert {s.order_id for s in lateness.late_stops(session, route_id=setup.route.id)} == {
        o.id for o in setup.orders
    }
    # One replan proposed for the late stops, however many pings reported them.
    (proposal,) = session.scalars(
        select(PlanJob).where(PlanJob.base_plan_id == setup.route.plan_id)
    )
    assert proposal.trigger is ReplanTrigger.LATE
    assert "3 stop(s) projected late" in proposal.reason

    clock.now = START + timedelta(minutes=74)
    report(client, settings, setup, 0, "arrived", 72)
    report(client, settings, setup, 0, "delivered", 74)

    (cleared,) = events(session, setup.route.id, "late_cleared")
    assert cleared.order_id == setup.orders[0].id
    assert cleared.payload["reason"] == "done"
    assert len(events(session, setup.route.id, "late")) == 3
    assert {s.order_id for s in lateness.late_stops(session, day=DAY)} == {
        o.id for o in setup.orders[1:]
    }


def test_a_late_stop_is_cleared_when_the_courier_catches_up(client, session, settings, clock):
    setup = make_tracked_route(session, stops=1, window_h=(9, 10))
    # 09:40, some 33 km south of the stop: well past 10:00 by the time the van gets there.
    clock.now = START + timedelta(minutes=40)
    ping(client, settings, setup.user, 40, 52.20)
    # 09:55, next to it (33 km in 15 minutes is fast, but possible).
    clock.now = START + timedelta(minutes=55)
    ping(client, settings, setup.user, 55, 52.505)

    assert kinds_of(events(session, setup.route.id, "late", "late_cleared")) == [
        "late",
        "late_cleared",
    ]
    assert events(session, setup.route.id, "late_cleared")[0].payload["reason"] == "on_time"
    assert lateness.late_stops(session, route_id=setup.route.id) == []


def test_etas_are_told_when_they_move_not_at_every_ping(client, session, settings, clock):
    setup = make_tracked_route(session)
    clock.now = START + timedelta(minutes=5)
    ping(client, settings, setup.user, 5, 52.501)
    clock.now = START + timedelta(minutes=5, seconds=20)
    ping(client, settings, setup.user, 5.33, 52.5011)
    # Stuck in traffic for ten minutes: the ETAs slip.
    clock.now = START + timedelta(minutes=15)
    ping(client, settings, setup.user, 15, 52.5012)

    told = events(session, setup.route.id, "etas")
    assert len(told) == 2
    assert [s["stop_id"] for s in told[0].payload["stops"]] == [s.id for s in setup.stops]
    assert told[0].payload["origin"] == "position"
    assert told[1].payload["stops"][0]["eta_at"] > told[0].payload["stops"][0]["eta_at"]


def test_dispatchers_see_each_courier_on_the_road(client, session, settings, clock):
    setup = make_tracked_route(session, window_h=(9, 10))
    idle = make_tracked_route(session, departed=False)
    clock.now = START + timedelta(minutes=70)
    ping(client, settings, setup.user, 70, 52.502)
    dispatcher = auth_headers(settings, make_user(session))

    response = client.get("/live/couriers", params={"day": DAY.isoformat()}, headers=dispatcher)

    assert response.status_code == 200
    by_route = {c["route_id"]: c for c in response.json()}
    on_road = by_route[setup.route.id]
    assert on_road["courier_name"] == setup.courier.name
    assert on_road["vehicle_code"] == setup.vehicle.code
    assert on_road["route_status"] == "departed"
    assert on_road["position"]["lat"] == 52.502
    assert on_road["next_stop"]["stop_id"] == setup.stops[0].id
    assert on_road["next_stop"]["eta_at"] is not None
    assert on_road["late_stops"] == 3
    assert (on_road["stops_total"], on_road["stops_done"]) == (3, 0)
    waiting = by_route[idle.route.id]
    assert waiting["position"] is None
    assert waiting["next_stop"]["eta_at"] is None
    assert waiting["late_stops"] == 0


def test_couriers_may_not_watch_the_road(client, session, settings):
    courier = make_user(session, role=Role.COURIER)

    assert client.get("/live/couriers").status_code == 401
    assert client.get("/live/couriers", headers=auth_headers(settings, courier)).status_code == 403


def test_the_dispatcher_page_starts_its_live_panel_from_the_log(client, session, settings, clock):
    setup = make_tracked_route(session, window_h=(9, 10))
    clock.now = START + timedelta(minutes=70)
    ping(client, settings, setup.user, 70, 52.502)
    newest = events(session, setup.route.id)[-1].id
    token, _ = issue_token(settings, make_user(session), now=clock.now)
    client.cookies.set(TOKEN_COOKIE, token)

    page = client.get("/dispatch", params={"day": DAY.isoformat()})

    assert page.status_code == 200
    assert f'data-after="{newest}"' in page.text
    assert page.text.count('<li data-order-id="') == 3
    assert "/static/live/dispatch_live.js" in page.text
    assert client.get("/static/live/dispatch_live.js").status_code == 200
