"""PostgreSQL connections are asked whether the server is still there only after being idle."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from infra.db import ping_after_idle
from tests.conftest import postgres_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_url() is None, reason="pings a PostgreSQL server"),
]


def pooled(idle_s: float) -> Engine:
    server = postgres_url()
    assert server is not None
    engine = create_engine(server, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle_s=idle_s)
    return engine


@pytest.fixture
def pings_of(monkeypatch: pytest.MonkeyPatch) -> Callable[[Engine], list[object]]:
    """Counts the pings of an engine from now on."""

    def counted(engine: Engine) -> list[object]:
        found: list[object] = []
        do_ping = engine.dialect.do_ping

        def ping(dbapi_connection: Any) -> bool:
            found.append(dbapi_connection)
            return do_ping(dbapi_connection)

        monkeypatch.setattr(engine.dialect, "do_ping", ping)
        return found

    return counted


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(pid: int) -> None:
    server = postgres_url()
    assert server is not None
    admin = create_engine(server)
    try:
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_connection_given_back_a_moment_ago_is_handed_out_without_a_round_trip(
    pings_of: Callable[[Engine], list[object]],
):
    engine = pooled(idle_s=60)
    pings = pings_of(engine)
    try:
        pids = {backend_pid(engine) for _ in range(5)}
    finally:
        engine.dispose()

    assert len(pids) == 1  # the same connection, reused
    assert pings == []


def test_a_connection_idle_longer_is_asked_first(pings_of: Callable[[Engine], list[object]]):
    engine = pooled(idle_s=0.05)
    pings = pings_of(engine)
    try:
        first = backend_pid(engine)
        time.sleep(0.1)
        again = backend_pid(engine)
    finally:
        engine.dispose()

    assert first == again
    assert len(pings) == 1


def test_a_connection_killed_while_idle_is_replaced_before_it_is_used():
    engine = pooled(idle_s=0.05)
    try:
        killed = backend_pid(engine)
        terminate(killed)
        time.sleep(0.1)
        replaced = backend_pid(engine)
    finally:
        engine.dispose()

    assert replaced != killed


def test_a_connection_killed_a_moment_after_its_use_fails_once_and_is_then_replaced():
    # The price of asking only idle connections: the request that meets the kill fails (the
    # API answers it 503 database_unavailable), and the pool opens a fresh connection.
    engine = pooled(idle_s=60)
    try:
        killed = backend_pid(engine)
        terminate(killed)
        with pytest.raises(OperationalError):
            backend_pid(engine)
        replaced = backend_pid(engine)
    finally:
        engine.dispose()

    assert replaced != killed
