"""GET /live/events: server-sent events from the committed log, resumable, filtered, bounded.

These tests commit for real (the stream reads with sessions of its own), each on a day of its
own in the module's database.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from infra import live_events
from infra.models import Role
from infra.settings import LiveSettings, Settings
from tests.conftest import CommittedDatabase, postgres_url
from tests.factories import auth_headers, make_depot, make_user
from tests.serving import serving

_days = itertools.count(1)


def a_day() -> date:
    """A day no other test of the module uses, so their events never mix."""
    return date(2031, 1, 1) + timedelta(days=next(_days))


@dataclass(frozen=True)
class Sse:
    id: int
    event: str
    data: dict[str, Any]


def parse(body: str) -> list[Sse]:
    """The events of a text/event-stream body (comments and the retry field left out)."""
    found = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            found.append(Sse(int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return found


def settings_for(db: CommittedDatabase, **live: Any) -> Settings:
    # A copy: the same database and signing key, other stream settings.
    return db.settings.model_copy(update={"live": LiveSettings(**live)})


@pytest.fixture(scope="module")
def app(committed_db: CommittedDatabase) -> FastAPI:
    return create_app(committed_db.settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def dispatcher(committed_db: CommittedDatabase) -> dict[str, str]:
    with committed_db.sessions() as session, session.begin():
        user = make_user(session, role=Role.DISPATCHER)
        return auth_headers(committed_db.settings, user)


def record(
    db: CommittedDatabase | sessionmaker[Session],
    day: date,
    *kinds: str,
    depot_id: int | None = None,
) -> list[int]:
    """Commits one event per kind (each in a transaction of its own) and returns their ids;
    `db` may be an app's own session factory, whose commits wake its streams."""
    sessions = db.sessions if isinstance(db, CommittedDatabase) else db
    ids = []
    for kind in kinds:
        with sessions() as session, session.begin():
            event = live_events.record(
                session, kind, {"note": kind}, service_date=day, depot_id=depot_id
            )
            session.flush()
            ids.append(event.id)
    return ids


def new_depot(db: CommittedDatabase) -> int:
    with db.sessions() as session, session.begin():
        return make_depot(session).id


