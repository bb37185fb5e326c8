"""Returns through the API: a pickup planned by the real planner, picked up and received."""

from __future__ import annotations

from datetime import timedelta

import pytest

import routing
from dispatch import plans
from dispatch.problem_builder import PlanScope, build_problem
from infra.models import (
    Hold,
    HoldReason,
    HoldStatus,
    Order,
    OrderKind,
    OrderStatus,
    PlanStatus,
    Role,
    RouteStatus,
    User,
)
from tests.api.test_stop_events_api import post
from tests.factories import (
    DAY,
    ZONE,
    auth_headers,
    make_batch,
    make_courier,
    make_depot,
    make_shift,
    make_stock_order,
    make_user,
    make_vehicle,
    make_zone,
)
from warehouse import stock


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def test_a_return_is_planned_picked_up_and_received_holding_its_batch_for_a_defect(
    client, session, settings, clock, dispatcher
):
    depot = make_depot(session, lat=52.52, lng=13.405)
    batch = make_batch(session, make_zone(session, depot), quantity=5)
    order = make_stock_order(session, depot=depot, quantity=1, lat=52.51, lng=13.39)
    stock.allocate_order(session, order.id, now=clock.now)
    order.status = OrderStatus.DELIVERED
    vehicle = make_vehicle(session, depot_id=depot.id)
    courier = make_courier(session, depot_id=depot.id)
    make_shift(session, courier, day=DAY, hours=(8, 18), vehicle=vehicle)
    session.flush()

    asked = client.post(
        f"/orders/{order.id}/returns", json={"reason": "faulty_goods"}, headers=dispatcher
    )
    assert asked.status_code == 201, asked.text
    returned = asked.json()
    assert returned["batch_id"] == batch.id
    pickup = session.get(Order, returned["pickup_order_id"])
    assert pickup is not None
    assert pickup.kind is OrderKind.PICKUP
    early = client.post(f"/returns/{returned['id']}/receive", json={}, headers=dispatcher)
    assert early.status_code == 409

    built = build_problem(session, PlanScope(DAY, depot.id), zone=ZONE)
    solution = routing.solve(built.problem, time_limit_s=1)
    assert routing.validate(built.problem, solution) == []
    plan = plans.store_plan(session, built, solution, depot_id=depot.id, created_by_id=None)
    [route] = plan.routes
    [stop] = [s for s in route.stops if s.order_id == pickup.id]
    plan.status = PlanStatus.PUBLISHED
    route.courier_id, route.status = courier.id, RouteStatus.DEPARTED
    route.departed_at = clock.now
    session.flush()
    courier_user = session.get(User, courier.user_id)
    at = clock.now + timedelta(minutes=30)
    clock.now = at + timedelta(minutes=10)
    for kind, k in (("arrived", 0), ("pickup_done", 5)):
        body = {
            "client_event_id": f"{kind}-1",
            "kind": kind,
            "occurred_at": (at + timedelta(minutes=k)).isoformat(),
        }
        assert post(client, settings, courier_user, stop.id, body).status_code == 201

    received = client.post(
        f"/returns/{returned['id']}/receive", json={"defect": True}, headers=dispatcher
    )

    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    hold = session.get(Hold, received.json()["hold_id"])
    assert hold is not None
    assert (hold.batch_id, hold.reason, hold.status) == (
        batch.id,
        HoldReason.DEFECT,
        HoldStatus.ACTIVE,
    )


def test_only_a_delivered_order_can_be_returned(client, session, dispatcher):
    depot = make_depot(session)
    order = make_stock_order(session, depot=depot)

    response = client.post(
        f"/orders/{order.id}/returns", json={"reason": "wrong_item"}, headers=dispatcher
    )

    assert response.status_code == 409
    assert response.json()["code"] == "return_not_allowed"
