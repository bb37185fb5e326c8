"""Depots, vehicles, couriers and shifts over HTTP."""

from __future__ import annotations

import pytest

from infra.models import Role, VehicleStatus
from tests.factories import auth_headers, make_courier, make_shift, make_user, make_vehicle


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def vehicle_body(**overrides: object) -> dict[str, object]:
    return {
        "code": "V-100",
        "type": "van",
        "max_weight_kg": 750,
        "max_volume_l": 5500,
        "max_parcels": 120,
        "skills": ["chilled"],
        "shift_start": "07:00",
        "shift_end": "19:00",
        "cost_per_km_cents": 35,
        "cost_per_hour_cents": 2400,
        "fixed_cost_cents": 5000,
    } | overrides


def test_a_depot_is_opened_and_listed(client, dispatcher):
    created = client.post(
        "/depots",
        json={"code": "BER-1", "name": "Berlin", "lat": 52.5, "lng": 13.4},
        headers=dispatcher,
    )

    assert created.status_code == 201, created.text
    listed = client.get("/depots", headers=dispatcher).json()
    assert [d["code"] for d in listed] == ["BER-1"]
    assert client.get(f"/depots/{created.json()['id']}", headers=dispatcher).status_code == 200


def test_a_vehicle_is_registered_with_capacities_in_kg_and_litres(client, dispatcher):
    response = client.post("/vehicles", json=vehicle_body(), headers=dispatcher)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["max_weight_kg"], body["max_volume_l"]) == (750, 5500)
    assert body["status"] == "in_service"
    assert body["skills"] == ["chilled"]


def test_a_duplicate_vehicle_code_is_a_409(client, dispatcher):
    client.post("/vehicles", json=vehicle_body(), headers=dispatcher)

    response = client.post("/vehicles", json=vehicle_body(), headers=dispatcher)

    assert response.status_code == 409
    assert response.json()["code"] == "vehicle_code_taken"


def test_vehicle_hours_ending_before_they_start_are_a_422(client, dispatcher):
    body = vehicle_body(shift_start="19:00", shift_end="07:00")

    response = client.post("/vehicles", json=body, headers=dispatcher)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "shift_end"


def test_a_vehicle_at_an_unknown_depot_is_a_404(client, dispatcher):
    response = client.post("/vehicles", json=vehicle_body(depot_id=777), headers=dispatcher)

    assert response.status_code == 404
    assert response.json()["code"] == "depot_not_found"


def test_a_vehicle_is_taken_out_of_service(client, dispatcher, session):
    vehicle = make_vehicle(session)

    response = client.patch(
        f"/vehicles/{vehicle.id}", json={"status": "out_of_service"}, headers=dispatcher
    )

    assert response.json()["status"] == "out_of_service"
    listed = client.get("/vehicles", params={"status": "in_service"}, headers=dispatcher).json()
    assert vehicle.id not in [v["id"] for v in listed]


def test_a_courier_is_enlisted_from_a_courier_account(client, dispatcher, session):
    user = make_user(session, role=Role.COURIER)

    response = client.post(
        "/couriers",
        json={"user_id": user.id, "name": "Kim", "phone": "+49 170 1"},
        headers=dispatcher,
    )
    again = client.post("/couriers", json={"user_id": user.id, "name": "Kim"}, headers=dispatcher)

    assert response.status_code == 201, response.text
    assert again.status_code == 409
    assert again.json()["code"] == "courier_already_enlisted"


def test_only_a_courier_account_can_be_enlisted(client, dispatcher, session):
    user = make_user(session, role=Role.DISPATCHER)

    response = client.post("/couriers", json={"user_id": user.id, "name": "X"}, headers=dispatcher)

    assert response.status_code == 422
    assert response.json()["code"] == "user_not_courier"


def test_a_shift_is_scheduled_in_local_time(client, dispatcher, session):
    courier = make_courier(session)
    vehicle = make_vehicle(session)

    response = client.post(
        "/shifts",
        json={
            "courier_id": courier.id,
            "day": "2025-07-01",
            "start": "08:00",
            "end": "16:30",
            "vehicle_id": vehicle.id,
        },
        headers=dispatcher,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    # Berlin is UTC+2 in summer.
    assert (body["starts_at"], body["ends_at"]) == ("2025-07-01T06:00:00Z", "2025-07-01T14:30:00Z")


def test_a_second_shift_on_the_same_day_is_a_409(client, dispatcher, session):
    courier = make_courier(session)
    shift = make_shift(session, courier)

    response = client.post(
        "/shifts",
        json={"courier_id": courier.id, "day": str(shift.day), "start": "10:00", "end": "12:00"},
        headers=dispatcher,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "shift_already_scheduled"


def test_an_out_of_service_vehicle_cannot_be_booked(client, dispatcher, session):
    courier = make_courier(session)
    vehicle = make_vehicle(session, status=VehicleStatus.OUT_OF_SERVICE)

    response = client.post(
        "/shifts",
        json={
            "courier_id": courier.id,
            "day": "2025-03-04",
            "start": "08:00",
            "end": "16:00",
            "vehicle_id": vehicle.id,
        },
        headers=dispatcher,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "vehicle_out_of_service"
    assert response.json()["vehicle_id"] == vehicle.id


def test_a_vehicle_cannot_be_booked_twice_on_one_day(client, dispatcher, session):
    vehicle = make_vehicle(session)
    make_shift(session, make_courier(session), vehicle=vehicle)

    response = client.post(
        "/shifts",
        json={
            "courier_id": make_courier(session).id,
            "day": "2025-03-04",
            "start": "08:00",
            "end": "16:00",
            "vehicle_id": vehicle.id,
        },
        headers=dispatcher,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "vehicle_already_booked"


def test_a_shift_ending_before_it_starts_is_a_422(client, dispatcher, session):
    courier = make_courier(session)

    response = client.post(
        "/shifts",
        json={"courier_id": courier.id, "day": "2025-03-04", "start": "16:00", "end": "08:00"},
        headers=dispatcher,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "end", "reason": "must be after start"}]
