"""Fault: the PostgreSQL server is restarted, then killed, while clients keep writing."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from api.app import create_app
from api.deps import get_now
from api.errors import PROBLEM_MEDIA_TYPE
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import Order, PositionPing, Role, StopEvent
from tests.conftest import make_settings, postgres_url
from tests.factories import auth_headers, make_user, order_payload
from tests.private_postgres import PrivatePostgres
from tests.serving import serving
from tests.tracking.routes import DEPOT, START, RouteSetup, make_tracked_route

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    # The server it crashes is its own, so any run could take it; the PostgreSQL profile does.
    pytest.mark.skipif(
        postgres_url() is None, reason="runs in the PostgreSQL profile (SAMEDAY_DATABASE_URL)"
    ),
]

NOW = START + timedelta(hours=3)
COURIERS = 2
STOPS = 40
PINGS_PER_BATCH = 5
RETRY_PAUSE_S = 0.1
# A write still refused this long after its first attempt is given up (and the test fails).
GIVE_UP_S = 30.0
# How long the server stays down, so that clients meet the outage, not only its edges.
DOWN_S = 1.0
ACKS_PER_PHASE = 3
# Where orders, stop events (with their proof) and pings are written.
WRITTEN_TABLES = "customer_order, stop_event, position_ping"


@dataclass
class Attempt:
    started: float
    ended: float
    status: int | None  # None: no answer from the API at all
    answer: Any = None
    content_type: str = ""
    retry_after: str | None = None


@dataclass
class Write:
    """One request a client sends again, unchanged (same idempotency key or event id), until
    the API acknowledges it."""

    kind: str
    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def acknowledged(self) -> Attempt | None:
        return next((a for a in self.attempts if a.status is not None and a.status < 300), None)


def send(http: httpx.Client, write: Write) -> Attempt:
    started = time.monotonic()
    try:
        response = http.post(write.url, json=write.body, headers=write.headers)
    except httpx.TransportError:
        return Attempt(started, time.monotonic(), None)
    return Attempt(
        started,
        time.monotonic(),
        response.status_code,
        response.json(),
        response.headers.get("content-type", ""),
        response.headers.get("retry-after"),
    )


class Client(threading.Thread):
    """Sends its writes one after another, each until it is acknowledged or given up."""

    def __init__(self, base_url: str, writes: Iterator[Write]) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.writes = writes
        self.sent: list[Write] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=15) as http:
            for write in self.writes:
                if self.stopping.is_set():
                    return
                self.sent.append(write)
                while True:
                    attempt = send(http, write)
                    write.attempts.append(attempt)
                    if write.acknowledged or attempt.ended - write.attempts[0].started > GIVE_UP_S:
                        break
                    time.sleep(RETRY_PAUSE_S)

    def acknowledged_after(self, moment: float) -> int:
        return sum(1 for w in list(self.sent) if (a := w.acknowledged) and a.ended > moment)


def order_writes(headers: dict[str, str], prefix: str) -> Iterator[Write]:
    for k in range(1_000_000):
        yield Write(
            "order",
            "/orders",
            order_payload(reference=f"{prefix}-{k}"),
            headers | {"Idempotency-Key": f"{prefix}-{k}"},
        )


def ping(k: int) -> dict[str, Any]:
    """The k-th ping of a courier: one a second, creeping north at about 1 m/s."""
    at = START + timedelta(seconds=k)
    return {"device_at": at.isoformat(), "lat": DEPOT[0] + k * 1e-5, "lng": DEPOT[1]}


def courier_writes(setup: RouteSetup, headers: dict[str, str]) -> Iterator[Write]:
    """Pings and, between them, arrived and delivered (with proof) at every stop in turn."""
    k = 0

    def pings() -> Write:
        nonlocal k
        k += PINGS_PER_BATCH
        batch = [ping(k - PINGS_PER_BATCH + n) for n in range(PINGS_PER_BATCH)]
        return Write("pings", "/courier/me/pings", {"pings": batch}, headers)

    def event(stop_id: int, kind: str, **proof: str) -> Write:
        body = {
            "client_event_id": f"{stop_id}-{kind}",
            "kind": kind,
            "occurred_at": (START + timedelta(seconds=k)).isoformat(),
        }
        return Write("event", f"/courier/me/stops/{stop_id}/events", body | proof, headers)

    for stop in setup.stops:
        yield pings()
        yield event(stop.id, "arrived")
        yield pings()
        yield event(
            stop.id,
            "delivered",
            recipient_name=f"Recipient at stop {stop.id}",
            signature_ref=f"signature/{stop.id}.svg",
            photo_ref=f"photo/{stop.id}.jpg",
        )
    while True:
        yield pings()


@contextlib.contextmanager
def writes_waiting(server: PrivatePostgres, writers: int) -> Iterator[None]:
    """Holds the written tables locked until `writers` requests wait for them inside their
    transactions, so that a fault then hits every client mid-write; released at the end
    (or by the fault)."""
    holder = psycopg.connect(server.conninfo)
    try:
        deadline = time.monotonic() + GIVE_UP_S
        while True:
            try:
                holder.execute(f"LOCK TABLE {WRITTEN_TABLES} IN SHARE MODE")
                break
            except psycopg.errors.DeadlockDetected:
                # A write that holds one of the tables and waits for another locked here
                # already: the server aborted this side; the write goes on, then try again.
                holder.rollback()
                assert time.monotonic() < deadline, "the tables could not be locked"
        while True:
            waiting = holder.execute(
                "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted"
            ).fetchone()
            if waiting is not None and waiting[0] >= writers:
                break
            assert time.monotonic() < deadline, "the clients' writes did not reach the database"
            time.sleep(0.02)
        yield
    finally:
        holder.close()


def in_flight(attempt: Attempt, moment: float) -> bool:
    return attempt.started < moment < attempt.ended


def overlaps(attempt: Attempt, window: tuple[float, float]) -> bool:
    return attempt.started < window[1] and attempt.ended > window[0]


def test_every_acknowledged_write_survives_a_restart_and_a_crash_of_postgres_exactly_once(
    private_postgres_server: PrivatePostgres,
):
    """Fault: while a dispatcher posts orders (with idempotency keys) and two couriers post
    position pings and stop events with proof of delivery through a real HTTP server, the
    PostgreSQL server is restarted (fast shutdown), and later killed with SIGKILL (server
    processes included) and started again, which recovers from its write-ahead log.

    Pass: while the database is down the API answers 503 database_unavailable with a
    Retry-After (never a 500, never no answer), and it serves again on its own, without a
    restart of its own; every write is acknowledged in the end, and every acknowledged order,
    stop event (with its proof) and ping is stored exactly once, as answered, including those
    first refused and then retried with the same key; a replay of each answers the same.
    """
    server = private_postgres_server
    settings = make_settings(server.url)
    upgrade(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        dispatcher = auth_headers(settings, make_user(session, role=Role.DISPATCHER))
        routes = [
            make_tracked_route(session, stops=STOPS, window_h=(9, 18)) for _ in range(COURIERS)
        ]
        couriers = [(setup, auth_headers(settings, setup.user)) for setup in routes]
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: NOW
    prefix = f"CRASH-{secrets.token_hex(3)}"

    with serving(app) as base:
        clients = [Client(base, order_writes(dispatcher, prefix))] + [
            Client(base, courier_writes(setup, headers)) for setup, headers in couriers
        ]

        def wait_for_writes(after: float) -> None:
            deadline = time.monotonic() + GIVE_UP_S
            while any(c.acknowledged_after(after) < ACKS_PER_PHASE for c in clients):
                assert time.monotonic() < deadline, "the API did not take writes again"
                time.sleep(0.05)

        for client in clients:
            client.start()
        try:
            wait_for_writes(0.0)
            with writes_waiting(server, len(clients)):
                restart = (time.monotonic(), 0.0)
                server.restart(down_s=DOWN_S)
                restart = (restart[0], time.monotonic())
            wait_for_writes(restart[1])
            with writes_waiting(server, len(clients)):
                crash = (time.monotonic(), 0.0)
                server.kill(down_s=DOWN_S)
                crash = (crash[0], time.monotonic())
            wait_for_writes(crash[1])
        finally:
            for client in clients:
                client.stopping.set()
            for client in clients:
                client.join(GIVE_UP_S + 15)
        writes = [w for c in clients for w in c.sent]
        with httpx.Client(base_url=base, timeout=15) as http:
            replays = {id(w): send(http, w) for w in writes if w.acknowledged}

    attempts = [a for w in writes for a in w.attempts]
    refusals = [a for a in attempts if a.status != 201 and a.status != 200]
    assert {a.status for a in refusals} <= {503}, [(a.status, a.answer) for a in refusals]
    for refusal in refusals:
        assert refusal.content_type == PROBLEM_MEDIA_TYPE
        assert refusal.answer["code"] == "database_unavailable"
        assert int(refusal.retry_after or 0) > 0
    for client in clients:
        # Each client's write in flight when the server went away was refused, not lost.
        mine = [a for w in client.sent for a in w.attempts]
        assert any(in_flight(a, restart[0]) and a.status == 503 for a in mine)
        assert any(in_flight(a, crash[0]) and a.status == 503 for a in mine)
    assert any(overlaps(a, restart) for a in refusals if not in_flight(a, restart[0]))
    assert any(overlaps(a, crash) for a in refusals if not in_flight(a, crash[0]))

    unacknowledged = [w for w in writes if not w.acknowledged]
    assert not unacknowledged, [(w.url, w.attempts[-1]) for w in unacknowledged]
    retried = [w for w in writes if len(w.attempts) > 1]
    assert retried, "no write was refused and retried"
    for write in writes:
        ack = write.acknowledged
        assert ack is not None
        replay = replays[id(write)]
        assert replay.status in (200, 201), (write.url, replay.status, replay.answer)
        if write.kind == "pings":
            assert replay.answer["duplicate_count"] == PINGS_PER_BATCH
        else:
            assert replay.answer["id"] == ack.answer["id"], write.url

    orders = [w for w in writes if w.kind == "order"]
    events = [w for w in writes if w.kind == "event"]
    with sessions() as session:
        stored_orders = session.execute(
            select(Order.reference, func.count(), func.min(Order.id))
            .where(Order.reference.like(f"{prefix}-%"))
            .group_by(Order.reference)
        ).all()
        assert {ref: (n, order_id) for ref, n, order_id in stored_orders} == {
            w.body["reference"]: (1, w.acknowledged.answer["id"])  # type: ignore[union-attr]
            for w in orders
        }
        courier_ids = [setup.courier.id for setup in routes]
        stored_events = {
            e.client_event_id: e
            for e in session.scalars(select(StopEvent).where(StopEvent.courier_id.in_(courier_ids)))
        }
        assert len(stored_events) == len(events)
        for write in events:
            stored = stored_events[write.body["client_event_id"]]
            assert stored.id == write.acknowledged.answer["id"]  # type: ignore[union-attr]
            assert stored.kind.value == write.body["kind"]
            assert stored.recipient_name == write.body.get("recipient_name")
            assert stored.signature_ref == write.body.get("signature_ref")
            assert stored.photo_ref == write.body.get("photo_ref")
        stored_pings = session.execute(
            select(PositionPing.courier_id, PositionPing.device_at, func.count())
            .where(PositionPing.courier_id.in_(courier_ids))
            .group_by(PositionPing.courier_id, PositionPing.device_at)
        ).all()
    engine.dispose()
    sent_pings = {
        (setup.courier.id, datetime.fromisoformat(p["device_at"]))
        for client, (setup, _) in zip(clients[1:], couriers, strict=True)
        for w in client.sent
        if w.kind == "pings"
        for p in w.body["pings"]
    }
    assert {(c, at): n for c, at, n in stored_pings} == dict.fromkeys(sent_pings, 1)
