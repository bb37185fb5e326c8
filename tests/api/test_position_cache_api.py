"""Latest courier positions cached in Redis: written after the ping's commit, read before the
database, never moved back in time, and the database's again while Redis is down."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from infra.clock import SettableClock
from infra.position_cache import LatestPosition, PositionCache
from infra.redis_client import make_redis
from tests.factories import DAY, auth_headers, make_user
from tests.redis_service import CLOSED_REDIS_URL, REDIS_URL, fresh_namespace, requires_redis
from tests.tracking.routes import DEPOT, START, RouteSetup, make_tracked_route

pytestmark = [pytest.mark.production, requires_redis]

NOW = START + timedelta(minutes=10)


@contextmanager
def serving(committed_db, redis_url: str, namespace: str) -> Iterator[TestClient]:
    settings = committed_db.settings.model_copy(
        update={"redis_url": redis_url, "redis_namespace": namespace}
    )
    with TestClient(create_app(settings, clock=SettableClock(NOW))) as client:
        yield client


def tracked_route(committed_db) -> RouteSetup:
    with committed_db.sessions.begin() as session:
        return make_tracked_route(session)


def send_ping(client: TestClient, committed_db, setup: RouteSetup, minutes: float, lat: float):
    at = START + timedelta(minutes=minutes)
    response = client.post(
        "/courier/me/pings",
        json={"pings": [{"device_at": at.isoformat(), "lat": lat, "lng": DEPOT[1]}]},
        headers=auth_headers(committed_db.settings, setup.user),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["accepted"] == [0]


def live_position(client: TestClient, committed_db, setup: RouteSetup) -> dict[str, object]:
    with committed_db.sessions.begin() as session:
        dispatcher = auth_headers(committed_db.settings, make_user(session))
    response = client.get("/live/couriers", params={"day": DAY.isoformat()}, headers=dispatcher)
    assert response.status_code == 200
    (mine,) = [c for c in response.json() if c["route_id"] == setup.route.id]
    position: dict[str, object] = mine["position"]
    return position


def move_stored_pings_behind_the_cache(committed_db, setup: RouteSetup, lat: float) -> None:
    # Pings are insert-only for the application; this stands for a reader that would see it.
    with committed_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE position_ping SET lat = :lat WHERE courier_id = :courier_id"),
            {"lat": lat, "courier_id": setup.courier.id},
        )


def test_a_ping_writes_the_courier_s_latest_position_after_its_commit(committed_db):
    namespace = fresh_namespace()
    setup = tracked_route(committed_db)
    with serving(committed_db, REDIS_URL, namespace) as client:
        send_ping(client, committed_db, setup, 5, 52.505)

    cached = make_redis(REDIS_URL).hgetall(f"{namespace}:position:{setup.courier.id}")
    assert cached["lat"] == "52.505"
    assert cached["courier_id"] == str(setup.courier.id)
    assert cached["route_id"] == str(setup.route.id)
    assert cached["device_at"] == (START + timedelta(minutes=5)).astimezone(UTC).isoformat()
    assert cached["received_at"] == NOW.astimezone(UTC).isoformat()
    assert 0 < make_redis(REDIS_URL).ttl(f"{namespace}:position:{setup.courier.id}") <= 24 * 3600


def test_the_live_view_and_the_tracking_page_read_the_cached_position(committed_db):
    setup = tracked_route(committed_db)
    with serving(committed_db, REDIS_URL, fresh_namespace()) as client:
        send_ping(client, committed_db, setup, 5, 52.505)
        move_stored_pings_behind_the_cache(committed_db, setup, 52.509)

        shown = live_position(client, committed_db, setup)
        tracked = client.get(f"/track/{setup.orders[0].tracking_code}").json()

    assert shown["lat"] == 52.505
    assert tracked["courier_position"]["lat"] == 52.505


def test_a_position_missing_from_the_cache_is_read_from_the_database_and_cached(committed_db):
    namespace = fresh_namespace()
    setup = tracked_route(committed_db)
    with serving(committed_db, REDIS_URL, namespace) as client:
        send_ping(client, committed_db, setup, 5, 52.505)
        make_redis(REDIS_URL).delete(f"{namespace}:position:{setup.courier.id}")

        assert live_position(client, committed_db, setup)["lat"] == 52.505
        move_stored_pings_behind_the_cache(committed_db, setup, 52.509)
        assert live_position(client, committed_db, setup)["lat"] == 52.505


def test_a_ping_uploaded_late_does_not_move_the_cached_position_back(committed_db):
    namespace = fresh_namespace()
    setup = tracked_route(committed_db)
    with serving(committed_db, REDIS_URL, namespace) as client:
        send_ping(client, committed_db, setup, 5, 52.505)
        send_ping(client, committed_db, setup, 2, 52.502)

    cached = make_redis(REDIS_URL).hgetall(f"{namespace}:position:{setup.courier.id}")
    assert cached["lat"] == "52.505"


def test_an_older_position_does_not_overwrite_a_newer_one():
    cache = PositionCache(make_redis(REDIS_URL), fresh_namespace())
    newer = LatestPosition(7, 52.505, 13.4, START + timedelta(minutes=5), NOW, route_id=3)
    older = LatestPosition(7, 52.502, 13.4, START + timedelta(minutes=2), NOW + timedelta(1))

    assert cache.store(newer)
    assert not cache.store(older)
    assert not cache.store(newer)

    assert cache.latest(7) == newer
    assert cache.latest(8) is None
    cache.close()


def test_with_redis_down_pings_are_taken_and_positions_read_from_the_database(committed_db, caplog):
    setup = tracked_route(committed_db)
    with (
        caplog.at_level(logging.WARNING, logger="infra.position_cache"),
        serving(committed_db, CLOSED_REDIS_URL, fresh_namespace()) as client,
    ):
        send_ping(client, committed_db, setup, 5, 52.505)
        assert live_position(client, committed_db, setup)["lat"] == 52.505
        send_ping(client, committed_db, setup, 6, 52.506)
        assert live_position(client, committed_db, setup)["lat"] == 52.506

    warnings = [r for r in caplog.records if r.name == "infra.position_cache"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()


def test_a_courier_whose_position_was_not_written_is_dropped_when_redis_is_back():
    namespace = fresh_namespace()
    up = PositionCache(make_redis(REDIS_URL), namespace)
    flaky = PositionCache(make_redis(CLOSED_REDIS_URL), namespace)
    up.store(LatestPosition(7, 52.505, 13.4, START + timedelta(minutes=5), NOW))
    assert not flaky.store(LatestPosition(7, 52.506, 13.4, START + timedelta(minutes=6), NOW))

    # Redis answers this process again.
    flaky._client = make_redis(REDIS_URL)

    assert flaky.latest(7) is None
    up.close()
    flaky.close()
