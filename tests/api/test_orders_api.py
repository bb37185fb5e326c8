"""Order intake over HTTP: validation, idempotency, cut-off, bulk CSV, edits."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import get_geocoder
from infra.geocoding import GeocoderUnavailable
from infra.models import IdempotencyRecord, Order, OrderStatus, Role
from tests.conftest import ZONE
from tests.factories import (
    CSV_HEADER,
    FakeGeocoder,
    auth_headers,
    csv_row,
    make_order,
    make_user,
    order_payload,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def order_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Order)) or 0


def fields_of(response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


def test_a_valid_order_is_taken_for_today_with_a_tracking_code(client, dispatcher, session):
    response = client.post("/orders", json=order_payload(reference="A-1"), headers=dispatcher)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "plannable"
    assert body["service_date"] == "2025-03-04"
    assert body["intake"]["same_day"] is True
    assert body["windows"] == [
        {"starts_at": "2025-03-04T13:00:00Z", "ends_at": "2025-03-04T15:00:00Z"}
    ]
    assert len(body["tracking_code"]) >= 22  # token_urlsafe(16): 128 random bits
    stored = session.get(Order, body["id"])
    assert stored is not None
    assert stored.parcels[0].weight_g == 2500
    assert stored.lines[0].sku == "SKU-1"


def test_tracking_codes_differ_between_orders(client, dispatcher):
    codes = {
        client.post("/orders", json=order_payload(), headers=dispatcher).json()["tracking_code"]
        for _ in range(5)
    }
    assert len(codes) == 5


def test_an_order_after_the_cutoff_is_accepted_for_the_next_operating_day(
    client, dispatcher, clock
):
    clock.now = datetime(2025, 3, 4, 18, 0, tzinfo=ZONE)

    response = client.post("/orders", json=order_payload(), headers=dispatcher)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["service_date"] == "2025-03-05"
    assert body["intake"]["same_day"] is False
    assert body["intake"]["deferral"] == "after_cutoff"
    assert "cut-off" in body["intake"]["message"]
    assert "2025-03-05" in body["intake"]["message"]
    assert body["windows"][0]["starts_at"] == "2025-03-05T13:00:00Z"


def test_a_minute_before_the_cutoff_the_order_is_for_today(client, dispatcher, clock):
    clock.now = datetime(2025, 3, 4, 17, 59, tzinfo=ZONE)

    payload = order_payload(windows=[{"start": "18:00", "end": "20:00"}])
    body = client.post("/orders", json=payload, headers=dispatcher).json()

    assert body["service_date"] == "2025-03-04"
    assert body["intake"]["same_day"] is True


def test_the_cutoff_is_read_in_the_operation_time_zone(client, dispatcher, clock):
    # 17:30 UTC is 18:30 in Berlin: past the cut-off there.
    clock.now = datetime.fromisoformat("2025-03-04T17:30:00+00:00")

    body = client.post("/orders", json=order_payload(), headers=dispatcher).json()

    assert body["service_date"] == "2025-03-05"


def test_an_order_on_saturday_evening_is_for_monday(client, dispatcher, clock):
    clock.now = datetime(2025, 3, 8, 20, 0, tzinfo=ZONE)

    body = client.post("/orders", json=order_payload(), headers=dispatcher).json()

    assert body["service_date"] == "2025-03-10"


def test_field_validation_errors_name_every_field_and_reason(client, dispatcher, session):
    payload = order_payload(
        lat=95,
        parcels=[{"weight_kg": -1}],
        recipient={"name": "", "email": "not-an-email", "phone": "call me"},
        unknown="x",
    )

    response = client.post("/orders", json=payload, headers=dispatcher)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["status"] == 422
    assert body["type"].endswith("validation_failed")
    assert {"title", "detail"} <= body.keys()
    assert fields_of(response) == {
        "lat",
        "parcels[0].weight_kg",
        "recipient.name",
        "recipient.email",
        "recipient.phone",
        "unknown",
    }
    assert all(error["reason"] for error in body["errors"])
    assert order_count(session) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"parcels": []}, "parcels"),
        ({"service_s": 999_999}, "service_s"),
        ({"priority": 10}, "priority"),
        ({"kind": "teleport"}, "kind"),
        ({"windows": [{"start": "25:00", "end": "26:00"}]}, "windows[0].start"),
        ({"windows": [{"start": "09:00+02:00", "end": "10:00"}]}, "windows[0].start"),
        ({"handling": ["Chilled!"]}, "handling[0]"),
        ({"lines": [{"sku": "", "quantity": 1}]}, "lines[0].sku"),
        ({"lines": [{"sku": "A", "quantity": 0}]}, "lines[0].quantity"),
        ({"recipient": {"name": "a\u0000b"}}, "recipient.name"),
        ({"depot_id": 10**12}, "depot_id"),
        ({"lat": "north"}, "lat"),
    ],
)
def test_each_malformed_field_is_a_422_naming_it(client, dispatcher, change, field):
    response = client.post("/orders", json=order_payload(**change), headers=dispatcher)

    assert response.status_code == 422, response.text
    assert field in fields_of(response)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"windows": [{"start": "12:00", "end": "10:00"}]}, "windows[0]"),
        (
            {"windows": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
            "windows[1]",
        ),
        ({"windows": [{"start": "07:00", "end": "08:00"}]}, "windows"),
        ({"lng": None}, "lng"),
        ({"lat": None, "lng": None}, "address"),
        ({"handling": ["chilled", "chilled"]}, "handling"),
        ({"depot_id": 4242}, "depot_id"),
    ],
)
def test_orders_breaking_an_intake_rule_are_a_422_naming_the_field(
    client, dispatcher, change, field
):
    response = client.post("/orders", json=order_payload(**change), headers=dispatcher)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_order"
    assert field in fields_of(response)


def test_without_a_geocoder_an_address_alone_is_refused_saying_coordinates_are_required(
    client, dispatcher
):
    payload = order_payload(lat=None, lng=None, address="Alexanderplatz 1, Berlin")

    response = client.post("/orders", json=payload, headers=dispatcher)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "coordinates_required"
    assert "no geocoder is configured" in body["detail"]


def test_with_a_geocoder_the_address_is_located(app, client, dispatcher):
    geocoder = FakeGeocoder()
    app.dependency_overrides[get_geocoder] = lambda: geocoder
    payload = order_payload(lat=None, lng=None, address="Alexanderplatz 1, Berlin")

    response = client.post("/orders", json=payload, headers=dispatcher)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["lat"], body["lng"]) == (52.5219, 13.4132)
    assert body["location_source"] == "geocoded"


def test_an_address_the_geocoder_does_not_know_is_a_422(app, client, dispatcher):
    app.dependency_overrides[get_geocoder] = lambda: FakeGeocoder()
    payload = order_payload(lat=None, lng=None, address="Nowhere 0")

    response = client.post("/orders", json=payload, headers=dispatcher)

    assert response.status_code == 422
    assert response.json()["code"] == "address_not_found"


def test_a_geocoder_outage_is_a_503_not_a_500(app, client, dispatcher, session):
    class Broken:
        def locate(self, _address):
            raise GeocoderUnavailable("the geocoder (test) did not answer", geocoder="test")

    app.dependency_overrides[get_geocoder] = lambda: Broken()
    payload = order_payload(lat=None, lng=None, address="Alexanderplatz 1, Berlin")

    response = client.post("/orders", json=payload, headers=dispatcher)

    assert response.status_code == 503
    assert response.json()["code"] == "geocoder_unavailable"
    assert order_count(session) == 0


def test_a_retry_with_the_same_idempotency_key_returns_the_first_result(
    client, dispatcher, session
):
    headers = dispatcher | {"Idempotency-Key": "4b1c7a52-retry"}
    payload = order_payload()

    first = client.post("/orders", json=payload, headers=headers)
    again = client.post("/orders", json=payload, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert order_count(session) == 1


def test_the_replay_survives_the_cutoff_passing_between_tries(client, dispatcher, clock):
    headers = dispatcher | {"Idempotency-Key": "late-retry"}
    payload = order_payload()
    first = client.post("/orders", json=payload, headers=headers)
    clock.now = datetime(2025, 3, 4, 19, 0, tzinfo=ZONE)

    again = client.post("/orders", json=payload, headers=headers)

    assert again.json()["service_date"] == first.json()["service_date"] == "2025-03-04"


def test_the_same_key_with_a_different_body_is_a_409(client, dispatcher, session):
    headers = dispatcher | {"Idempotency-Key": "reused"}
    client.post("/orders", json=order_payload(reference="R-1"), headers=headers)

    response = client.post("/orders", json=order_payload(reference="R-2"), headers=headers)

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "idempotency_key_reused"
    assert body["key"] == "reused"
    assert order_count(session) == 1


def test_a_failed_submission_leaves_its_key_free_for_a_corrected_retry(client, dispatcher, session):
    headers = dispatcher | {"Idempotency-Key": "fix-and-retry"}
    bad = client.post("/orders", json=order_payload(depot_id=999), headers=headers)

    good = client.post("/orders", json=order_payload(), headers=headers)

    assert bad.status_code == 422
    assert good.status_code == 201
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_idempotency_keys_belong_to_the_caller(client, dispatcher, session, settings):
    other = auth_headers(settings, make_user(session, role=Role.DISPATCHER))
    payload = order_payload()

    client.post("/orders", json=payload, headers=dispatcher | {"Idempotency-Key": "k1"})
    client.post("/orders", json=payload, headers=other | {"Idempotency-Key": "k1"})

    assert order_count(session) == 2


def test_a_malformed_idempotency_key_is_a_422(client, dispatcher):
    headers = dispatcher | {"Idempotency-Key": "x" * 300}

    response = client.post("/orders", json=order_payload(), headers=headers)

    assert response.status_code == 422
    assert "header.Idempotency-Key" in fields_of(response)


def upload(client, headers, text: str, name: str = "orders.csv"):
    return client.post(
        "/orders/bulk", files={"file": (name, text.encode(), "text/csv")}, headers=headers
    )


def test_a_bulk_csv_takes_every_row(client, dispatcher, session):
    text = CSV_HEADER + csv_row("B-1") + csv_row("B-2", windows="09:00-10:00;15:00-17:00")

    response = upload(client, dispatcher, text)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["count"] == 2
    assert [row["row"] for row in body["orders"]] == [2, 3]
    assert [row["reference"] for row in body["orders"]] == ["B-1", "B-2"]
    assert order_count(session) == 2
    second = session.get(Order, body["orders"][1]["id"])
    assert len(second.windows) == 2


def test_a_bulk_csv_with_bad_rows_writes_nothing_and_reports_every_bad_row(
    client, dispatcher, session
):
    text = (
        CSV_HEADER
        + csv_row("OK-1")
        + csv_row("BAD-1", weight_kg="heavy")
        + csv_row("OK-2")
        + csv_row("BAD-2", lat="91", windows="12:00-10:00")
        + csv_row("BAD-3", lat="", lng="", address="")
    )

    response = upload(client, dispatcher, text)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_rows"
    problems = {(e["row"], e["field"]) for e in body["errors"]}
    assert problems == {(3, "weight_kg"), (5, "lat"), (5, "windows"), (6, "address")}
    assert all(e["reason"] for e in body["errors"])
    assert order_count(session) == 0


def test_a_bulk_csv_without_a_geocoder_reports_rows_needing_coordinates(client, dispatcher):
    text = CSV_HEADER + csv_row("G-1", lat="", lng="", address="Alexanderplatz 1, Berlin")

    response = upload(client, dispatcher, text)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (2, "lat")
    assert "no geocoder is configured" in error["reason"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"", "file"),
        (b"\xff\xfe\x00garbage", "file"),
        (b"recipient_name,weight_kg,colour\nA,1,red\n", "colour"),
        (b"recipient_name,lat,lng\nA,1,2\n", "weight_kg"),
        (CSV_HEADER.encode(), "file"),
    ],
)
def test_an_unusable_csv_file_is_a_422_saying_why(client, dispatcher, content, field):
    response = client.post(
        "/orders/bulk", files={"file": ("x.csv", content, "text/csv")}, headers=dispatcher
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_csv"
    assert field in fields_of(response)


def test_a_bulk_retry_with_the_same_key_returns_the_first_result(client, dispatcher, session):
    text = CSV_HEADER + csv_row("I-1") + csv_row("I-2")
    headers = dispatcher | {"Idempotency-Key": "bulk-1"}

    first = upload(client, headers, text)
    again = upload(client, headers, text)
    different = upload(client, headers, text + csv_row("I-3"))

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert different.status_code == 409
    assert order_count(session) == 2


def test_an_unknown_order_is_a_404(client, dispatcher):
    response = client.get("/orders/987654", headers=dispatcher)

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "order_not_found"
    assert response.json()["order_id"] == 987654


def test_orders_are_listed_by_service_date_and_status(client, dispatcher, session):
    today = make_order(session)
    make_order(session, status=OrderStatus.CANCELLED)

    response = client.get(
        "/orders", params={"service_date": "2025-03-04", "status": "plannable"}, headers=dispatcher
    )

    assert [o["id"] for o in response.json()] == [today.id]


def test_an_order_not_yet_out_can_be_amended(client, dispatcher, session):
    order = make_order(session)

    response = client.patch(
        f"/orders/{order.id}",
        json={"windows": [{"start": "15:00", "end": "17:00"}], "priority": 5},
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    assert response.json()["windows"][0]["starts_at"] == "2025-03-04T14:00:00Z"
    assert response.json()["priority"] == 5


def test_editing_an_order_out_for_delivery_is_a_409_saying_what_blocks_it(
    client, dispatcher, session
):
    order = make_order(session, status=OrderStatus.OUT_FOR_DELIVERY)

    response = client.patch(f"/orders/{order.id}", json={"priority": 3}, headers=dispatcher)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "order_not_editable"
    assert body["status"] == 409
    assert body["order_id"] == order.id
    assert "out_for_delivery" in body["detail"]
    session.refresh(order)
    assert order.priority == 0


def test_cancelling_is_refused_once_the_order_is_out(client, dispatcher, session):
    waiting = make_order(session)
    gone = make_order(session, status=OrderStatus.OUT_FOR_DELIVERY)

    assert client.post(f"/orders/{waiting.id}/cancel", headers=dispatcher).json()["status"] == (
        "cancelled"
    )
    assert client.post(f"/orders/{gone.id}/cancel", headers=dispatcher).status_code == 409
