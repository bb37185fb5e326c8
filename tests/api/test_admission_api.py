"""Admission to the database: a busy process queues requests, refuses them as busy after a
while, and never deadlocks its connection pool against its worker threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.admission import BACKGROUND_CONNECTIONS, admitted_at_once
from api.app import create_app
from infra.models import Role
from tests.conftest import CommittedDatabase
from tests.factories import auth_headers, make_user
from tests.serving import serving

pytestmark = pytest.mark.slow


def busy_app(
    committed_db: CommittedDatabase, *, pool: int, wait_s: float, overflow: int = 0
) -> FastAPI:
    settings = committed_db.settings.model_copy(
        update={
            "database": committed_db.settings.database.model_copy(
                update={"pool_size": pool, "max_overflow": overflow, "admission_wait_s": wait_s}
            )
        }
    )
    return create_app(settings)


def test_places_follow_the_pool_kept_open_less_the_background_work(
    committed_db: CommittedDatabase,
):
    settings = committed_db.settings
    assert admitted_at_once(settings) == settings.database.pool_size - BACKGROUND_CONNECTIONS


def test_a_busy_process_opens_no_connection_beyond_its_pool(committed_db: CommittedDatabase):
    """Requests admitted onto the pool's overflow would each open and close a connection of
    their own; with the places taken from the connections kept open, 80 requests at once open
    no more connections than the pool keeps, however large the overflow."""
    pool_size = BACKGROUND_CONNECTIONS + 2
    app = busy_app(committed_db, pool=pool_size, overflow=10, wait_s=60)
    opened: list[object] = []
    event.listen(app.state.engine, "connect", lambda _connection, _record: opened.append(1))

    statuses, _ = orders_listed_at_once(committed_db, app, 80)

    assert statuses == [200] * 80
    assert 1 <= len(opened) <= pool_size


def test_a_request_waiting_longer_than_admission_allows_is_a_503_server_busy(
    committed_db: CommittedDatabase,
):
    # One place: a request holding it keeps the next one waiting until it is refused.
    app = busy_app(committed_db, pool=BACKGROUND_CONNECTIONS + 1, wait_s=0.3)
    entered, leave = threading.Event(), threading.Event()

    @app.get("/test/hold-the-place")
    def hold_the_place() -> dict[str, bool]:
        entered.set()
        leave.wait(10)
        return {"held": True}

    with serving(app) as base, ThreadPoolExecutor(1) as pool, httpx.Client(base_url=base) as http:
        holding = pool.submit(http.get, "/test/hold-the-place")
        assert entered.wait(10)
        refused = httpx.get(f"{base}/health", timeout=10)
        leave.set()
        assert holding.result(10).status_code == 200
        after = httpx.get(f"{base}/health", timeout=10)

    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "server_busy"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-Request-ID"]
    # The place came back when the first response started.
    assert after.status_code == 200


def test_many_more_requests_than_connections_all_complete_and_return_every_connection(
    committed_db: CommittedDatabase,
):
    """Each request uses the database in two steps on worker threads (signing in, then the
    list), the situation that deadlocks a pool smaller than the thread pool: here 120 at once
    against 2 connections all succeed, and no connection stays checked out."""
    app = busy_app(committed_db, pool=BACKGROUND_CONNECTIONS + 2, wait_s=60)

    statuses, checked_out = orders_listed_at_once(committed_db, app, 120)

    assert statuses == [200] * 120
    assert checked_out == 0


def orders_listed_at_once(
    committed_db: CommittedDatabase, app: FastAPI, count: int
) -> tuple[list[int], int]:
    """`count` dispatchers' GET /orders sent at once to the served app: their statuses, and the
    connections still checked out once all were answered."""
    with committed_db.sessions() as session, session.begin():
        headers = auth_headers(committed_db.settings, make_user(session, role=Role.DISPATCHER))
    limits = httpx.Limits(max_connections=count + 20)
    with (
        serving(app) as base,
        httpx.Client(base_url=base, timeout=60, limits=limits) as http,
        ThreadPoolExecutor(count) as pool,
    ):
        answers = list(pool.map(lambda _: http.get("/orders", headers=headers), range(count)))
        checked_out = app.state.engine.pool.checkedout()
    return [a.status_code for a in answers], checked_out
