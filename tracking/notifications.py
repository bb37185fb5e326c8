"""Messages to customers about their order, queued in the outbox in the caller's transaction.

The row is written with the business change that causes it, so a rolled-back change sends
nothing and a committed one is never lost: the sender (`tracking.delivery`) delivers it later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from infra.db import add_session_info
from infra.models import DeliveryStatus, NotificationOutbox, Order
from infra.settings import NotificationSettings

# Template codes: the one list of messages; `tracking.delivery.messages` holds their texts.
PLAN_PUBLISHED = "plan_published"
OUT_FOR_DELIVERY = "order_out_for_delivery"
ETA_CHANGED = "eta_changed"
COURIER_ON_THE_WAY = "courier_on_the_way"
DELIVERED = "order_delivered"
DELIVERY_FAILED = "delivery_failed"
PICKED_UP = "return_picked_up"
HELD = "order_held"
COMPLAINT_ANSWERED = "complaint_answered"
RETURN_SCHEDULED = "return_scheduled"
COMPENSATION_ISSUED = "compensation_issued"
REDELIVERY_BOOKED = "redelivery_booked"
COLLECTION_CHOSEN = "collection_chosen"
TEMPLATE_CODES = frozenset(
    {
        PLAN_PUBLISHED,
        OUT_FOR_DELIVERY,
        ETA_CHANGED,
        COURIER_ON_THE_WAY,
        DELIVERED,
        DELIVERY_FAILED,
        PICKED_UP,
        HELD,
        COMPLAINT_ANSWERED,
        RETURN_SCHEDULED,
        COMPENSATION_ISSUED,
        REDELIVERY_BOOKED,
        COLLECTION_CHOSEN,
    }
)

EMAIL, SMS, WEBHOOK = "email", "sms", "webhook"
# The recipient of the shop's copies: the webhook URL is configuration, not part of a message.
SHOP = "shop"
# Set in a session's `info` (by the entry point's session factory) when a shop webhook is
# configured: every customer message is then queued a second time for the shop.
SHOP_COPY_INFO_KEY = "sameday.notifications.shop_copy"
MAX_PAGE = 200

# (start, end) of a time window; start == end means "at about" that time.
Window = tuple[datetime, datetime]
# An order served outside all of its windows (allowed late by a replan) is told the planned
# time rounded to this, so that a republish moving it by a minute is not news.
_ROUNDING = timedelta(minutes=15)


def enable_shop_copies(sessions: sessionmaker[Session], settings: NotificationSettings) -> None:
    """Makes the sessions of `sessions` queue shop copies when a webhook URL is configured."""
    add_session_info(sessions, SHOP_COPY_INFO_KEY, bool(settings.webhook_url))


def notify_customer(
    session: Session,
    order: Order,
    template_code: str,
    *,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> NotificationOutbox | None:
    """Queues one message to the customer by e-mail, else SMS, and returns it.

    An order with neither contact gets none. With a shop webhook configured (see
    `enable_shop_copies`), the same message is also queued for the shop, even without a
    customer contact: the shop may reach its customer in ways we do not know.
    """
    payload = {
        "tracking_code": order.tracking_code,
        "reference": order.reference,
        "service_date": order.service_date.isoformat(),
        **(details or {}),
    }
    if session.info.get(SHOP_COPY_INFO_KEY):
        session.add(_row(order, WEBHOOK, SHOP, template_code, payload, now))
    if order.recipient_email:
        channel, recipient = EMAIL, order.recipient_email
    elif order.recipient_phone:
        channel, recipient = SMS, order.recipient_phone
    else:
        return None
    row = _row(order, channel, recipient, template_code, payload, now)
    session.add(row)
    return row


def notify_eta_changed(
    session: Session, order: Order, old_window: Window, new_window: Window, now: datetime
) -> NotificationOutbox | None:
    """Tells the customer their expected delivery time moved from `old_window` to
    `new_window` (instants; start == end for a single expected time)."""
    details = {
        "old_window": _window_json(old_window),
        "new_window": _window_json(new_window),
    }
    return notify_customer(session, order, ETA_CHANGED, now=now, details=details)


def notify_window(
    session: Session, order: Order, window: Window | None, *, now: datetime
) -> NotificationOutbox | None:
    """Tells the customer when their order is planned (None: some time that day)."""
    details = {"window": _window_json(window) if window else None}
    return notify_customer(session, order, PLAN_PUBLISHED, now=now, details=details)


def planned_window(order: Order, service_start_at: datetime) -> Window | None:
    """The window a customer is told for a visit planned to start at `service_start_at`.

    That is the promised window the visit falls in: the plan chose it among the customer's
    windows, and it stays the same while the plan only shifts the visit by minutes. An order
    without windows may come any time that day (None); one planned outside its windows is
    told the planned time, rounded.
    """
    if not order.windows:
        return None
    for window in order.windows:
        if window.starts_at <= service_start_at <= window.ends_at:
            return window.starts_at, window.ends_at
    epoch = datetime(2000, 1, 1, tzinfo=service_start_at.tzinfo)
    slots = round((service_start_at - epoch) / _ROUNDING)
    at = epoch + slots * _ROUNDING
    return at, at


def list_notifications(
    session: Session,
    *,
    status: DeliveryStatus | None = None,
    order_id: int | None = None,
    depot_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[NotificationOutbox]:
    """Outbox rows, newest first."""
    query = (
        select(NotificationOutbox)
        .order_by(NotificationOutbox.id.desc())
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    )
    if status is not None:
        query = query.where(NotificationOutbox.status == status)
    if order_id is not None:
        query = query.where(NotificationOutbox.order_id == order_id)
    if depot_id is not None:
        query = query.join(Order, Order.id == NotificationOutbox.order_id).where(
            Order.depot_id == depot_id
        )
    return list(session.scalars(query))


def window_of_json(value: Iterable[str] | None) -> Window | None:
    """The window stored in a payload by `notify_window` or `notify_eta_changed`."""
    if value is None:
        return None
    start, end = (datetime.fromisoformat(v) for v in value)
    return start, end


def _window_json(window: Window) -> list[str]:
    # In UTC like every stored instant; the sender shows them in the operation's zone.
    return [window[0].astimezone(UTC).isoformat(), window[1].astimezone(UTC).isoformat()]


def _row(
    order: Order,
    channel: str,
    recipient: str,
    template_code: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> NotificationOutbox:
    return NotificationOutbox(
        order_id=order.id,
        channel=channel,
        recipient=recipient,
        template_code=template_code,
        payload=dict(payload),
        created_at=now,
        status=DeliveryStatus.PENDING,
        attempts=0,
    )
