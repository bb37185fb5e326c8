"""Times of day in vehicle hours and shifts are local: one with an offset is a 422, not a 500
(found by the schema fuzzing: comparing it with a local time raised)."""

from __future__ import annotations

import pytest

from infra.models import Role
from tests.factories import auth_headers, make_courier, make_user, make_vehicle


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


@pytest.mark.parametrize("value", ["00:00:00Z", "07:00+02:00"])
def test_vehicle_hours_with_an_offset_are_a_422_naming_the_field(
    client, session, dispatcher, value
):
    vehicle = make_vehicle(session)

    response = client.patch(
        f"/vehicles/{vehicle.id}", json={"shift_start": value}, headers=dispatcher
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["shift_start"]


def test_a_shift_with_an_offset_is_a_422_naming_the_field(client, session, dispatcher):
    courier = make_courier(session)
    body = {"courier_id": courier.id, "day": "2025-03-04", "start": "08:00", "end": "17:00Z"}

    response = client.post("/shifts", json=body, headers=dispatcher)

    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["end"]
