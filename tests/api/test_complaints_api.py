"""Complaints through the API: customers by code, dispatchers by id, due times and overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from infra.models import Hold, HoldReason, HoldStatus, NotificationOutbox, OrderStatus, Role
from tests.factories import (
    auth_headers,
    make_batch,
    make_depot,
    make_order,
    make_stock_order,
    make_user,
    make_zone,
)
from warehouse import stock


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def complain(client, code: str, category: str = "late", **extra):
    body = {"category": category, "description": "it came two hours late"} | extra
    return client.post(f"/track/{code}/complaints", json=body)


def test_a_complaint_runs_from_open_to_resolved_and_the_customer_reads_the_answer(
    client, session, dispatcher
):
    order = make_order(session, recipient_email="ada@example.org")
    owner = make_user(session, role=Role.DISPATCHER, username="owner-ann")

    opened = complain(client, order.tracking_code, photo_ref="photo-1")
    assert opened.status_code == 201, opened.text
    assert opened.json()["status"] == "open"
    [listed] = client.get(f"/complaints?order_id={order.id}", headers=dispatcher).json()
    complaint_id = listed["id"]
    assert listed["source"] == "customer"
    assert listed["photo_ref"] == "photo-1"

    taken = client.patch(
        f"/complaints/{complaint_id}",
        json={"status": "in_progress", "owner_id": owner.id},
        headers=dispatcher,
    )
    answered = client.patch(
        f"/complaints/{complaint_id}",
        json={"status": "resolved", "response": "Sorry, the van broke down."},
        headers=dispatcher,
    )

    assert taken.status_code == 200, taken.text
    assert answered.json()["status"] == "resolved"
    assert answered.json()["closed_at"] is not None
    page = client.get(f"/track/{order.tracking_code}").json()
    assert page["complaints"] == [
        {
            "category": "late",
            "status": "resolved",
            "response": "Sorry, the van broke down.",
            "created_at": page["complaints"][0]["created_at"],
        }
    ]
    html = client.get(f"/track/{order.tracking_code}", headers={"accept": "text/html"}).text
    assert "Sorry, the van broke down." in html
    assert "owner-ann" not in html
    told = session.scalars(
        select(NotificationOutbox).where(NotificationOutbox.template_code == "complaint_answered")
    ).all()
    assert [n.recipient for n in told] == ["ada@example.org"]


def test_a_closed_complaint_cannot_be_reopened(client, session, dispatcher):
    order = make_order(session)
    created = client.post(
        f"/orders/{order.id}/complaints",
        json={"category": "courier_behaviour", "description": "rude on the phone"},
        headers=dispatcher,
    ).json()
    client.patch(f"/complaints/{created['id']}", json={"status": "rejected"}, headers=dispatcher)

    response = client.patch(
        f"/complaints/{created['id']}", json={"status": "in_progress"}, headers=dispatcher
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_complaint_transition"
    assert (body["current_status"], body["attempted_status"]) == ("rejected", "in_progress")


def test_a_complaint_not_answered_within_its_due_time_is_overdue(
    client, session, clock, dispatcher
):
    order = make_order(session)
    created = client.post(
        f"/orders/{order.id}/complaints",
        json={"category": "missing_item", "description": "one bag missing"},
        headers=dispatcher,
    ).json()
    assert created["overdue"] is False
    assert client.get("/complaints?overdue=true", headers=dispatcher).json() == []

    clock.now += timedelta(hours=24, minutes=1)

    overdue = client.get("/complaints?overdue=true", headers=dispatcher).json()
    assert [c["id"] for c in overdue] == [created["id"]]
    assert overdue[0]["overdue"] is True
    client.patch(f"/complaints/{created['id']}", json={"status": "resolved"}, headers=dispatcher)
    assert client.get("/complaints?overdue=true", headers=dispatcher).json() == []


def test_an_unknown_code_cannot_complain_and_counts_as_a_miss(client, session, settings):
    response = complain(client, "no-such-code")

    assert response.status_code == 404
    assert response.json()["code"] == "tracking_code_unknown"
    for _ in range(settings.tracking.code_misses_allowed):
        complain(client, "still-unknown")
    assert complain(client, make_order(session).tracking_code).status_code == 429


def test_complaints_need_a_dispatcher(client, session, settings):
    courier = auth_headers(settings, make_user(session, role=Role.COURIER))

    assert client.get("/complaints", headers=courier).status_code == 403
    assert client.get("/complaints").status_code == 401


def test_repeated_damage_complaints_hold_their_batch_at_the_threshold(
    client, session, settings, clock
):
    depot = make_depot(session)
    zone = make_zone(session, depot)
    batch = make_batch(session, zone, quantity=20)
    threshold = settings.service.defect_hold_threshold
    codes = []
    for _ in range(threshold):
        order = make_stock_order(session, depot=depot, quantity=1)
        stock.allocate_order(session, order.id, now=clock.now)
        order.status = OrderStatus.DELIVERED
        codes.append(order.tracking_code)
    session.flush()

    def defect_holds() -> list[Hold]:
        return list(
            session.scalars(
                select(Hold).where(Hold.batch_id == batch.id, Hold.reason == HoldReason.DEFECT)
            )
        )

    for code in codes[:-1]:
        assert complain(client, code, "damaged").status_code == 201
        assert complain(client, code, "late").status_code == 201
    assert defect_holds() == []

    assert complain(client, codes[-1], "damaged").status_code == 201
    [hold] = defect_holds()
    assert hold.status is HoldStatus.ACTIVE
    assert hold.placed_by_id is None

    assert complain(client, codes[0], "damaged").status_code == 201
    assert len(defect_holds()) == 1
