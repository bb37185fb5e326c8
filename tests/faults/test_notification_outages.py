"""Faults: the notification sender not running while events happen; a shop webhook failing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from api.app import create_app
from infra.models import DeliveryStatus, LiveEvent, NotificationOutbox, Role
from tests.factories import auth_headers, make_order, make_user
from tests.tracking.receivers import http_receiver
from tracking import notifications
from tracking.delivery.sender import NOTIFICATION_FAILED, OutboxSender, SenderConfig
from tracking.delivery.webhook import WebhookChannel

ZONE = ZoneInfo("Europe/Berlin")
T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def empty_outbox(committed_db):
    """Senders take every due row: each test starts from an empty outbox."""
    with committed_db.sessions() as session, session.begin():
        session.execute(delete(NotificationOutbox))


def deliveries_happen(committed_db, count: int) -> tuple[list[int], list[int]]:
    """`count` orders delivered, each with its shop copy queued; no sender runs meanwhile."""
    with committed_db.sessions() as session, session.begin():
        session.info[notifications.SHOP_COPY_INFO_KEY] = True
        orders = [make_order(session) for _ in range(count)]
        for order in orders:
            notifications.notify_customer(session, order, notifications.DELIVERED, now=T0)
        session.flush()
        ids = list(session.scalars(select(NotificationOutbox.id).order_by(NotificationOutbox.id)))
        return ids, [o.id for o in orders]


def sender_for(committed_db, url: str, clock: Clock, **config: object) -> OutboxSender:
    # The receiver listens on 127.0.0.1, a target only the development opt-in allows.
    channel = WebhookChannel(url, "shop-secret", timeout_s=5, allow_private=True)
    return OutboxSender(
        committed_db.sessions,
        {"webhook": channel},
        SenderConfig(zone=ZONE, **config),  # type: ignore[arg-type]
        now=clock,
        rng=random.Random(3),
    )


def statuses(committed_db, ids: list[int]) -> list[DeliveryStatus]:
    with committed_db.sessions() as session:
        rows = session.scalars(select(NotificationOutbox).where(NotificationOutbox.id.in_(ids)))
        return [r.status for r in rows]


def test_messages_wait_while_no_sender_runs_and_go_out_once_when_one_starts(committed_db):
    """Fault: the sender is down (not running) while five deliveries happen.

    Pass: the five messages stay pending, none lost; a sender started later sends each exactly
    once (the receiver sees five distinct deliveries), and running it again sends nothing.
    """
    ids, _ = deliveries_happen(committed_db, 5)
    assert len(ids) == 5
    assert statuses(committed_db, ids) == [DeliveryStatus.PENDING] * 5

    clock = Clock()
    clock.now = T0 + timedelta(hours=2)  # the sender comes back two hours later
    with http_receiver() as receiver:
        sender = sender_for(committed_db, receiver.url, clock)
        first = sender.send_due()
        again = sender.send_due()

    assert (first.claimed, first.sent, again.claimed) == (5, 5, 0)
    assert statuses(committed_db, ids) == [DeliveryStatus.SENT] * 5
    delivered = Counter(r.headers["X-Sameday-Delivery"] for r in receiver.requests)
    assert sorted(delivered) == sorted(str(i) for i in ids)
    assert set(delivered.values()) == {1}


def test_a_failing_webhook_backs_off_then_fails_the_message_and_alerts_the_dispatcher(
    committed_db,
):
    """Fault: the shop's webhook answers 503 to every attempt.

    Pass: each failure waits longer (backoff) and the message stays pending until its last
    attempt, then it is `failed` with the error, and one `notification_failed` live event on
    the order's day tells the dispatcher page (which shows it in its notifications panel).
    """
    [outbox_id], [order_id] = deliveries_happen(committed_db, 1)
    clock = Clock()
    waits: list[float] = []
    with http_receiver(statuses=[503] * 4) as receiver:
        sender = sender_for(
            committed_db, receiver.url, clock, max_attempts=4, backoff_base_s=30, backoff_max_s=3600
        )
        for _ in range(3):
            assert sender.send_due().retrying == 1
            with committed_db.sessions() as session:
                row = session.get(NotificationOutbox, outbox_id)
                assert row is not None
                assert row.status is DeliveryStatus.PENDING
                assert row.next_attempt_at is not None
                waits.append((row.next_attempt_at - clock.now).total_seconds())
                clock.now = row.next_attempt_at
            with committed_db.sessions() as session:
                assert not list(
                    session.scalars(select(LiveEvent).where(LiveEvent.kind == NOTIFICATION_FAILED))
                )
        assert sender.send_due().failed == 1

    assert waits == sorted(waits)
    assert waits[-1] > waits[0]
    assert len(receiver.requests) == 4
    with committed_db.sessions() as session:
        row = session.get(NotificationOutbox, outbox_id)
        assert row is not None
        assert row.status is DeliveryStatus.FAILED
        assert "HTTP 503" in (row.last_error or "")
        [alert] = session.scalars(select(LiveEvent).where(LiveEvent.kind == NOTIFICATION_FAILED))
    assert alert.order_id == order_id
    assert alert.payload["notification_id"] == outbox_id
    assert alert.payload["attempts"] == 4
    assert "HTTP 503" in alert.payload["last_error"]
    assert alert.service_date is not None
    # What the dispatcher page's stream of that day carries.
    with TestClient(create_app(committed_db.settings)) as client, committed_db.sessions() as s:
        with s.begin():
            headers = auth_headers(committed_db.settings, make_user(s, role=Role.DISPATCHER))
        stream = client.get(
            "/live/events",
            params={"day": alert.service_date.isoformat(), "after": 0, "max_events": 1},
            headers=headers,
        )
    assert "event: notification_failed" in stream.text
    assert f"id: {alert.id}" in stream.text
