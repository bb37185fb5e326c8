"""Delivery slots over HTTP: offers, booking (idempotent, re-checked), who may ask, bad input."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

import routing
from dispatch.problem_builder import PlanScope, build_problem
from infra.models import Order, PlanJob, PlanStatus, Role
from infra.models.planning import JobKind
from tests.dispatch.test_slots import NEAR, TOMORROW, PlannedDay
from tests.factories import DAY, ZONE, auth_headers, make_user, order_payload

PROBLEM = "application/problem+json"


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def slot(body, day, start: str) -> dict[str, Any]:
    found = next(d for d in body["days"] if d["service_date"] == str(day))
    return next(s for s in found["slots"] if s["start"].startswith(start))


def booking(window: tuple[str, str] = ("13:00", "15:00"), day=DAY, **order) -> dict[str, Any]:
    payload = order_payload(lat=NEAR[0], lng=NEAR[1], **order)
    payload.pop("windows")
    return {
        "service_date": str(day),
        "window": {"start": window[0], "end": window[1]},
        "order": payload,
    }


def test_slots_of_an_address_list_today_and_the_next_day(client, session, dispatcher):
    day = PlannedDay(session)

    response = client.get(
        "/slots", params={"lat": NEAR[0], "lon": NEAR[1], "parcels": 2}, headers=dispatcher
    )

    assert response.status_code == 200
    body = response.json()
    assert [d["service_date"] for d in body["days"]] == [str(DAY), str(TOMORROW)]
    assert body["days"][0]["plan_ids"] == [day.plan.id]
    assert slot(body, DAY, "09")["available"] is False
    assert slot(body, DAY, "09")["reason"] == "past"
    offered = slot(body, DAY, "11")
    assert offered["available"] is True
    assert offered["reason"] is None
    assert offered["route"]["plan_id"] == day.plan.id
    assert offered["route"]["extra_distance_m"] >= 0
    assert slot(body, DAY, "19")["reason"] == "no_route_can_reach"


def test_slots_of_a_full_draft_order(client, session, dispatcher):
    PlannedDay(session, max_parcels=3)

    response = client.post(
        "/slots", json=order_payload(lat=NEAR[0], lng=NEAR[1]), headers=dispatcher
    )

    assert response.status_code == 200
    assert slot(response.json(), DAY, "11")["reason"] == "capacity"


def test_a_booked_slot_becomes_the_orders_window(client, session, dispatcher):
    PlannedDay(session)
    headers = dispatcher | {"Idempotency-Key": "book-1"}
    body = booking(day=TOMORROW)

    response = client.post("/slots/book", json=body, headers=headers)
    again = client.post("/slots/book", json=body, headers=headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["order"]["service_date"] == str(TOMORROW)
    assert body["slot"]["available"] is True
    window = body["order"]["windows"][0]
    assert (window["starts_at"], window["ends_at"]) == (
        body["slot"]["starts_at"],
        body["slot"]["ends_at"],
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert len(session.scalars(select(Order).where(Order.service_date == TOMORROW)).all()) == 1


def test_a_slot_taken_meanwhile_is_refused_and_nothing_is_booked(client, session, dispatcher):
    PlannedDay(session, max_parcels=3)
    body = booking()

    response = client.post("/slots/book", json=body, headers=dispatcher)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "slot_unavailable"
    assert response.json()["reason"] == "capacity"
    reference = body["order"]["reference"]
    assert session.scalars(select(Order).where(Order.reference == reference)).all() == []


def test_booking_a_published_day_asks_for_a_replan(client, session, dispatcher):
    day = PlannedDay(session)
    day.plan.status = PlanStatus.PUBLISHED
    session.flush()

    response = client.post("/slots/book", json=booking(depot_id=day.depot.id), headers=dispatcher)

    assert response.status_code == 201, response.text
    jobs = session.scalars(select(PlanJob).where(PlanJob.base_plan_id == day.plan.id)).all()
    assert [j.kind for j in jobs] == [JobKind.REPLAN]


def test_a_past_window_cannot_be_booked(client, session, dispatcher):
    PlannedDay(session)

    response = client.post(
        "/slots/book", json=booking(window=("09:00", "11:00")), headers=dispatcher
    )

    assert response.status_code == 409
    assert response.json()["reason"] == "past"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (booking(window=("13:00", "14:30")), "window"),
        (booking(day=DAY.replace(day=20)), "service_date"),
        ({**booking(), "order": order_payload()}, "order.windows"),
    ],
)
def test_a_booking_that_is_no_slot_is_refused(client, session, dispatcher, body, field):
    PlannedDay(session)

    response = client.post("/slots/book", json=body, headers=dispatcher)

    assert response.status_code == 422
    assert response.json()["code"] == "slot_not_offered"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 95, "lng": 13.4}, "query.lat"),
        ({"lat": 52.5}, "query.lng"),
        ({"lat": 52.5, "lng": 13.4, "parcels": 0}, "query.parcels"),
    ],
)
def test_bad_slot_queries_name_the_field(client, dispatcher, params, field):
    response = client.get("/slots", params=params, headers=dispatcher)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in {e["field"] for e in response.json()["errors"]}


def test_slots_need_a_dispatcher(client, session, settings):
    courier = auth_headers(settings, make_user(session, role=Role.COURIER))
    params = {"lat": 52.5, "lng": 13.4}

    assert client.get("/slots", params=params).status_code == 401
    assert client.post("/slots/book", json=booking()).status_code == 401
    assert client.get("/slots", params=params, headers=courier).status_code == 403


def test_booking_takes_coordinates_from_the_order(client, session, dispatcher):
    PlannedDay(session)
    body = booking()
    body["order"].pop("lat")
    body["order"].pop("lng")
    body["order"]["address"] = "Unter den Linden 1"

    response = client.post("/slots/book", json=body, headers=dispatcher)

    # No geocoder in the tests: the order needs coordinates, as POST /orders says.
    assert response.status_code == 422
    assert response.json()["code"] == "coordinates_required"


def test_slots_booked_through_the_api_are_honoured_by_the_next_plan(client, session, dispatcher):
    day = PlannedDay(session)
    windows = [("11:00", "13:00"), ("15:00", "17:00")]
    booked = []
    for window in windows:
        response = client.post("/slots/book", json=booking(window=window), headers=dispatcher)
        assert response.status_code == 201, response.text
        booked.append(response.json()["order"]["id"])

    built = build_problem(session, PlanScope(DAY, day.depot.id), zone=ZONE)
    solution = routing.solve(built.problem, time_limit_s=2, seed=0)

    assert routing.validate(built.problem, solution) == []
    served = {a.visit_id: a.service_start_s for t in solution.tours for a in t.arrivals}
    for order_id, (start, end) in zip(booked, windows, strict=True):
        at = served[built.visit_id(order_id)]
        assert built.clock.wall_seconds(time.fromisoformat(start)) <= at
        assert at <= built.clock.wall_seconds(time.fromisoformat(end))


def test_slots_of_a_draft_order_need_its_coordinates(client, dispatcher):
    payload = order_payload(address="Unter den Linden 1")
    del payload["lat"], payload["lng"]

    response = client.post("/slots", json=payload, headers=dispatcher)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["lat"]
