"""Holds through the API: excursions, re-allocation, release, return to supplier, placement."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.models import (
    Depot,
    NotificationOutbox,
    Order,
    OrderStatus,
    PlanUnserved,
    Role,
    StorageMode,
    StorageZone,
)
from tests.factories import (
    DAY,
    ZONE,
    auth_headers,
    make_batch,
    make_courier,
    make_published_route,
    make_stock_order,
    make_user,
    make_vehicle,
    make_zone,
)


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def allocate(client: TestClient, headers: dict[str, str], order: Order) -> Any:
    response = client.post(f"/orders/{order.id}/allocation", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def readings(*pairs: tuple[int, float]) -> dict[str, Any]:
    start = datetime.combine(DAY, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=7)
    return {
        "readings": [
            {"measured_at": (start + timedelta(minutes=m)).isoformat(), "temperature_c": t}
            for m, t in pairs
        ]
    }


def test_an_excursion_holds_the_zone_batches_and_drops_their_undeparted_stops(
    client, session, dispatcher
):
    zone = make_zone(session)
    batch = make_batch(session, zone)
    depot_id = zone.depot_id
    order = make_stock_order(session, depot=_depot(session, depot_id))
    other = make_stock_order(session, depot=_depot(session, depot_id), sku="BREAD")
    allocate(client, dispatcher, order)
    route = make_published_route(
        session, vehicle=make_vehicle(session), courier=make_courier(session), orders=[order, other]
    )

    response = client.post(
        f"/storage-zones/{zone.id}/readings",
        json=readings((0, 9.5), (15, 9.8), (30, 10.1)),
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stored"] == 3
    [effects] = body["holds"]
    assert effects["hold"]["batch_id"] == batch.id
    assert effects["hold"]["reason"] == "temperature_excursion"
    assert effects["held_order_ids"] == [order.id]
    assert effects["removed_stops"][0]["reason_text"].startswith(f"batch {batch.lot_number}")
    route_body = client.get(f"/routes/{route.id}", headers=dispatcher).json()
    assert [s["order_id"] for s in route_body["stops"]] == [other.id]
    assert route_body["stops"][0]["sequence"] == 1
    session.expire_all()
    assert session.get(Order, order.id).status is OrderStatus.HELD
    unserved = session.scalar(select(PlanUnserved).where(PlanUnserved.order_id == order.id))
    assert unserved.reason_code == "order_held"
    outbox = session.scalar(
        select(NotificationOutbox).where(NotificationOutbox.template_code == "order_held")
    )
    assert outbox.recipient == "ada@example.org"
    removals = client.get(f"/stop-removals?route_id={route.id}", headers=dispatcher).json()
    assert removals[0]["order_id"] == order.id


def _depot(session: Session, depot_id: int) -> Depot:
    return session.get_one(Depot, depot_id)


def test_a_short_excursion_within_the_grace_period_holds_nothing(client, session, dispatcher):
    zone = make_zone(session)
    make_batch(session, zone)

    response = client.post(
        f"/storage-zones/{zone.id}/readings",
        json=readings((0, 9.5), (10, 5.0), (20, 9.0)),
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    assert response.json()["holds"] == []


def test_repeated_readings_are_stored_once(client, session, dispatcher):
    zone = make_zone(session)
    payload = readings((0, 4.0), (5, 4.2))
    client.post(f"/storage-zones/{zone.id}/readings", json=payload, headers=dispatcher)

    response = client.post(f"/storage-zones/{zone.id}/readings", json=payload, headers=dispatcher)

    assert response.json()["stored"] == 0
    assert response.json()["duplicates"] == 2


def test_a_hold_keeps_an_order_when_another_batch_has_stock(client, session, dispatcher):
    zone = make_zone(session)
    first = make_batch(session, zone, expires_on=DAY + timedelta(days=2))
    second = make_batch(session, zone, expires_on=DAY + timedelta(days=5))
    order = make_stock_order(session, depot=_depot(session, zone.depot_id))
    [allocation] = allocate(client, dispatcher, order)
    assert allocation["batch_id"] == first.id

    response = client.post(
        f"/batches/{first.id}/holds",
        json={"reason": "defect", "note": "dented cartons"},
        headers=dispatcher,
    )

    assert response.status_code == 201, response.text
    assert response.json()["reallocated_order_ids"] == [order.id]
    assert response.json()["held_order_ids"] == []
    session.expire_all()
    assert session.get(Order, order.id).status is OrderStatus.PLANNABLE
    assert client.get(f"/batches/{second.id}", headers=dispatcher).json()["available"] == 8
    assert client.get(f"/batches/{first.id}", headers=dispatcher).json()["on_hold"] is True


def test_release_makes_the_held_order_plannable_again(client, session, dispatcher):
    zone = make_zone(session)
    batch = make_batch(session, zone)
    order = make_stock_order(session, depot=_depot(session, zone.depot_id))
    allocate(client, dispatcher, order)
    hold = client.post(
        f"/batches/{batch.id}/holds", json={"reason": "manual"}, headers=dispatcher
    ).json()["hold"]

    response = client.post(
        f"/holds/{hold['id']}/release", json={"note": "checked, fine"}, headers=dispatcher
    )

    assert response.status_code == 200, response.text
    assert response.json()["plannable_order_ids"] == [order.id]
    session.expire_all()
    assert session.get(Order, order.id).status is OrderStatus.PLANNABLE
    detail = client.get(f"/holds/{hold['id']}", headers=dispatcher).json()
    assert [e["kind"] for e in detail["events"]] == ["placed", "released"]
    again = client.post(f"/holds/{hold['id']}/release", json={}, headers=dispatcher)
    assert again.status_code == 409
    assert again.json()["code"] == "hold_not_active"


def test_return_to_supplier_writes_the_stock_off(client, session, dispatcher):
    zone = make_zone(session)
    batch = make_batch(session, zone, quantity=10)
    order = make_stock_order(session, depot=_depot(session, zone.depot_id))
    allocate(client, dispatcher, order)
    hold = client.post(
        f"/batches/{batch.id}/holds", json={"reason": "defect"}, headers=dispatcher
    ).json()["hold"]

    response = client.post(
        f"/holds/{hold['id']}/return",
        json={"reason": "leaking cartons", "quantity": 10},
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["supplier_return"]["quantity"] == 10
    assert body["hold"]["status"] == "returned"
    assert body["held_order_ids"] == [order.id]
    state = client.get(f"/batches/{batch.id}", headers=dispatcher).json()
    assert state["written_off_quantity"] == 10
    assert state["available"] == 0


def test_returning_more_than_is_left_is_refused_with_the_field(client, session, dispatcher):
    batch = make_batch(session, make_zone(session), quantity=3)
    hold = client.post(
        f"/batches/{batch.id}/holds", json={"reason": "defect"}, headers=dispatcher
    ).json()["hold"]

    response = client.post(
        f"/holds/{hold['id']}/return", json={"reason": "x", "quantity": 4}, headers=dispatcher
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "quantity"


def test_allocation_never_uses_a_held_batch(client, session, dispatcher):
    zone = make_zone(session)
    batch = make_batch(session, zone)
    client.post(f"/batches/{batch.id}/holds", json={"reason": "manual"}, headers=dispatcher)
    order = make_stock_order(session, depot=_depot(session, zone.depot_id))

    response = client.post(f"/orders/{order.id}/allocation", headers=dispatcher)

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"


def batch_payload(zone: StorageZone, **overrides: Any) -> dict[str, Any]:
    payload = {
        "zone_id": zone.id,
        "sku": "BLEACH",
        "lot_number": "L-77",
        "supplier": "Clean Co",
        "quantity": 5,
        "expires_on": "2026-01-01",
        "storage_mode": "chilled",
        "compatibility_group": "chemicals",
    }
    return payload | overrides


def test_placing_an_incompatible_batch_is_refused(client, session, dispatcher):
    zone = make_zone(session)
    make_batch(session, zone, compatibility_group="food")

    response = client.post("/batches", json=batch_payload(zone), headers=dispatcher)

    assert response.status_code == 409
    assert response.json()["code"] == "incompatible_neighbour"
    assert response.json()["field"] == "compatibility_group"


def test_an_incompatible_batch_recorded_after_the_fact_holds_both(client, session, dispatcher):
    zone = make_zone(session)
    food = make_batch(session, zone, compatibility_group="food")

    response = client.post(
        "/batches", json=batch_payload(zone, already_placed=True), headers=dispatcher
    )

    assert response.status_code == 201, response.text
    held = {h["hold"]["batch_id"] for h in response.json()["holds"]}
    assert held == {food.id, response.json()["batch"]["id"]}


def test_a_batch_in_a_zone_of_another_storage_mode_is_refused(client, session, dispatcher):
    zone = make_zone(session, storage_mode=StorageMode.AMBIENT)

    response = client.post(
        "/batches", json=batch_payload(zone, compatibility_group=None), headers=dispatcher
    )

    assert response.status_code == 409
    assert response.json()["code"] == "wrong_storage_mode"


def test_couriers_may_not_place_holds(client, session, settings):
    batch = make_batch(session, make_zone(session))
    courier = auth_headers(settings, make_user(session, role=Role.COURIER))

    response = client.post(f"/batches/{batch.id}/holds", json={"reason": "manual"}, headers=courier)

    assert response.status_code == 403
