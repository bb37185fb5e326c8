"""The order timeline over HTTP: a day driven through the API, read by a dispatcher and by the
customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from infra.models import Role, Stop
from tests.api.test_inspections_api import items
from tests.conftest import Clock
from tests.factories import (
    DAY,
    ZONE,
    auth_headers,
    make_batch,
    make_courier,
    make_depot,
    make_route,
    make_shift,
    make_user,
    make_vehicle,
    make_zone,
    order_payload,
)

# What the driven day writes, in order; the customer sees all but allocation and positions.
DAY_KINDS = [
    "received",
    "allocated",
    "planned",
    "out_for_delivery",
    "positions",
    "arrived",
    "delivered",
    "feedback",
    "complaint_opened",
    "complaint_closed",
    "complaint_answered",
    "compensation_issued",
]


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=ZONE)


@dataclass
class DrivenDay:
    order_id: int
    code: str
    dispatcher: dict[str, str]
    courier: dict[str, str]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def drive_a_day(client: TestClient, session: Session, settings: Any, clock: Clock) -> DrivenDay:
    """Intake, allocation, publication, departure, pings, delivery with proof, feedback, a complaint
    answered and closed, and a compensation: each step through the API."""
    depot = make_depot(session, lat=52.50, lng=13.40)
    vehicle = make_vehicle(session, depot_id=depot.id)
    courier_user = make_user(session, role=Role.COURIER)
    courier = make_courier(session, user=courier_user)
    make_shift(session, courier, vehicle=vehicle, hours=(8, 18))
    dispatcher = auth_headers(settings, make_user(session, role=Role.DISPATCHER))
    as_courier = auth_headers(settings, courier_user)

    clock.now = at(9)
    order = ok(
        client.post("/orders", json=order_payload(depot_id=depot.id), headers=dispatcher), 201
    )
    make_batch(session, make_zone(session, depot), sku="SKU-1")
    ok(client.post(f"/orders/{order['id']}/allocation", headers=dispatcher))
    route = make_route(session, vehicle=vehicle)
    route.stops.append(
        Stop(
            order_id=order["id"],
            sequence=1,
            planned_arrival_at=at(14),
            planned_service_start_at=at(14),
            planned_departure_at=at(14, 5),
            load_weight_g_after=0,
            load_volume_cm3_after=0,
            load_parcels_after=0,
        )
    )
    session.flush()
    clock.now = at(10)
    ok(client.post(f"/plans/{route.plan_id}/publish", headers=dispatcher))

    clock.now = at(13, 30)
    inspection = {"day": DAY.isoformat(), "odometer_km": 1000, "items": items()}
    ok(client.post(f"/vehicles/{vehicle.id}/inspections", json=inspection, headers=as_courier), 201)
    ok(client.post(f"/routes/{route.id}/depart", headers=as_courier))
    for minute, lat in ((35, 52.505), (45, 52.51), (55, 52.5)):
        clock.now = at(13, minute)
        ping = {"device_at": clock.now.isoformat(), "lat": lat, "lng": 13.4}
        ok(client.post("/courier/me/pings", json={"pings": [ping]}, headers=as_courier))
    for minute, kind, proof in (
        (1, "arrived", {}),
        (4, "delivered", {"recipient_name": "Ada Lovelace", "signature_ref": "sig-7"}),
    ):
        clock.now = at(14, minute)
        event = {"client_event_id": kind, "kind": kind, "occurred_at": clock.now.isoformat()}
        ok(
            client.post(
                f"/courier/me/stops/{route.stops[0].id}/events",
                json=event | proof,
                headers=as_courier,
            ),
            201,
        )

    code = order["tracking_code"]
    clock.now = at(15)
    ok(client.post(f"/track/{code}/feedback", json={"rating": 2, "comment": "dented"}), 201)
    complaint = {"category": "damaged", "description": "the box was dented"}
    ok(client.post(f"/track/{code}/complaints", json=complaint), 201)
    [listed] = ok(client.get(f"/complaints?order_id={order['id']}", headers=dispatcher))
    clock.now = at(16)
    answer = {"status": "resolved", "response": "Sorry, we will make up for it."}
    ok(client.patch(f"/complaints/{listed['id']}", json=answer, headers=dispatcher))
    award = {"kind": "bonus_points", "points": 200, "reason": "dented box"}
    ok(
        client.post(f"/orders/{order['id']}/compensations", json=award, headers=dispatcher),
        201,
    )
    return DrivenDay(order["id"], code, dispatcher, as_courier)


@pytest.fixture
def day(client, session, settings, clock) -> DrivenDay:
    return drive_a_day(client, session, settings, clock)


def test_a_day_driven_through_the_api_is_one_timeline_in_order(client, day):
    entries = ok(client.get(f"/orders/{day.order_id}/timeline", headers=day.dispatcher))

    assert [e["kind"] for e in entries] == DAY_KINDS
    times = [e["at"] for e in entries]
    assert times == sorted(times)
    by_kind = {e["kind"]: e for e in entries}
    planned = by_kind["planned"]["payload"]
    assert planned["sequence"] == 1
    assert planned["vehicle_code"]
    assert datetime.fromisoformat(planned["planned_arrival_at"]) == at(14)
    assert by_kind["delivered"]["payload"]["recipient_name"] == "Ada Lovelace"
    assert by_kind["delivered"]["payload"]["signature_ref"] == "sig-7"
    positions = by_kind["positions"]["payload"]
    assert positions["pings"] == 3
    # 0.005 degrees of latitude north, then 0.01 south: about 0.56 + 1.11 km.
    assert 1_600 < positions["distance_m"] < 1_750
    assert by_kind["received"]["actor_id"] is not None
    assert by_kind["compensation_issued"]["payload"]["points"] == 200


def test_the_customer_sees_the_safe_subset_on_the_tracking_page(client, day):
    page = ok(client.get(f"/track/{day.code}"))

    kinds = [m["kind"] for m in page["timeline"]]
    assert kinds == [k for k in DAY_KINDS if k not in ("allocated", "positions")]
    shown = str(page["timeline"])
    for internal in ("route_id", "courier_id", "vehicle_code", "sig-7", "Lovelace", "actor"):
        assert internal not in shown
    html = client.get(f"/track/{day.code}", headers={"Accept": "text/html"}).text
    assert "complaint opened" in html


def test_couriers_and_strangers_may_not_read_a_timeline(client, day):
    as_courier = client.get(f"/orders/{day.order_id}/timeline", headers=day.courier)
    anonymous = client.get(f"/orders/{day.order_id}/timeline")
    unknown = client.get("/orders/999999/timeline", headers=day.dispatcher)

    assert as_courier.status_code == 403
    assert anonymous.status_code == 401
    assert unknown.status_code == 404
