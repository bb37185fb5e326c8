"""Compensation through the API: measured from stop events, issued once, never when excluded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from infra.models import Compensation, NotificationOutbox, Role
from tests.api.test_stop_events_api import event, post
from tests.factories import auth_headers, make_user
from tests.tracking.routes import START, make_tracked_route


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def compensations(session, order_id: int) -> list[Compensation]:
    return list(session.scalars(select(Compensation).where(Compensation.order_id == order_id)))


def test_a_late_delivery_earns_bonus_points_once_even_when_the_event_is_replayed(
    client, session, settings, clock
):
    # Window 9-12; delivered at 13:00, an hour past its end.
    setup = make_tracked_route(session, window_h=(9, 12))
    clock.now = START + timedelta(hours=4, minutes=5)
    stop, order = setup.stops[0], setup.orders[0]
    post(client, settings, setup.user, stop.id, event("arrived", "a1", minutes=235))
    delivered = event("delivered", "d1", minutes=240, recipient_name="Ada Lovelace")

    assert post(client, settings, setup.user, stop.id, delivered).status_code == 201
    assert post(client, settings, setup.user, stop.id, delivered).status_code == 200

    [issued] = compensations(session, order.id)
    assert (issued.rule, issued.kind.value, issued.points) == ("late", "bonus_points", 100)
    told = session.scalars(
        select(NotificationOutbox).where(NotificationOutbox.template_code == "compensation_issued")
    ).all()
    assert len(told) == 1
    page = client.get(f"/track/{order.tracking_code}").json()
    assert [c["points"] for c in page["compensations"]] == [100]


def test_a_delivery_inside_the_window_earns_nothing(client, session, settings, clock):
    setup = make_tracked_route(session, window_h=(9, 12))
    clock.now = START + timedelta(hours=1)
    stop = setup.stops[0]
    post(client, settings, setup.user, stop.id, event("arrived", "a1"))
    post(client, settings, setup.user, stop.id, event("delivered", "d1", recipient_name="Ada"))

    assert compensations(session, setup.orders[0].id) == []


def test_a_failed_attempt_of_ours_earns_a_discount_and_one_by_the_customer_never(
    client, session, settings, clock
):
    setup = make_tracked_route(session, window_h=(9, 10))
    clock.now = START + timedelta(hours=3)
    ours, theirs = setup.stops[0], setup.stops[1]
    late_failure = {"minutes": 120}

    post(
        client,
        settings,
        setup.user,
        ours.id,
        event("failed", "f1", failure_reason="damaged", **late_failure),
    )
    post(
        client,
        settings,
        setup.user,
        theirs.id,
        event("failed", "f2", failure_reason="not_at_home", **late_failure),
    )

    [discount] = compensations(session, setup.orders[0].id)
    assert (discount.rule, discount.amount_cents) == ("damaged", 1000)
    assert discount.discount_code is not None
    assert compensations(session, setup.orders[1].id) == []


def test_a_dispatcher_issues_and_voids_by_hand_and_the_ledger_books_both(
    client, session, dispatcher
):
    setup = make_tracked_route(session)
    order = setup.orders[0]

    issued = client.post(
        f"/orders/{order.id}/compensations",
        json={"kind": "discount_code", "amount_cents": 700, "reason": "goodwill"},
        headers=dispatcher,
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()["customer_key"]
    voided = client.post(
        f"/compensations/{issued.json()['id']}/void",
        json={"reason": "issued twice by mistake"},
        headers=dispatcher,
    )
    again = client.post(
        f"/compensations/{issued.json()['id']}/void", json={"reason": "x"}, headers=dispatcher
    )

    assert voided.json()["status"] == "voided"
    assert again.status_code == 409
    ledger = client.get(f"/customers/{key}/ledger", headers=dispatcher).json()
    assert [e["amount_cents"] for e in ledger["entries"]] == [700, -700]
    assert ledger["amount_cents"] == 0
    assert client.get(f"/track/{order.tracking_code}").json()["compensations"] == []
