"""Live streams across API processes: a commit through one app reaches a stream of another,
at once through Redis, and by the log's poll when Redis is down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from infra.models import Role
from infra.settings import LiveSettings
from tests.api.test_live_stream_api import Sse, a_day, parse, record
from tests.conftest import CommittedDatabase
from tests.factories import auth_headers, make_user
from tests.redis_service import CLOSED_REDIS_URL, REDIS_URL, fresh_namespace, requires_redis
from tests.serving import serving

pytestmark = [pytest.mark.production, requires_redis]


def two_apps(db: CommittedDatabase, redis_url: str, poll_s: float) -> tuple[FastAPI, FastAPI]:
    """Two API processes' apps on one database: the same signing key, a signal of their own."""
    settings = db.settings.model_copy(
        update={
            "redis_url": redis_url,
            "redis_namespace": fresh_namespace(),
            "live": LiveSettings(poll_s=poll_s),
        }
    )
    return create_app(settings), create_app(settings)


@pytest.fixture
def dispatcher(committed_db: CommittedDatabase) -> dict[str, str]:
    with committed_db.sessions() as session, session.begin():
        return auth_headers(committed_db.settings, make_user(session, role=Role.DISPATCHER))


def first_event(base: str, day: date, headers: dict[str, str], commit: Any) -> tuple[Sse, float]:
    """Opens a stream of `day`, calls `commit` and returns the first event with its delay."""
    with httpx.stream(
        "GET",
        f"{base}/live/events",
        params={"day": day.isoformat(), "timeout_s": 20, "max_events": 1},
        headers=headers,
        timeout=30,
    ) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry: ")
        started = time.monotonic()
        commit()
        body = "\n".join(lines)
    (event,) = parse(body + "\n\n")
    return event, time.monotonic() - started


@pytest.fixture
def apps_on_redis(committed_db) -> Iterator[tuple[FastAPI, str]]:
    # Polls too rarely to deliver anything within the test's wait: only Redis can.
    here, there = two_apps(committed_db, REDIS_URL, poll_s=30)
    with ExitStack() as running:
        running.enter_context(TestClient(here))
        base = running.enter_context(serving(there))
        deadline = time.monotonic() + 10
        while not there.state.live_relay.listening:
            assert time.monotonic() < deadline, "the relay did not subscribe"
            time.sleep(0.05)
        yield here, base


@pytest.mark.alone
def test_an_event_committed_in_one_process_reaches_another_s_stream_through_redis(
    apps_on_redis, dispatcher
):
    here, base = apps_on_redis
    day = a_day()
    ids: list[int] = []

    event, delay_s = first_event(
        base, day, dispatcher, lambda: ids.extend(record(here.state.session_factory, day, "late"))
    )

    assert event.id == ids[0]
    assert event.event == "late"
    assert delay_s < 3


@pytest.mark.alone
def test_with_redis_down_the_api_serves_and_streams_find_events_by_polling(
    committed_db, dispatcher
):
    here, there = two_apps(committed_db, CLOSED_REDIS_URL, poll_s=0.3)
    day = a_day()
    ids: list[int] = []
    with TestClient(here), serving(there) as base:
        event, delay_s = first_event(
            base,
            day,
            dispatcher,
            lambda: ids.extend(record(here.state.session_factory, day, "position")),
        )
        health = httpx.get(f"{base}/health", timeout=5)

    assert event.id == ids[0]
    assert delay_s < 3
    assert health.status_code == 200
    assert not there.state.live_relay.listening
