"""Inspections and the departure gate through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from infra.models import OrderStatus, PlanStatus, Role, User, VehicleStatus
from infra.settings import Settings
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
from warehouse.rules import DEFAULT_CHECKLIST

PLAIN_ITEMS = [i.code for i in DEFAULT_CHECKLIST if not i.refrigerated_only]


def items(*failed: str) -> list[dict[str, Any]]:
    return [
        {"code": code, "passed": code not in failed, "note": "broken" if code in failed else None}
        for code in PLAIN_ITEMS
    ]


def inspect(
    client: TestClient, headers: dict[str, str], vehicle_id: int, *failed: str, km: int = 1000
) -> Any:
    return client.post(
        f"/vehicles/{vehicle_id}/inspections",
        json={"day": DAY.isoformat(), "odometer_km": km, "items": items(*failed)},
        headers=headers,
    )


@pytest.fixture
def day_setup(session, settings: Settings):
    user = make_user(session, role=Role.COURIER)
    courier = make_courier(session, user=user)
    vehicle = make_vehicle(session, code="V-12")
    make_shift(session, courier, vehicle=vehicle)
    order = make_order(session)
    route = make_published_route(session, vehicle=vehicle, courier=courier, orders=[order])
    return {
        "courier": auth_headers(settings, user),
        "dispatcher": auth_headers(settings, make_user(session, role=Role.DISPATCHER)),
        "vehicle": vehicle,
        "route": route,
        "order": order,
    }


def test_departure_is_refused_without_todays_inspection(client, day_setup):
    response = client.post(f"/routes/{day_setup['route'].id}/depart", headers=day_setup["courier"])

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "inspection_missing"
    assert response.json()["detail"] == f"vehicle V-12 has no passed inspection on {DAY}"


def test_departure_follows_a_critical_failure_a_repair_and_a_passing_inspection(
    client, session, day_setup
):
    courier, dispatcher = day_setup["courier"], day_setup["dispatcher"]
    vehicle, route = day_setup["vehicle"], day_setup["route"]

    failed = inspect(client, courier, vehicle.id, "brakes")
    assert failed.status_code == 201, failed.text
    assert failed.json()["critical_failed"] is True
    refused = client.post(f"/routes/{route.id}/depart", headers=courier)
    assert refused.json()["code"] == "vehicle_out_of_service"

    repair = client.post(
        f"/vehicles/{vehicle.id}/repairs",
        json={"note": "brake pads replaced", "inspection_id": failed.json()["id"]},
        headers=dispatcher,
    )
    assert repair.status_code == 201, repair.text
    after_repair = client.post(f"/routes/{route.id}/depart", headers=courier)
    assert after_repair.json()["code"] == "inspection_failed"

    assert inspect(client, courier, vehicle.id, km=1001).status_code == 201
    departed = client.post(f"/routes/{route.id}/depart", headers=courier)

    assert departed.status_code == 200, departed.text
    assert departed.json()["status"] == "departed"
    session.expire_all()
    assert day_setup["order"].status is OrderStatus.OUT_FOR_DELIVERY


def test_a_failed_critical_item_puts_the_vehicle_out_of_service(client, session, day_setup):
    inspect(client, day_setup["courier"], day_setup["vehicle"].id, "lights")

    session.expire_all()
    assert day_setup["vehicle"].status is VehicleStatus.OUT_OF_SERVICE


def test_a_failed_non_critical_item_is_a_defect_that_allows_departure(client, day_setup):
    response = inspect(client, day_setup["courier"], day_setup["vehicle"].id, "mirrors")

    assert response.json()["passed"] is True
    departed = client.post(f"/routes/{day_setup['route'].id}/depart", headers=day_setup["courier"])
    assert departed.status_code == 200, departed.text


def test_a_courier_cannot_inspect_another_couriers_vehicle(client, session, settings, day_setup):
    stranger = auth_headers(settings, _user(session))

    response = inspect(client, stranger, day_setup["vehicle"].id)

    assert response.status_code == 404


def _user(session: Session) -> User:
    user = make_user(session, role=Role.COURIER)
    make_courier(session, user=user)
    return user


def test_a_courier_cannot_depart_another_couriers_route(client, session, settings, day_setup):
    inspect(client, day_setup["courier"], day_setup["vehicle"].id)
    stranger = auth_headers(settings, _user(session))

    response = client.post(f"/routes/{day_setup['route'].id}/depart", headers=stranger)

    assert response.status_code == 404


def test_departure_of_an_unpublished_plan_is_refused(client, session, day_setup):
    day_setup["route"].plan.status = PlanStatus.DRAFT
    session.flush()
    inspect(client, day_setup["courier"], day_setup["vehicle"].id)

    response = client.post(f"/routes/{day_setup['route'].id}/depart", headers=day_setup["courier"])

    assert response.json()["code"] == "plan_not_published"


def test_an_incomplete_checklist_is_refused_with_the_missing_item(client, day_setup):
    response = client.post(
        f"/vehicles/{day_setup['vehicle'].id}/inspections",
        json={"odometer_km": 5, "items": [{"code": "brakes", "passed": True}]},
        headers=day_setup["courier"],
    )

    assert response.status_code == 422
    assert {"field": "items", "reason": "lacks checklist item 'tyres'"} in response.json()["errors"]


def test_a_correction_is_a_new_log_referring_to_the_old(client, day_setup):
    vehicle = day_setup["vehicle"]
    first = inspect(client, day_setup["courier"], vehicle.id, "mirrors").json()

    correction = client.post(
        f"/vehicles/{vehicle.id}/inspections",
        json={
            "day": DAY.isoformat(),
            "odometer_km": 1000,
            "items": items(),
            "corrects_inspection_id": first["id"],
        },
        headers=day_setup["courier"],
    )

    assert correction.status_code == 201, correction.text
    logs = client.get(f"/vehicles/{vehicle.id}/inspections", headers=day_setup["dispatcher"])
    assert [log["corrects_id"] for log in logs.json()] == [None, first["id"]]


def test_a_template_sets_the_checklist_of_its_vehicle_type(client, day_setup):
    template = client.post(
        "/inspection-templates",
        json={
            "vehicle_type": "van",
            "items": [{"code": "brakes", "label": "Brakes", "critical": True}],
        },
        headers=day_setup["dispatcher"],
    )
    assert template.status_code == 201, template.text

    checklist = client.get(
        f"/vehicles/{day_setup['vehicle'].id}/checklist", headers=day_setup["courier"]
    )

    assert [i["code"] for i in checklist.json()["items"]] == ["brakes"]


def test_couriers_may_not_define_templates(client, day_setup):
    response = client.post(
        "/inspection-templates",
        json={"vehicle_type": "van", "items": [{"code": "x", "label": "X", "critical": True}]},
        headers=day_setup["courier"],
    )

    assert response.status_code == 403


def test_a_resent_inspection_with_its_idempotency_key_is_logged_once(client, day_setup):
    headers = day_setup["courier"] | {"Idempotency-Key": "check-7f3a"}
    body = {"day": DAY.isoformat(), "odometer_km": 1000, "items": items()}
    vehicle_id = day_setup["vehicle"].id

    first = client.post(f"/vehicles/{vehicle_id}/inspections", json=body, headers=headers)
    again = client.post(f"/vehicles/{vehicle_id}/inspections", json=body, headers=headers)

    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    logs = client.get(f"/vehicles/{vehicle_id}/inspections", headers=day_setup["courier"]).json()
    assert [log["id"] for log in logs] == [first.json()["id"]]


def test_a_resent_departure_with_its_idempotency_key_gets_the_first_answer(client, day_setup):
    assert inspect(client, day_setup["courier"], day_setup["vehicle"].id).status_code == 201
    route_id = day_setup["route"].id
    headers = day_setup["courier"] | {"Idempotency-Key": "depart-91c2"}

    first = client.post(f"/routes/{route_id}/depart", headers=headers)
    again = client.post(f"/routes/{route_id}/depart", headers=headers)
    without_key = client.post(f"/routes/{route_id}/depart", headers=day_setup["courier"])

    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert without_key.status_code == 409
    assert without_key.json()["code"] == "route_already_departed"


def test_a_refused_departure_is_not_remembered_under_its_key(client, day_setup):
    route_id = day_setup["route"].id
    headers = day_setup["courier"] | {"Idempotency-Key": "depart-5d0e"}

    refused = client.post(f"/routes/{route_id}/depart", headers=headers)
    assert inspect(client, day_setup["courier"], day_setup["vehicle"].id).status_code == 201
    departed = client.post(f"/routes/{route_id}/depart", headers=headers)

    assert refused.status_code == 409
    assert departed.status_code == 200, departed.text
    assert departed.json()["status"] == "departed"
