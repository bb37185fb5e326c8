"""Fault: PostgreSQL kills the API's connections while orders are being written."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.deps import get_now
from infra.models import Order, Role
from tests.conftest import DEFAULT_NOW, make_settings, postgres_url
from tests.factories import auth_headers, make_user, order_payload
from tests.serving import serving

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(postgres_url() is None, reason="kills PostgreSQL server processes"),
]

ORDERS = 60


@dataclass
class Attempt:
    key: str
    body: dict[str, Any]
    status: int | None = None  # None: the connection to the API broke
    answer: Any = None


def post(client: httpx.Client, headers: dict[str, str], attempt: Attempt) -> None:
    try:
        response = client.post(
            "/orders", json=attempt.body, headers=headers | {"Idempotency-Key": attempt.key}
        )
    except httpx.TransportError:
        attempt.status = None
        return
    attempt.status = response.status_code
    attempt.answer = response.json() if response.status_code < 500 else response.text


def test_every_acknowledged_order_survives_killed_connections_and_a_retry_never_doubles(
    committed_db,
):
    """Fault: while a client posts 60 orders through a real HTTP server, every database
    connection of this test's API (found by its application_name, so no other test's) is
    terminated again and again with pg_terminate_backend.

    Pass: every order answered 201 is stored, once, as answered; every other answer is a
    problem (no half-written order), and a retry with the same Idempotency-Key answers 201
    with the stored order or stores it now, never a second one; afterwards the API serves.
    """
    server_url = postgres_url()
    assert server_url is not None
    app_name = f"sameday-fault-{secrets.token_hex(4)}"
    url = make_url(committed_db.settings.database.url).update_query_dict(
        {"application_name": app_name}
    )
    settings = make_settings(url.render_as_string(hide_password=False))
    with committed_db.sessions() as session, session.begin():
        headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: DEFAULT_NOW
    attempts = [
        Attempt(f"fault-{k}-{secrets.token_hex(4)}", order_payload(reference=f"KILL-{k}"))
        for k in range(ORDERS)
    ]
    admin = create_engine(server_url)
    writing = threading.Event()
    killed = [0]

    def kill_connections() -> None:
        while writing.is_set():
            with admin.connect() as connection:
                killed[0] += len(
                    connection.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": app_name},
                    ).all()
                )
            time.sleep(0.03)

    try:
        with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            writing.set()
            killer = threading.Thread(target=kill_connections)
            killer.start()
            try:
                for attempt in attempts:
                    post(client, headers, attempt)
            finally:
                writing.clear()
                killer.join(10)
            refused = [a for a in attempts if a.status != 201]
            first_answers = {a.key: a.answer for a in attempts if a.status == 201}
            for attempt in refused:
                post(client, headers, attempt)
            for attempt in attempts:
                if attempt.key in first_answers:
                    post(client, headers, attempt)  # a retry of an acknowledged order
            health = client.get("/orders", params={"limit": 1}, headers=headers)
    finally:
        admin.dispose()

    assert killed[0] > 0, "no connection of the API was killed"
    assert refused, "every order got through: the fault was not injected mid-write"
    assert health.status_code == 200
    for attempt in attempts:
        assert attempt.status == 201, (attempt.key, attempt.status, attempt.answer)
    for key, answer in first_answers.items():
        retried = next(a for a in attempts if a.key == key)
        assert retried.answer == answer
    with committed_db.sessions() as session:
        stored = dict(
            session.execute(
                select(Order.reference, func.count())
                .where(Order.reference.like("KILL-%"))
                .group_by(Order.reference)
            ).all()
        )
        ids = {
            o.reference: o.id
            for o in session.scalars(select(Order).where(Order.reference.like("KILL-%")))
        }
    assert stored == {f"KILL-{k}": 1 for k in range(ORDERS)}
    for attempt in attempts:
        assert attempt.answer["id"] == ids[attempt.body["reference"]]
