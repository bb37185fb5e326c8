"""Taking a vehicle out of service after planning queues a replan job, over the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infra.models import PlanJob, ReplanTrigger, Role
from infra.settings import Settings
from tests.api.test_inspections_api import inspect
from tests.factories import (
    DAY,
    auth_headers,
    make_courier,
    make_order,
    make_published_route,
    make_shift,
    make_user,
    make_vehicle,
    order_payload,
)
from warehouse.rules import DEFAULT_CHECKLIST


@pytest.fixture
def planned(session, settings: Settings):
    user = make_user(session, role=Role.COURIER)
    courier = make_courier(session, user=user)
    vehicle = make_vehicle(session)
    make_shift(session, courier, vehicle=vehicle)
    route = make_published_route(
        session, vehicle=vehicle, courier=courier, orders=[make_order(session)]
    )
    return {
        "courier": auth_headers(settings, user),
        "dispatcher": auth_headers(settings, make_user(session, role=Role.DISPATCHER)),
        "vehicle": vehicle,
        "route": route,
    }


def _replans(session, vehicle_id: int) -> list[PlanJob]:
    return list(session.scalars(select(PlanJob).where(PlanJob.vehicle_id == vehicle_id)))


def test_a_dispatcher_taking_a_planned_vehicle_out_of_service_queues_a_replan(
    client, session, planned
):
    vehicle = planned["vehicle"]

    response = client.patch(
        f"/vehicles/{vehicle.id}", json={"status": "out_of_service"}, headers=planned["dispatcher"]
    )

    assert response.status_code == 200, response.text
    [job] = _replans(session, vehicle.id)
    body = client.get(f"/plan-jobs/{job.id}", headers=planned["dispatcher"]).json()
    assert body["kind"] == "replan"
    assert body["status"] == "queued"
    assert body["base_plan_id"] == planned["route"].plan_id
    assert body["service_date"] == DAY.isoformat()
    assert (
        body["reason"]
        == f"vehicle {vehicle.code} went out of service: taken out of service by a dispatcher"
    )


def test_a_failed_critical_inspection_queues_a_replan_of_the_vehicles_plan(
    client, session, planned
):
    vehicle = planned["vehicle"]

    response = inspect(client, planned["courier"], vehicle.id, "lights")

    assert response.status_code == 201, response.text
    [job] = _replans(session, vehicle.id)
    assert job.base_plan_id == planned["route"].plan_id
    assert "failed a critical item" in (job.reason or "")


def test_a_defect_queues_no_replan(client, session, planned):
    vehicle = planned["vehicle"]
    defect = next(i.code for i in DEFAULT_CHECKLIST if not i.critical and not i.refrigerated_only)

    inspect(client, planned["courier"], vehicle.id, defect)

    assert _replans(session, vehicle.id) == []


def test_a_dispatcher_asks_for_a_replan_and_sees_it_waiting(client, planned):
    plan_id = planned["route"].plan_id
    headers = planned["dispatcher"]

    response = client.post(f"/plans/{plan_id}/replan", json={"reason": "rain"}, headers=headers)

    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["trigger"], job["status"]) == ("replan", "manual", "queued")
    assert job["decision"] is None
    again = client.post(f"/plans/{plan_id}/replan", json={"reason": "rain"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "replan_not_decidable"
    listed = client.get("/replans", params={"day": DAY.isoformat()}, headers=headers).json()
    assert [j["id"] for j in listed] == [job["id"]]
    assert client.get(f"/replans/{job['id']}", headers=headers).json()["id"] == job["id"]
    undecided = client.get(
        "/replans", params={"day": DAY.isoformat(), "undecided": True}, headers=headers
    )
    assert undecided.json() == []  # not finished yet
    for verb in ("accept", "reject"):
        refused = client.post(f"/replans/{job['id']}/{verb}", headers=headers)
        assert refused.status_code == 409
        assert "only a finished replan can be decided" in refused.json()["detail"]


def test_replans_are_the_dispatchers_business(client, planned):
    plan_id = planned["route"].plan_id
    courier = planned["courier"]
    assert (
        client.post(f"/plans/{plan_id}/replan", json={"reason": "x"}, headers=courier).status_code
        == 403
    )
    assert client.get("/replans", headers=courier).status_code == 403
    assert client.post("/replans/1/accept").status_code == 401
    unknown = client.post("/replans/999999/accept", headers=planned["dispatcher"])
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "replan_not_found"
    blank = client.post(
        f"/plans/{plan_id}/replan", json={"reason": ""}, headers=planned["dispatcher"]
    )
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "reason"


def test_an_order_for_a_day_already_published_asks_for_a_replan(client, session, planned):
    response = client.post("/orders", json=order_payload(), headers=planned["dispatcher"])

    assert response.status_code == 201, response.text
    jobs = session.scalars(
        select(PlanJob).where(PlanJob.base_plan_id == planned["route"].plan_id)
    ).all()
    assert [(j.trigger, j.status.value) for j in jobs] == [(ReplanTrigger.URGENT_ORDER, "queued")]
