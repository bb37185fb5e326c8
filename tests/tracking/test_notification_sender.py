"""The outbox sender on a committed database, against real local receivers."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from infra.models import DeliveryStatus, NotificationOutbox
from tests.factories import make_order
from tests.tracking.receivers import http_receiver, smtp_receiver
from tracking import notifications
from tracking.delivery import webhook
from tracking.delivery.channels import Channel, LogChannel
from tracking.delivery.sender import OutboxSender, SenderConfig
from tracking.delivery.sms import HttpSmsProvider, SmsChannel
from tracking.delivery.smtp import SmtpChannel
from tracking.delivery.webhook import WebhookChannel

ZONE = ZoneInfo("Europe/Berlin")
SECRET = "shop-shared-secret"
T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def empty_outbox(committed_db):
    """Senders take every due row: each test starts from an empty outbox."""
    with committed_db.sessions() as session, session.begin():
        session.execute(delete(NotificationOutbox))


def queue(committed_db, count: int = 1, *, shop_copy: bool = True, **order) -> list[int]:
    """Delivered notices for `count` new orders; without contact details only the shop's
    webhook copy is queued."""
    with committed_db.sessions() as session, session.begin():
        before = set(session.scalars(select(NotificationOutbox.id)))
        session.info[notifications.SHOP_COPY_INFO_KEY] = shop_copy
        for _ in range(count):
            notifications.notify_customer(
                session, make_order(session, **order), notifications.DELIVERED, now=T0
            )
        session.flush()
        return sorted(set(session.scalars(select(NotificationOutbox.id))) - before)


def row(committed_db, outbox_id: int):
    with committed_db.sessions() as session:
        found = session.get(NotificationOutbox, outbox_id)
        assert found is not None
        return found


def make_sender(committed_db, channels: dict[str, Channel], clock: Clock, **config):
    return OutboxSender(
        committed_db.sessions,
        channels,
        SenderConfig(zone=ZONE, **config),
        now=clock,
        rng=random.Random(7),
    )


def hook(url: str) -> WebhookChannel:
    # The receivers listen on 127.0.0.1, a target only the development opt-in allows.
    return WebhookChannel(url, SECRET, timeout_s=5, allow_private=True)


def test_a_due_message_is_sent_through_its_channel_and_marked_sent(committed_db):
    [outbox_id] = queue(committed_db)
    clock = Clock()
    with http_receiver() as receiver:
        sender = make_sender(committed_db, {"webhook": hook(receiver.url)}, clock)

        counts = sender.drain()

    assert (counts.sent, counts.failed, counts.retrying) == (1, 0, 0)
    sent = row(committed_db, outbox_id)
    assert sent.status is DeliveryStatus.SENT
    assert sent.sent_at == clock.now
    assert sent.attempts == 1
    assert sent.lease_owner is None
    assert receiver.delivery_ids() == [str(outbox_id)]
    document = json.loads(receiver.requests[0].body)
    assert document["event"] == "order_delivered"
    assert document["delivery_id"] == outbox_id
    assert "was delivered" in document["text"]


def test_failures_back_off_exponentially_with_jitter_then_the_message_fails(committed_db):
    [outbox_id] = queue(committed_db)
    clock = Clock()
    with http_receiver(statuses=[503, 503, 503]) as receiver:
        sender = make_sender(
            committed_db,
            {"webhook": hook(receiver.url)},
            clock,
            max_attempts=3,
            backoff_base_s=60,
            backoff_max_s=100,
        )

        assert sender.send_due().retrying == 1
        first = row(committed_db, outbox_id)
        assert first.status is DeliveryStatus.PENDING
        assert first.attempts == 1
        assert "HTTP 503" in (first.last_error or "")
        assert first.lease_owner is None
        assert first.next_attempt_at is not None
        first_wait = (first.next_attempt_at - clock.now).total_seconds()
        assert 30 <= first_wait <= 60

        clock.advance(first_wait - 1)
        assert sender.send_due().claimed == 0  # not due yet

        clock.advance(1)
        assert sender.send_due().retrying == 1
        second = row(committed_db, outbox_id)
        assert second.next_attempt_at is not None
        second_wait = (second.next_attempt_at - clock.now).total_seconds()
        # Doubled to 120 s, capped at 100 s, jittered within its upper half.
        assert 50 <= second_wait <= 100

        clock.advance(second_wait)
        assert sender.send_due().failed == 1

    failed = row(committed_db, outbox_id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.failed_at == clock.now
    assert failed.attempts == 3
    assert "HTTP 503" in (failed.last_error or "")
    assert len(receiver.requests) == 3
    clock.advance(10_000)
    assert sender.send_due().claimed == 0


def test_a_webhook_refusal_fails_the_message_at_once_but_a_throttle_is_retried(committed_db):
    refused, throttled = queue(committed_db, 2)
    clock = Clock()
    with http_receiver(statuses=[400, 429]) as receiver:
        sender = make_sender(committed_db, {"webhook": hook(receiver.url)}, clock)

        counts = sender.send_due()

    assert (counts.failed, counts.retrying) == (1, 1)
    assert row(committed_db, refused).status is DeliveryStatus.FAILED
    assert "HTTP 400" in (row(committed_db, refused).last_error or "")
    assert row(committed_db, refused).attempts == 1
    assert row(committed_db, throttled).status is DeliveryStatus.PENDING


def test_the_shop_verifies_the_signature_and_refuses_a_tampered_or_replayed_body(committed_db):
    [outbox_id] = queue(committed_db)
    clock = Clock()
    with http_receiver() as receiver:
        make_sender(committed_db, {"webhook": hook(receiver.url)}, clock).drain()

    [request] = receiver.requests
    timestamp = request.headers["X-Sameday-Timestamp"]
    signed = request.headers["X-Sameday-Signature"]
    assert signed.startswith("sha256=")
    assert request.headers["X-Sameday-Delivery"] == str(outbox_id)

    def check(body: bytes, *, at: float, secret: str = SECRET) -> bool:
        return webhook.verify(
            secret, timestamp=timestamp, body=body, signature_header=signed, now_s=at
        )

    sent_at = float(timestamp)
    assert check(request.body, at=sent_at + 5)
    assert not check(request.body.replace(b"delivered", b"refused!!"), at=sent_at + 5)
    assert not check(request.body, at=sent_at + 5, secret="another secret")
    # The same request replayed an hour later.
    assert not check(request.body, at=sent_at + 3600)


def test_a_sender_that_dies_after_sending_is_replaced_and_the_duplicate_is_recognisable(
    committed_db,
):
    [outbox_id] = queue(committed_db)
    clock = Clock()
    with http_receiver() as receiver:
        dying = make_sender(committed_db, {"webhook": hook(receiver.url)}, clock, lease_s=60)
        [claimed] = dying.claim()
        dying.deliver(claimed)  # the message arrives, then the process is killed
        other = make_sender(committed_db, {"webhook": hook(receiver.url)}, clock, lease_s=60)

        assert other.send_due().claimed == 0  # the lease still holds
        assert row(committed_db, outbox_id).status is DeliveryStatus.PENDING
        clock.advance(61)
        assert other.send_due().sent == 1

    assert receiver.delivery_ids() == [str(outbox_id), str(outbox_id)]
    # What a receiver keeps after dropping repeated delivery ids.
    assert set(receiver.delivery_ids()) == {str(outbox_id)}
    sent = row(committed_db, outbox_id)
    assert sent.status is DeliveryStatus.SENT
    assert sent.attempts == 2


def test_a_message_whose_sender_died_in_its_last_attempt_fails_instead_of_looping(committed_db):
    [outbox_id] = queue(committed_db)
    clock = Clock()
    sender = make_sender(committed_db, {"webhook": LogChannel()}, clock, max_attempts=1)
    assert len(sender.claim()) == 1  # and then the sender dies

    clock.advance(3600)
    counts = make_sender(committed_db, {"webhook": LogChannel()}, clock, max_attempts=1).drain()

    assert counts.failed == 1
    failed = row(committed_db, outbox_id)
    assert failed.status is DeliveryStatus.FAILED
    assert "stopped during the last one" in (failed.last_error or "")


def test_a_claim_takes_at_most_a_batch_oldest_first_and_leaves_the_rest(committed_db):
    ids = queue(committed_db, 7)
    clock = Clock()
    first = make_sender(committed_db, {}, clock, batch_size=3)
    second = make_sender(committed_db, {}, clock, batch_size=3)

    claims = [first.claim(), second.claim(), first.claim(), second.claim()]

    assert [[c.id for c in claim] for claim in claims] == [ids[0:3], ids[3:6], ids[6:7], []]
    assert row(committed_db, ids[0]).lease_owner == first.owner
    assert row(committed_db, ids[3]).lease_owner == second.owner


def test_two_senders_at_once_never_send_one_message_twice(committed_db):
    ids = queue(committed_db, 40)
    clock = Clock()
    with http_receiver(delay_s=0.01) as receiver:
        senders = [
            make_sender(committed_db, {"webhook": hook(receiver.url)}, clock, batch_size=3)
            for _ in range(2)
        ]
        start = threading.Barrier(2)
        totals = [0, 0]

        def run(k: int) -> None:
            start.wait()
            totals[k] = senders[k].drain().sent

        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    delivered = Counter(receiver.delivery_ids())
    assert sorted(int(i) for i in delivered) == ids
    assert set(delivered.values()) == {1}
    assert sum(totals) == len(ids)
    assert all(totals), totals  # both took part
    with committed_db.sessions() as session:
        statuses = session.scalars(select(NotificationOutbox.status)).all()
    assert set(statuses) == {DeliveryStatus.SENT}


def test_smtp_sends_over_starttls_with_login_and_a_message_id_of_the_outbox_id(
    committed_db, tmp_path
):
    [outbox_id] = queue(committed_db, shop_copy=False, recipient_email="ada@example.org")
    clock = Clock()
    with smtp_receiver(tmp_path) as smtp:
        channel = SmtpChannel(
            "127.0.0.1",
            smtp.port,
            sender="Deliveries <noreply@shop.example>",
            security="starttls",
            username="mailer",
            password="s3cret",
            timeout_s=10,
            tls_context=smtp.client_tls,
        )

        counts = make_sender(committed_db, {"email": channel}, clock).drain()

    assert counts.sent == 1
    assert smtp.logins == ["mailer"]
    [(mail_from, recipients)] = smtp.envelopes
    assert (mail_from, recipients) == ("noreply@shop.example", ["ada@example.org"])
    [email] = smtp.messages
    assert email["Message-ID"] == f"<notification-{outbox_id}@shop.example>"
    assert email["Subject"] == "Your order was delivered"
    assert "was delivered" in email.get_payload()
    assert row(committed_db, outbox_id).status is DeliveryStatus.SENT


def test_smtp_refusing_the_recipient_fails_the_message_and_a_wrong_login_retries(
    committed_db, tmp_path
):
    [refused] = queue(committed_db, shop_copy=False, recipient_email="gone@example.org")
    [later] = queue(committed_db, shop_copy=False, recipient_email="x@example.org")
    clock = Clock()
    with smtp_receiver(tmp_path) as smtp:
        smtp.refuse.add("gone@example.org")

        def channel(password: str) -> SmtpChannel:
            return SmtpChannel(
                "127.0.0.1",
                smtp.port,
                sender="noreply@shop.example",
                username="mailer",
                password=password,
                timeout_s=10,
                tls_context=smtp.client_tls,
            )

        wrong = make_sender(committed_db, {"email": channel("wrong")}, clock).drain()
        assert (wrong.retrying, wrong.sent) == (2, 0)
        clock.advance(3600)
        right = make_sender(committed_db, {"email": channel("s3cret")}, clock).drain()

    assert (right.failed, right.sent) == (1, 1)
    assert row(committed_db, refused).status is DeliveryStatus.FAILED
    assert "550" in (row(committed_db, refused).last_error or "")
    assert row(committed_db, later).status is DeliveryStatus.SENT


def test_sms_goes_to_the_http_provider_with_the_bearer_token_and_the_outbox_id(committed_db):
    [outbox_id] = queue(committed_db, shop_copy=False, recipient_phone="+49 30 1234567")
    clock = Clock()
    with http_receiver() as receiver:
        provider = HttpSmsProvider(receiver.url, "sms-token", sender="SHOP", timeout_s=5)

        counts = make_sender(committed_db, {"sms": SmsChannel(provider)}, clock).drain()

    assert counts.sent == 1
    [request] = receiver.requests
    assert request.headers["Authorization"] == "Bearer sms-token"
    assert request.headers["Idempotency-Key"] == str(outbox_id)
    body = json.loads(request.body)
    assert body["to"] == "+49 30 1234567"
    assert body["from"] == "SHOP"
    assert body["reference"] == str(outbox_id)
    assert "was delivered" in body["text"]