def test_events_after_the_given_id_come_with_their_id_kind_and_data(
    client, committed_db, dispatcher
):
    day = a_day()
    first, second, third = record(committed_db, day, "position", "late", "etas")

    response = client.get(
        "/live/events",
        params={"day": day.isoformat(), "after": first, "max_events": 2},
        headers=dispatcher,
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.text.startswith("retry: ")
    events = parse(response.text)
    assert [(e.id, e.event) for e in events] == [(second, "late"), (third, "etas")]
    assert events[0].data["payload"] == {"note": "late"}
    assert events[0].data["service_date"] == day.isoformat()
    assert events[0].data["kind"] == "late"


def test_a_reconnecting_browser_resumes_after_its_last_event_id(client, committed_db, dispatcher):
    day = a_day()
    ids = record(committed_db, day, "position", "position", "stop_event", "late")

    # The browser keeps the URL it opened (after=0) and sends the last id it saw.
    response = client.get(
        "/live/events",
        params={"day": day.isoformat(), "after": 0, "max_events": 2},
        headers=dispatcher | {"Last-Event-ID": str(ids[1])},
    )

    assert [e.id for e in parse(response.text)] == ids[2:]


def test_the_stream_keeps_to_its_day_and_depot(client, committed_db, dispatcher):
    day, other_day = a_day(), a_day()
    here, elsewhere = new_depot(committed_db), new_depot(committed_db)
    start = record(committed_db, day, "before")[0]
    (mine,) = record(committed_db, day, "position", depot_id=here)
    record(committed_db, day, "position", depot_id=elsewhere)
    record(committed_db, other_day, "position", depot_id=here)
    (all_depots,) = record(committed_db, day, "replan_proposed")

    response = client.get(
        "/live/events",
        params={"day": day.isoformat(), "depot_id": here, "after": start, "timeout_s": 0.5},
        headers=dispatcher,
    )

    assert [e.id for e in parse(response.text)] == [mine, all_depots]


@pytest.mark.alone
def test_without_a_starting_id_the_stream_begins_with_what_happens_next(committed_db, dispatcher):
    day = a_day()
    record(committed_db, day, "old")
    # A poll far slower than the test: only the wake-up after the commit can bring the event.
    app = create_app(settings_for(committed_db, poll_s=30))
    with TestClient(app) as client:
        hub, sessions = app.state.live_hub, app.state.session_factory

        def commit_once_listening() -> None:
            eventually(lambda: hub.subscribers == 1)
            record(sessions, day, "new")

        later = threading.Thread(target=commit_once_listening)
        later.start()
        started = time.monotonic()
        response = client.get(
            "/live/events",
            params={"day": day.isoformat(), "max_events": 1, "timeout_s": 10},
            headers=dispatcher,
        )
        elapsed = time.monotonic() - started
        later.join()

    assert [e.event for e in parse(response.text)] == ["new"]
    assert elapsed < 3


def test_an_idle_stream_sends_heartbeat_comments(committed_db, dispatcher):
    app = create_app(settings_for(committed_db, heartbeat_s=1))
    with TestClient(app) as client:
        response = client.get(
            "/live/events",
            params={"day": a_day().isoformat(), "timeout_s": 2.5},
            headers=dispatcher,
        )

    assert response.text.count(": keep-alive\n\n") == 2
    assert parse(response.text) == []


def test_only_dispatchers_and_admins_may_stream(client, committed_db):
    with committed_db.sessions() as session, session.begin():
        courier = auth_headers(committed_db.settings, make_user(session, role=Role.COURIER))
        admin = auth_headers(committed_db.settings, make_user(session, role=Role.ADMIN))
    params = {"timeout_s": 0.2}

    anonymous = client.get("/live/events", params=params)
    as_courier = client.get("/live/events", params=params, headers=courier)
    as_admin = client.get("/live/events", params=params, headers=admin)

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert as_courier.status_code == 403
    assert as_courier.json()["code"] == "role_denied"
    assert as_admin.status_code == 200


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"after": -1}, {}),
        ({"max_events": 0}, {}),
        ({"timeout_s": "soon"}, {}),
        ({"day": "2025-02-30"}, {}),
        ({}, {"Last-Event-ID": "abc"}),
    ],
)
def test_malformed_stream_requests_get_a_problem(client, dispatcher, params, headers):
    response = client.get("/live/events", params=params, headers=dispatcher | headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_streams_beyond_the_process_limit_are_refused_with_503(app, client, dispatcher):
    hub = app.state.live_hub
    held = [hub.reserve() for _ in range(hub.settings.max_streams - hub.open_streams)]
    try:
        refused = client.get("/live/events", params={"timeout_s": 0.2}, headers=dispatcher)
    finally:
        for slot in held:
            slot.release()
    served = client.get("/live/events", params={"timeout_s": 0.2}, headers=dispatcher)

    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "too_many_streams"
    assert served.status_code == 200
    assert hub.open_streams == 0


@pytest.fixture(scope="module")
def server(committed_db: CommittedDatabase) -> Iterator[tuple[str, FastAPI]]:
    """The app behind a real HTTP server, where clients can open streams and vanish."""
    app = create_app(settings_for(committed_db, max_streams=2, poll_s=0.2))
    with serving(app) as base:
        yield base, app


def eventually(check: Any, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_clients_that_vanish_free_their_stream_and_hold_no_connection(server, dispatcher):
    base, app = server
    hub = app.state.live_hub
    day = a_day()
    streams = [
        httpx.stream(
            "GET", f"{base}/live/events", params={"day": day.isoformat()}, headers=dispatcher
        )
        for _ in range(2)
    ]
    opened = [stream.__enter__() for stream in streams]
    try:
        assert [r.status_code for r in opened] == [200, 200]
        # Kept: dropping a line iterator early would close its connection.
        lines = [response.iter_lines() for response in opened]
        assert all(next(each).startswith("retry: ") for each in lines)
        eventually(lambda: hub.open_streams == 2)
        # Open streams wait without a database connection (or a transaction) of their own.
        assert app.state.engine.pool.checkedout() == 0
        full = httpx.get(f"{base}/live/events", headers=dispatcher, timeout=5)
        assert full.status_code == 503
    finally:
        for stream in streams:
            stream.__exit__(None, None, None)

    eventually(lambda: hub.open_streams == 0)
    again = httpx.get(
        f"{base}/live/events", params={"timeout_s": 0.3}, headers=dispatcher, timeout=5
    )
    assert again.status_code == 200


def test_an_event_committed_elsewhere_reaches_an_open_stream(server, committed_db, dispatcher):
    base, _app = server
    day = a_day()
    received: list[Sse] = []
    with httpx.stream(
        "GET",
        f"{base}/live/events",
        params={"day": day.isoformat(), "timeout_s": 10},
        headers=dispatcher,
    ) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry: ")
        # Committed with a session that is not the app's: only the poll can find it.
        (event_id,) = record(committed_db, day, "position")
        block: list[str] = []
        for line in lines:
            if line == "" and block:
                received = parse("\n".join(block) + "\n\n")
                if received:
                    break
                block = []
            elif line:
                block.append(line)

    assert [e.id for e in received] == [event_id]


@pytest.mark.postgres
@pytest.mark.skipif(postgres_url() is None, reason="SQLite never has two writers at once")
def test_an_event_committed_after_a_newer_one_is_not_skipped(server, committed_db, dispatcher):
    base, _app = server
    day = a_day()
    with httpx.stream(
        "GET",
        f"{base}/live/events",
        params={"day": day.isoformat(), "timeout_s": 10, "max_events": 2},
        headers=dispatcher,
    ) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry: ")
        with committed_db.sessions() as slow, slow.begin():
            # Takes the lower id, and commits only after a newer event is visible.
            earlier = live_events.record(slow, "position", {}, service_date=day)
            slow.flush()
            (later,) = record(committed_db, day, "late")
            time.sleep(0.5)
        body = "\n".join(lines)

    assert [e.id for e in parse(body + "\n\n")] == [earlier.id, later]
