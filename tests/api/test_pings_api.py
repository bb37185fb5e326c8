from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from infra.models import Courier, PositionPing, User
from infra.models.append_only import AppendOnlyViolation
from infra.settings import Settings
from tests.factories import auth_headers, make_courier, make_user
from tests.tracking.routes import START
from tracking import pings


def ping(seconds: int, lat: float = 52.5, lng: float = 13.4) -> dict[str, object]:
    return {"device_at": (START + timedelta(seconds=seconds)).isoformat(), "lat": lat, "lng": lng}


def post(client: TestClient, settings: Settings, user: User, batch: list[dict[str, object]]) -> Any:
    return client.post(
        "/courier/me/pings", json={"pings": batch}, headers=auth_headers(settings, user)
    )


def courier_user(session: Session) -> tuple[Courier, User]:
    courier = make_courier(session)
    user = session.get(User, courier.user_id)
    assert user is not None
    return courier, user


def test_a_batch_is_stored_once_and_duplicates_are_counted(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    courier, user = courier_user(session)
    batch = [ping(0), ping(60, lat=52.501), ping(60, lat=52.501)]

    first = post(client, settings, user, batch)
    again = post(client, settings, user, batch[:2])

    assert first.status_code == 200
    assert first.json()["accepted"] == [0, 1]
    assert first.json()["duplicates"] == [2]
    assert again.json()["duplicate_count"] == 2
    assert len(pings.pings_between(session, courier.id)) == 2


def test_out_of_order_pings_are_read_in_device_time_order(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    courier, user = courier_user(session)

    post(client, settings, user, [ping(120, lat=52.502), ping(0)])
    post(client, settings, user, [ping(60, lat=52.501)])

    stored = pings.pings_between(session, courier.id)
    assert [p.device_at for p in stored] == [START + timedelta(seconds=s) for s in (0, 60, 120)]


def test_the_latest_position_is_the_latest_device_time_not_the_latest_arrival(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=10)
    courier, user = courier_user(session)
    post(client, settings, user, [ping(300, lat=52.505)])

    post(client, settings, user, [ping(0)])  # arrives late

    latest = pings.latest_position(session, courier.id)
    assert latest is not None
    assert latest.device_at == START + timedelta(seconds=300)
    assert latest.lat == 52.505


def test_implausible_pings_are_rejected_with_a_reason_and_the_rest_kept(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=10)
    courier, user = courier_user(session)
    batch = [
        ping(0),
        ping(30, lat=95.0),
        ping(60, lat=53.5),  # 110 km in a minute
        ping(3600),  # an hour ahead of the server clock
        ping(120, lat=52.502),
    ]

    response = post(client, settings, user, batch)

    assert response.status_code == 200
    assert response.json()["accepted"] == [0, 4]
    assert response.json()["rejected"] == [
        {"index": 1, "reason": "coordinates_out_of_range"},
        {"index": 2, "reason": "implausible_jump"},
        {"index": 3, "reason": "device_time_in_future"},
    ]
    assert len(pings.pings_between(session, courier.id)) == 2


def test_a_late_ping_that_contradicts_stored_neighbours_is_rejected(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=10)
    _, user = courier_user(session)
    post(client, settings, user, [ping(0), ping(120, lat=52.502)])

    response = post(client, settings, user, [ping(60, lat=52.9)])

    assert response.json()["rejected"] == [{"index": 0, "reason": "implausible_jump"}]


def test_ping_rows_are_insert_only(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    courier, user = courier_user(session)
    post(client, settings, user, [ping(0)])
    row = session.query(PositionPing).filter_by(courier_id=courier.id).one()

    row.lat = 1.0
    with pytest.raises(AppendOnlyViolation):
        session.flush()


def test_bad_ping_bodies_are_422_and_dispatchers_cannot_post_pings(client, session, settings):
    _, user = courier_user(session)
    dispatcher = make_user(session)

    naive = client.post(
        "/courier/me/pings",
        json={"pings": [{"device_at": "2025-03-04T09:00:00", "lat": 52.5, "lng": 13.4}]},
        headers=auth_headers(settings, user),
    )
    empty = post(client, settings, user, [])
    denied = post(client, settings, dispatcher, [ping(0)])

    assert naive.status_code == 422
    assert empty.status_code == 422
    assert denied.status_code == 403
