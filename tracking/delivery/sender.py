"""The outbox sender: claims due messages with a lease, sends each, records the outcome.

Claiming and recording are short transactions of their own; the send happens between them,
outside any transaction. So a sender that dies after claiming leaves the row leased until the
lease runs out, and then another sender (or itself, restarted) sends it again under the same
outbox id, which receivers use to drop the duplicate. Two live senders never hold the same
row: a claim takes only rows whose lease is free, in one conditional UPDATE (on PostgreSQL its
candidates are picked with FOR UPDATE SKIP LOCKED, so concurrent claims skip each other's rows
instead of queueing behind them; elsewhere the conditional UPDATE alone decides).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from infra import live_events
from infra.models import DeliveryStatus, NotificationOutbox, Order
from tracking.delivery.channels import Channel, Outcome, SendResult, permanent, retry
from tracking.delivery.messages import Message, TemplateError, render

log = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 2000
# The live event telling dispatchers that a message failed for good.
NOTIFICATION_FAILED = "notification_failed"


@dataclass(frozen=True, slots=True)
class SenderConfig:
    zone: ZoneInfo
    lease_s: float = 120.0
    batch_size: int = 20
    max_attempts: int = 8
    backoff_base_s: float = 30.0
    backoff_max_s: float = 3600.0
    public_url: str | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row as claimed: what to send, and the attempt this is (1 for the first)."""

    id: int
    channel: str
    recipient: str
    template_code: str
    payload: Mapping[str, Any]
    order_id: int | None
    created_at: datetime
    attempt: int


@dataclass
class SendCounts:
    claimed: int = 0
    sent: int = 0
    # Failed this time, to be tried again later.
    retrying: int = 0
    failed: int = 0

    def add(self, other: SendCounts) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


def backoff_s(attempt: int, *, base_s: float, max_s: float, rng: random.Random) -> float:
    """The wait after failed attempt `attempt` (1-based): doubling from `base_s`, capped at
    `max_s`, and drawn from its upper half so that messages failing together (a receiver
    down) do not all come back at the same moment."""
    ceiling = min(max_s, base_s * 2.0 ** min(attempt - 1, 60))
    return ceiling * (0.5 + 0.5 * rng.random())


