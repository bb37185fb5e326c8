from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from infra.models import User
from infra.settings import Settings
from tests.factories import auth_headers, make_courier, make_user
from tests.tracking.routes import START, RouteSetup, make_tracked_route


def etas(client: TestClient, settings: Settings, user: User, route_id: int) -> Any:
    return client.get(f"/routes/{route_id}/etas", headers=auth_headers(settings, user))


def report(
    client: TestClient, settings: Settings, setup: RouteSetup, k: int, kind: str, at: datetime
) -> None:
    stop_id = setup.stops[k].id
    body: dict[str, Any] = {
        "client_event_id": f"{kind}-{stop_id}",
        "kind": kind,
        "occurred_at": at.isoformat(),
    }
    if kind == "delivered":
        body["recipient_name"] = "Ada"
    response = client.post(
        f"/courier/me/stops/{stop_id}/events", json=body, headers=auth_headers(settings, setup.user)
    )
    assert response.status_code == 201, response.json()


def ping(
    client: TestClient, settings: Settings, setup: RouteSetup, at: datetime, lat: float
) -> None:
    response = client.post(
        "/courier/me/pings",
        json={"pings": [{"device_at": at.isoformat(), "lat": lat, "lng": 13.40}]},
        headers=auth_headers(settings, setup.user),
    )
    assert response.json()["accepted"] == [0]


def eta_at(body: dict[str, Any], k: int) -> datetime:
    return datetime.fromisoformat(body["stops"][k]["eta_at"])


def test_every_remaining_stop_gets_an_eta_for_the_dispatcher_and_the_own_courier(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=1)
    setup = make_tracked_route(session)
    dispatcher = make_user(session)

    as_dispatcher = etas(client, settings, dispatcher, setup.route.id)
    as_courier = etas(client, settings, setup.user, setup.route.id)

    assert as_dispatcher.status_code == 200
    assert as_courier.json() == as_dispatcher.json()
    body = as_dispatcher.json()
    assert [s["stop_id"] for s in body["stops"]] == [s.id for s in setup.stops]
    assert body["origin"] == "depot"
    assert eta_at(body, 0) < eta_at(body, 1) < eta_at(body, 2)


def test_another_courier_does_not_see_the_route(client, session, settings):
    setup = make_tracked_route(session)
    other = make_courier(session)
    other_user = session.get(User, other.user_id)
    assert other_user is not None

    assert etas(client, settings, other_user, setup.route.id).status_code == 404


def test_a_ping_near_the_next_stop_brings_its_eta_forward(client, session, settings, clock):
    clock.now = START + timedelta(minutes=1)
    setup = make_tracked_route(session)
    dispatcher = make_user(session)
    before = etas(client, settings, dispatcher, setup.route.id).json()

    ping(client, settings, setup, START + timedelta(minutes=1), lat=setup.orders[0].lat - 0.001)
    after = etas(client, settings, dispatcher, setup.route.id).json()

    assert after["origin"] == "position"
    assert eta_at(after, 0) < eta_at(before, 0)


def test_completed_stops_drop_out_and_a_slow_pace_delays_the_rest(client, session, settings, clock):
    setup = make_tracked_route(session, leg_s=600, service_s=300)
    dispatcher = make_user(session)
    # Planned: arrive 09:10, leave 09:15. Actual: arrive 09:25, leave 09:35 (2x slower).
    clock.now = START + timedelta(minutes=35)
    report(client, settings, setup, 0, "arrived", START + timedelta(minutes=25))
    report(client, settings, setup, 0, "delivered", START + timedelta(minutes=35))

    body = etas(client, settings, dispatcher, setup.route.id).json()

    assert [s["stop_id"] for s in body["stops"]] == [s.id for s in setup.stops[1:]]
    assert body["delay_factor"] == 2.0
    assert body["origin"] == "stop"
    # The next stop is about 1.1 km away: some 215 s by van, twice that at this pace.
    leg = eta_at(body, 0) - clock.now
    assert timedelta(seconds=400) < leg < timedelta(seconds=460)


def test_projected_lateness_is_flagged_past_the_window_end_and_threshold(
    client, session, settings, clock
):
    setup = make_tracked_route(session, window_h=(9, 10))
    dispatcher = make_user(session)
    clock.now = START + timedelta(minutes=5)
    on_time = etas(client, settings, dispatcher, setup.route.id).json()

    clock.now = START + timedelta(minutes=70)
    late = etas(client, settings, dispatcher, setup.route.id).json()

    assert not any(s["projected_late"] for s in on_time["stops"])
    assert all(s["projected_late"] for s in late["stops"])
    assert late["stops"][0]["late_by_s"] > settings.tracking.lateness_threshold_s


def test_a_route_that_has_not_departed_has_no_etas(client, session, settings):
    setup = make_tracked_route(session, departed=False)

    response = etas(client, settings, make_user(session), setup.route.id)

    assert response.status_code == 409
    assert response.json()["code"] == "route_not_under_way"
