"""Tracking codes cannot be guessed, probed or read for personal data."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from orders.service import TRACKING_CODE_BYTES, new_tracking_code
from tests.api.test_track_page_api import report
from tests.factories import auth_headers
from tests.tracking.routes import START, make_tracked_route

HTML = {"Accept": "text/html"}
# A code that has the form of a real one but belongs to no order, and codes of no valid form.
UNKNOWN = new_tracking_code()
MALFORMED = ["x" * 200, "a%20b", "nul%00byte", "%C3%A9t%C3%A9", "a'or'1'='1"]


def test_a_tracking_code_is_exactly_the_random_bytes_drawn_from_secrets(monkeypatch):
    drawn: list[bytes] = []

    def token_bytes(n: int) -> bytes:
        drawn.append(bytes(range(n)))
        return drawn[-1]

    monkeypatch.setattr("secrets.token_bytes", token_bytes)
    code = new_tracking_code()

    assert TRACKING_CODE_BYTES * 8 >= 80
    assert len(drawn) == 1
    assert len(drawn[0]) == TRACKING_CODE_BYTES
    # Base64url keeps every bit: the code decodes back to the bytes drawn, nothing else.
    assert base64.urlsafe_b64decode(code + "==") == drawn[0]


def test_tracking_codes_fit_the_column_and_do_not_repeat():
    codes = {new_tracking_code() for _ in range(10_000)}

    assert len(codes) == 10_000
    assert {len(code) for code in codes} == {22}


def _headers_of(response) -> dict[str, str]:
    # The request id differs for every request, whatever it asked.
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
        # Each request has a savepoint of its own; its name is the only part that may differ.
        seen.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", statement))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("wrong", MALFORMED)
@pytest.mark.parametrize("headers", [{}, HTML], ids=["json", "html"])
def test_a_wrong_code_and_an_unknown_one_answer_alike_by_the_same_queries(
    client, session, wrong, headers
):
    make_tracked_route(session)
    session.commit()  # what the first request would otherwise do

    with _statements(session) as unknown_queries:
        unknown = client.get(f"/track/{UNKNOWN}", headers=headers)
    with _statements(session) as wrong_queries:
        malformed = client.get(f"/track/{wrong}", headers=headers)

    assert unknown.status_code == malformed.status_code == 404
    assert unknown.content == malformed.content
    assert _headers_of(unknown) == _headers_of(malformed)
    # The same lookup, not a shortcut on the form: the answer takes the same time.
    assert unknown_queries == wrong_queries
    assert any("customer_order" in q for q in unknown_queries)


def test_wrong_codes_count_as_misses_like_unknown_ones(client, settings):
    allowed = settings.tracking.code_misses_allowed

    answers = [client.get(f"/track/{MALFORMED[k % 2]}") for k in range(allowed)]
    blocked = client.get(f"/track/{UNKNOWN}")

    assert {a.status_code for a in answers} == {404}
    assert blocked.status_code == 429


PERSONAL = {
    "recipient_name": "Ada Byron Lovelace",
    "recipient_phone": "+49 30 5550 1234",
    "recipient_email": "ada.lovelace@example.org",
    "address": "Unter den Linden 77, 10117 Berlin",
    "notes": "ring twice, side door",
}
COURIER_NAME = "Grace Hopper"
NEVER_SHOWN = [
    "Lovelace",
    "Byron",
    "5550",
    "ada.lovelace",
    "Unter den Linden",
    "10117",
    "ring twice",
    "Grace",
    "Hopper",
]


@pytest.mark.parametrize("outcome", ["delivered", "failed"])
def test_the_public_page_of_a_finished_order_shows_no_personal_data(
    client, session, settings, clock, outcome
):
    clock.now = START + timedelta(minutes=30)
    setup = make_tracked_route(session, stops=1)
    setup.courier.name = COURIER_NAME
    order = setup.orders[0]
    for name, value in PERSONAL.items():
        setattr(order, name, value)
    session.flush()
    report(client, settings, setup, 0, "arrived")
    if outcome == "delivered":
        report(client, settings, setup, 0, outcome)
    else:
        failed = client.post(
            f"/courier/me/stops/{setup.stops[0].id}/events",
            json={
                "client_event_id": "failed-1",
                "kind": "failed",
                "failure_reason": "not_at_home",
                "occurred_at": (START + timedelta(minutes=20)).isoformat(),
            },
            headers=auth_headers(settings, setup.user),
        )
        assert failed.status_code == 201, failed.text

    as_json = client.get(f"/track/{order.tracking_code}")
    as_html = client.get(f"/track/{order.tracking_code}", headers=HTML)

    assert as_json.status_code == as_html.status_code == 200
    assert as_json.json()["status"] == outcome
    for page in (as_json.text, as_html.text):
        leaked = [value for value in NEVER_SHOWN if value in page]
        assert leaked == [], leaked