class OutboxSender:
    """Sends due outbox rows through the channel named by each row."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Mapping[str, Channel],
        config: SenderConfig,
        *,
        now: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        owner: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._channels = channels
        self._config = config
        self._now = now or (lambda: datetime.now(UTC))
        self._rng = rng or random.Random()
        self.owner = owner or f"sender-{uuid.uuid4().hex[:12]}"

    def drain(self) -> SendCounts:
        """Sends until no message is due (those failing now wait for their next attempt)."""
        total = SendCounts()
        while True:
            counts = self.send_due()
            total.add(counts)
            if counts.claimed == 0:
                return total

    def send_due(self) -> SendCounts:
        """Claims up to one batch of due messages and sends each."""
        counts = SendCounts()
        for claimed in self.claim():
            counts.claimed += 1
            outcome = self._attempt(claimed)
            if outcome is Outcome.SENT:
                counts.sent += 1
            elif outcome is Outcome.RETRY:
                counts.retrying += 1
            else:
                counts.failed += 1
        return counts

    def claim(self) -> list[Claimed]:
        """Takes the lease of up to a batch of due rows whose lease is free; oldest first."""
        now = self._now()
        table = NotificationOutbox
        with self._sessions() as session, session.begin():
            candidates = (
                select(table.id).where(_due(now)).order_by(table.id).limit(self._config.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                # Locked until this transaction ends; a concurrent claim skips them. Picked in
                # a statement of its own: inside the UPDATE, PostgreSQL may run the subquery
                # again for every row and so claim far more than a batch.
                locked = list(session.scalars(candidates.with_for_update(skip_locked=True)))
                if not locked:
                    return []
                target = table.id.in_(locked)
            else:
                # One statement, so SQLite takes its write lock at once instead of upgrading
                # a read lock, which two concurrent claims could deadlock on.
                target = table.id.in_(candidates.scalar_subquery())
            # The conditions again on the row itself: a row another sender claimed after our
            # candidates were picked no longer matches, so it is not taken twice.
            rows = session.execute(
                update(table)
                .where(target, _due(now))
                .values(
                    lease_owner=self.owner,
                    lease_expires_at=now + timedelta(seconds=self._config.lease_s),
                    # Counted when the attempt starts: a message that kills its sender each
                    # time still runs out of attempts.
                    attempts=table.attempts + 1,
                )
                .returning(
                    table.id,
                    table.channel,
                    table.recipient,
                    table.template_code,
                    table.payload,
                    table.order_id,
                    table.created_at,
                    table.attempts,
                )
                .execution_options(synchronize_session=False)
            ).all()
        claimed = [Claimed(*row) for row in rows]
        return sorted(claimed, key=lambda c: c.id)

    def deliver(self, claimed: Claimed) -> SendResult:
        """Renders the row and sends it through its channel (no database work)."""
        channel = self._channels.get(claimed.channel)
        if channel is None:
            return permanent(f"no channel {claimed.channel!r} is configured")
        try:
            rendered = render(
                claimed.template_code,
                claimed.payload,
                zone=self._config.zone,
                public_url=self._config.public_url,
            )
        except TemplateError as exc:
            return permanent(str(exc))
        message = Message(
            outbox_id=claimed.id,
            channel=claimed.channel,
            recipient=claimed.recipient,
            template_code=claimed.template_code,
            payload=claimed.payload,
            order_id=claimed.order_id,
            created_at=claimed.created_at,
            subject=rendered.subject,
            text=rendered.text,
        )
        return channel.send(message)

    def _attempt(self, claimed: Claimed) -> Outcome:
        if claimed.attempt > self._config.max_attempts:
            # Its last attempt was claimed by a sender that stopped before recording it.
            result = permanent(
                f"{self._config.max_attempts} attempts used up; the sender stopped during the "
                "last one"
            )
        else:
            try:
                result = self.deliver(claimed)
            except Exception as exc:
                # A fault in one channel must not keep the rest of the batch leased; the
                # message counts it as a failed attempt.
                log.exception("sending notification %s failed unexpectedly", claimed.id)
                result = retry(f"unexpected error: {exc!r}")
        return self._record(claimed, result)

    def _record(self, claimed: Claimed, result: SendResult) -> Outcome:
        """Stores the attempt's outcome; returns it, PERMANENT once attempts are used up."""
        now = self._now()
        outcome = result.outcome
        table = NotificationOutbox
        released = {"lease_owner": None, "lease_expires_at": None}
        error = (result.error or "")[:_MAX_ERROR_CHARS] or None
        if result.outcome is Outcome.SENT:
            # Recorded even if the lease ran out meanwhile: the message did arrive, and a
            # sender that took it over sends a copy with the same id, which is dropped.
            values: dict[str, Any] = {"status": DeliveryStatus.SENT, "sent_at": now}
            condition = table.status == DeliveryStatus.PENDING
        else:
            final = (
                result.outcome is Outcome.PERMANENT or claimed.attempt >= self._config.max_attempts
            )
            if final:
                outcome = Outcome.PERMANENT
                values = {"status": DeliveryStatus.FAILED, "failed_at": now}
                log.warning("notification %s failed for good: %s", claimed.id, error)
            else:
                wait_s = backoff_s(
                    claimed.attempt,
                    base_s=self._config.backoff_base_s,
                    max_s=self._config.backoff_max_s,
                    rng=self._rng,
                )
                values = {"next_attempt_at": now + timedelta(seconds=wait_s)}
            values["last_error"] = error
            # A sender that lost its lease leaves the row to the one holding it now.
            condition = and_(
                table.status == DeliveryStatus.PENDING, table.lease_owner == self.owner
            )
        with self._sessions() as session, session.begin():
            updated = session.execute(
                update(table)
                .where(table.id == claimed.id, condition)
                .values(**values, **released)
                .execution_options(synchronize_session=False)
            )
            if outcome is Outcome.PERMANENT and getattr(updated, "rowcount", 0) == 1:
                _alert_dispatchers(session, claimed, attempts=claimed.attempt, error=error)
        return outcome


def _alert_dispatchers(
    session: Session, claimed: Claimed, *, attempts: int, error: str | None
) -> None:
    """A `notification_failed` live event on the day of the message's order, in the
    transaction that marks it failed: the dispatcher page shows it as it happens."""
    order = session.get(Order, claimed.order_id) if claimed.order_id is not None else None
    live_events.record(
        session,
        NOTIFICATION_FAILED,
        {
            "notification_id": claimed.id,
            "template_code": claimed.template_code,
            "channel": claimed.channel,
            "recipient": claimed.recipient,
            "order_id": claimed.order_id,
            "attempts": attempts,
            "last_error": error,
        },
        service_date=order.service_date if order is not None else None,
        depot_id=order.depot_id if order is not None else None,
        order_id=claimed.order_id,
    )


def _due(now: datetime) -> ColumnElement[bool]:
    table = NotificationOutbox
    return and_(
        table.status == DeliveryStatus.PENDING,
        or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now),
        or_(table.lease_expires_at.is_(None), table.lease_expires_at < now),
    )
