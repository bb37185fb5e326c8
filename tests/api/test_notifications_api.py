"""The notification outbox through the API: who may read it, what the departure gate writes,
the shop's copies, the dispatcher page's panel, and the sender the app runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import TOKEN_COOKIE, issue_token
from infra.models import DeliveryStatus, NotificationOutbox, Order, Role
from infra.settings import Settings
from tests.conftest import DEFAULT_NOW, make_settings
from tests.factories import (
    DAY,
    auth_headers,
    make_courier,
    make_order,
    make_published_route,
    make_shift,
    make_user,
    make_vehicle,
)
from tracking import notifications
from warehouse.rules import DEFAULT_CHECKLIST

AT = datetime(2025, 3, 4, 7, 30, tzinfo=UTC)


def queued(session: Session, order: Order, code: str, *, at: datetime = AT) -> NotificationOutbox:
    row = notifications.notify_customer(session, order, code, now=at)
    assert row is not None
    session.flush()
    return row


def outbox_of(session: Session, order: Order) -> list[NotificationOutbox]:
    query = select(NotificationOutbox).where(NotificationOutbox.order_id == order.id)
    return list(session.scalars(query.order_by(NotificationOutbox.id)))


def test_notifications_are_for_dispatchers_and_admins(client, session, settings):
    courier = make_user(session, role=Role.COURIER)
    admin = make_user(session, role=Role.ADMIN)

    anonymous = client.get("/notifications")
    as_courier = client.get("/notifications", headers=auth_headers(settings, courier))
    as_admin = client.get("/notifications", headers=auth_headers(settings, admin))

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert as_courier.status_code == 403
    assert as_courier.json()["code"] == "role_denied"
    assert as_admin.status_code == 200


def test_dispatchers_list_notifications_newest_first_by_status_order_and_page(
    client, session, settings
):
    headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))
    ada = make_order(session, recipient_email="ada@example.org")
    bob = make_order(session, recipient_phone="+49 30 555")
    first = queued(session, ada, notifications.OUT_FOR_DELIVERY)
    second = queued(session, bob, notifications.OUT_FOR_DELIVERY)
    third = queued(session, ada, notifications.DELIVERED, at=AT + timedelta(hours=2))
    third.status = DeliveryStatus.SENT
    session.flush()

    def ids(**params: Any) -> list[int]:
        response = client.get("/notifications", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [n["id"] for n in response.json()]

    assert ids(order_id=ada.id) == [third.id, first.id]
    assert ids(order_id=ada.id, status="pending") == [first.id]
    assert ids(order_id=bob.id) == [second.id]
    assert ids(order_id=ada.id, limit=1) == [third.id]
    assert ids(order_id=ada.id, limit=1, offset=1) == [first.id]
    [shown] = client.get("/notifications", params={"order_id": bob.id}, headers=headers).json()
    assert shown["channel"] == "sms"
    assert shown["recipient"] == "+49 30 555"
    assert shown["template_code"] == "order_out_for_delivery"
    assert shown["status"] == "pending"
    assert shown["attempts"] == 0
    assert shown["payload"]["tracking_code"] == bob.tracking_code


def test_bad_filters_are_problems(client, session, settings):
    headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))

    for params in ({"status": "lost"}, {"order_id": 0}, {"limit": 100_000}, {"offset": -1}):
        response = client.get("/notifications", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


def test_the_dispatcher_page_lists_the_latest_notifications_with_their_status(
    client, session, settings
):
    user = make_user(session, role=Role.DISPATCHER)
    order = make_order(session, recipient_email="ada@example.org")
    row = queued(session, order, notifications.DELIVERY_FAILED)
    row.status, row.attempts, row.last_error = DeliveryStatus.FAILED, 8, "HTTP 503: down"
    session.flush()
    token, _ = issue_token(settings, user, now=datetime.now(UTC))
    client.cookies.set(TOKEN_COOKIE, token)

    page = client.get("/dispatch", params={"day": DAY.isoformat()})

    assert page.status_code == 200
    assert 'id="notifications"' in page.text
    assert f'data-notification-id="{row.id}" data-status="failed"' in page.text
    assert "delivery_failed" in page.text
    assert "HTTP 503: down" in page.text


def checklist() -> list[dict[str, Any]]:
    return [
        {"code": item.code, "passed": True, "note": None}
        for item in DEFAULT_CHECKLIST
        if not item.refrigerated_only
    ]


def departing_route(session: Session, settings: Settings, orders: list[Order]):
    user = make_user(session, role=Role.COURIER)
    courier = make_courier(session, user=user)
    vehicle = make_vehicle(session)
    make_shift(session, courier, vehicle=vehicle)
    route = make_published_route(session, vehicle=vehicle, courier=courier, orders=orders)
    return route, vehicle, auth_headers(settings, user)


def inspect(client: TestClient, headers: dict[str, str], vehicle_id: int) -> None:
    response = client.post(
        f"/vehicles/{vehicle_id}/inspections",
        json={"day": DAY.isoformat(), "odometer_km": 1000, "items": checklist()},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def test_the_departure_gate_tells_each_customer_once_that_the_order_is_on_its_way(
    client, session, settings
):
    by_mail = make_order(session, recipient_email="ada@example.org")
    by_sms = make_order(session, recipient_phone="+49 30 555")
    unreachable = make_order(session)
    route, vehicle, courier = departing_route(session, settings, [by_mail, by_sms, unreachable])
    inspect(client, courier, vehicle.id)

    departed = client.post(f"/routes/{route.id}/depart", headers=courier)
    again = client.post(f"/routes/{route.id}/depart", headers=courier)
    arrived = client.post(
        f"/courier/me/stops/{route.stops[0].id}/events",
        json={
            "client_event_id": "arrive-1",
            "kind": "arrived",
            "occurred_at": DEFAULT_NOW.isoformat(),
        },
        headers=courier,
    )

    assert departed.status_code == 200, departed.text
    assert again.status_code == 409
    assert arrived.status_code == 201, arrived.text
    [mail] = outbox_of(session, by_mail)
    [sms] = outbox_of(session, by_sms)
    assert (mail.template_code, mail.channel, mail.recipient) == (
        "order_out_for_delivery",
        "email",
        "ada@example.org",
    )
    assert (sms.template_code, sms.channel) == ("order_out_for_delivery", "sms")
    assert outbox_of(session, unreachable) == []


def test_with_a_shop_webhook_every_notice_is_queued_for_the_shop_in_the_same_transaction(
    client, session, settings
):
    session.info[notifications.SHOP_COPY_INFO_KEY] = True
    by_mail = make_order(session, recipient_email="ada@example.org")
    unreachable = make_order(session)
    route, vehicle, courier = departing_route(session, settings, [by_mail, unreachable])

    refused = client.post(f"/routes/{route.id}/depart", headers=courier)  # not inspected yet
    assert refused.status_code == 409
    assert outbox_of(session, by_mail) == []

    inspect(client, courier, vehicle.id)
    assert client.post(f"/routes/{route.id}/depart", headers=courier).status_code == 200

    customer, shop = sorted(outbox_of(session, by_mail), key=lambda r: r.channel)
    assert (customer.channel, customer.recipient) == ("email", "ada@example.org")
    assert (shop.channel, shop.recipient) == ("webhook", "shop")
    assert shop.payload == customer.payload
    assert shop.template_code == customer.template_code
    # The shop hears of it even when we cannot reach the customer.
    assert [(r.channel, r.recipient) for r in outbox_of(session, unreachable)] == [
        ("webhook", "shop")
    ]


def test_an_app_with_a_webhook_url_queues_shop_copies(fresh_database_url):
    settings = make_settings(
        fresh_database_url(),
        notifications={
            "send_in_process": False,
            "webhook_url": "http://127.0.0.1:9/hook",
            "allow_private_webhooks": True,
        },
    )

    app = create_app(settings)

    with app.state.session_factory() as session:
        assert session.info[notifications.SHOP_COPY_INFO_KEY] is True
    app.state.engine.dispose()


def test_the_app_runs_the_sender_in_process_and_stops_it_on_shutdown(committed_db):
    settings = make_settings(
        committed_db.settings.database.url,
        notifications={"send_in_process": True, "poll_s": 0.1},
    )
    with committed_db.sessions() as session, session.begin():
        order = make_order(session, recipient_email="ada@example.org")
        outbox_id = queued(session, order, notifications.DELIVERED, at=datetime.now(UTC)).id
    app = create_app(settings)

    with TestClient(app):
        sender = app.state.notification_sender
        assert sender is not None
        assert sender.alive
        deadline = time.monotonic() + 20
        status = DeliveryStatus.PENDING
        while status is DeliveryStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.1)
            with committed_db.sessions() as session:
                row = session.get(NotificationOutbox, outbox_id)
                assert row is not None
                status = row.status

    assert status is DeliveryStatus.SENT
    assert not sender.alive
