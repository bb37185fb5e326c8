"""Fault: a courier's phone clock runs 10 minutes ahead of or behind the server's."""

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from infra.models import StopEvent, User
from infra.settings import Settings
from tests.factories import auth_headers
from tests.tracking.routes import START, make_tracked_route
from tracking import pings

NOW = START + timedelta(minutes=30)


def post_pings(client: TestClient, settings: Settings, user: User, offsets_s: list[int]) -> Any:
    batch = [
        {
            "device_at": (NOW + timedelta(seconds=offset_s)).isoformat(),
            "lat": 52.5 + 0.0005 * k,
            "lng": 13.4,
        }
        for k, offset_s in enumerate(offsets_s)
    ]
    response = client.post(
        "/courier/me/pings", json={"pings": batch}, headers=auth_headers(settings, user)
    )
    assert response.status_code == 200, response.text
    return response.json()


def post_event(
    client: TestClient, settings: Settings, user: User, stop_id: int, client_id: str, offset_s: int
) -> Any:
    return client.post(
        f"/courier/me/stops/{stop_id}/events",
        json={
            "client_event_id": client_id,
            "kind": "arrived",
            "occurred_at": (NOW + timedelta(seconds=offset_s)).isoformat(),
        },
        headers=auth_headers(settings, user),
    )


def test_pings_within_the_allowed_skew_are_kept_and_ten_minutes_ahead_are_refused(
    client, session, settings, clock
):
    """Fault: phone clocks ahead by a little (60 s), by 10 minutes, and behind by 10 minutes.

    Pass: pings up to SAMEDAY_TRACKING_MAX_FUTURE_SKEW_S ahead and any behind are stored;
    those 10 minutes ahead are rejected with the reason `device_time_in_future`, not stored.
    """
    clock.now = NOW
    setup = make_tracked_route(session)
    allowed_s = settings.tracking.max_future_skew_s
    assert allowed_s < 600

    body = post_pings(client, settings, setup.user, [-600, -590, 60, allowed_s, 600, 610])

    assert body["accepted"] == [0, 1, 2, 3]
    assert body["rejected"] == [
        {"index": 4, "reason": "device_time_in_future"},
        {"index": 5, "reason": "device_time_in_future"},
    ]
    stored = pings.pings_between(session, setup.courier.id)
    assert [p.device_at for p in stored] == [
        NOW + timedelta(seconds=s) for s in (-600, -590, 60, allowed_s)
    ]


def test_a_stop_event_dated_ten_minutes_ahead_is_a_clear_422_and_nothing_is_recorded(
    client, session, settings, clock
):
    """Fault: a stop event whose occurred_at is 10 minutes in the server's future.

    Pass: 422 `event_time_in_future` naming the field `occurred_at` and the stop; no event,
    no order change; the same event resent with a corrected time (same client event id) is
    recorded, and one dated 10 minutes behind or within the allowed skew is taken as it is.
    """
    clock.now = NOW
    setup = make_tracked_route(session)
    stop = setup.stops[0]

    ahead = post_event(client, settings, setup.user, stop.id, "arrive-1", 600)

    assert ahead.status_code == 422, ahead.text
    problem = ahead.json()
    assert problem["code"] == "event_time_in_future"
    assert problem["stop_id"] == stop.id
    assert [e["field"] for e in problem["errors"]] == ["occurred_at"]
    assert "ahead of the server clock" in problem["detail"]
    count = select(func.count()).select_from(StopEvent).where(StopEvent.stop_id == stop.id)
    assert session.scalar(count) == 0

    corrected = post_event(client, settings, setup.user, stop.id, "arrive-1", -600)
    within = post_event(
        client,
        settings,
        setup.user,
        setup.stops[1].id,
        "arrive-2",
        settings.tracking.max_future_skew_s,
    )

    assert corrected.status_code == 201, corrected.text
    assert datetime.fromisoformat(corrected.json()["occurred_at"]) == NOW - timedelta(minutes=10)
    assert within.status_code == 201, within.text
    assert session.scalar(count) == 1
