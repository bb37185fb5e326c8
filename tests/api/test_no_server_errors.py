"""Hostile and odd inputs: each gets a problem response, never a 500."""

from __future__ import annotations

import pytest

from infra.models import Role
from tests.factories import auth_headers, make_user, order_payload


@pytest.fixture
def admin(session, settings):
    return auth_headers(settings, make_user(session, role=Role.ADMIN))


BODIES = [
    b"",
    b"{",
    b"[]",
    b"null",
    b'"text"',
    b'{"recipient": {"name": "\\u0000"}}',
    b'{"lat": NaN, "lng": Infinity}',
    b'{"lat": 1e400}',
    b'{"parcels": [{"weight_kg": 99999999999999999999999999}]}',
    b'{"recipient": {"name": "\\ud800"}, "lat": 1, "lng": 1, "parcels": [{"weight_kg": 1}]}',
    b"\xff\xfe",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize(
    "path", ["/orders", "/depots", "/vehicles", "/couriers", "/shifts", "/users"]
)
def test_malformed_bodies_are_refused_with_a_problem(client, admin, path, body):
    response = client.post(path, content=body, headers=admin | {"Content-Type": "application/json"})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/orders/0",
        "/orders/-1",
        "/orders/abc",
        "/orders/99999999999999999999999",
        "/shifts?courier_id=99999999999999999999",
        "/orders?limit=100000",
        "/orders?service_date=2025-02-30",
        "/orders?status=lost",
        "/vehicles/1%00",
    ],
)
def test_malformed_paths_and_queries_are_refused_with_a_problem(client, admin, path):
    response = client.get(path, headers=admin)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "change",
    [
        {"reference": "x" * 65},
        {"recipient": {"name": "x" * 201}},
        {"address": "y" * 501, "lat": None, "lng": None},
        {"notes": "z" * 1001},
        {"lines": [{"sku": "S" * 65, "quantity": 1}]},
        {"lines": [{"sku": "S", "quantity": 2**40}]},
        {"service_s": 2**63},
        {"windows": [{"start": "09:00", "end": "10:00"}] * 5},
        {"handling": ["a"] * 9},
    ],
)
def test_oversized_values_are_422_before_they_reach_the_database(client, admin, change):
    response = client.post("/orders", json=order_payload(**change), headers=admin)

    assert response.status_code == 422, response.text


def test_a_garbled_multipart_upload_is_a_4xx_problem(client, admin):
    response = client.post(
        "/orders/bulk",
        content=b"--xx\r\nnonsense",
        headers=admin | {"Content-Type": "multipart/form-data; boundary=xx"},
    )

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


def test_a_csv_with_nul_bytes_is_a_422(client, admin):
    content = b"recipient_name,weight_kg,lat,lng\nA\x00B,1,52,13\n"

    response = client.post(
        "/orders/bulk", files={"file": ("o.csv", content, "text/csv")}, headers=admin
    )

    assert response.status_code == 422
