"""A hold re-times the undeparted routes it takes stops off, in the same request."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch.problem_builder import PlanScope, build_problem
from infra.models import Depot, Role, Route, StopRemoval
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


def _route_with_held_first_stop(client, session: Session, dispatcher):
    zone = make_zone(session)
    batch = make_batch(session, zone)
    depot = session.get_one(Depot, zone.depot_id)
    held = make_stock_order(session, depot=depot, lat=52.53, lng=13.42)
    kept = make_stock_order(session, depot=depot, sku="BREAD", lat=52.51, lng=13.39)
    assert client.post(f"/orders/{held.id}/allocation", headers=dispatcher).status_code == 200
    route = make_published_route(
        session, vehicle=make_vehicle(session), courier=make_courier(session), orders=[held, kept]
    )
    return zone, batch, held, kept, route


def _assert_route_valid(session: Session, route: Route) -> None:
    built = build_problem(
        session,
        PlanScope(DAY, route.plan.depot_id),
        zone=ZONE,
        order_ids=[s.order_id for s in route.stops],
        vehicle_ids=[route.vehicle_id],
    )
    vehicle = built.solver_vehicle_id(route.vehicle_id)
    solution = routing.evaluate(
        built.problem, {vehicle: [built.visit_id(s.order_id) for s in route.stops]}
    )
    assert routing.validate(built.problem, solution) == []
    [tour] = solution.tours
    [arrival] = tour.arrivals
    [stop] = route.stops
    assert stop.planned_arrival_at == built.clock.instant(arrival.arrival_s)
    assert route.distance_m == tour.distance_m
    assert route.planned_end_at == built.clock.instant(tour.end_s)


def test_a_placed_hold_retimes_the_route_it_took_a_stop_off(client, session, dispatcher):
    _, batch, held, kept, route = _route_with_held_first_stop(client, session, dispatcher)
    old_distance_m = route.distance_m

    response = client.post(
        f"/batches/{batch.id}/holds",
        json={"reason": "defect", "note": "dented lids"},
        headers=dispatcher,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["held_order_ids"] == [held.id]
    assert body["retimed_routes"] == [
        {"route_id": route.id, "plan_id": route.plan_id, "stops": 1, "retimed": True, "why": None}
    ]
    session.expire_all()
    route = session.get_one(Route, route.id)
    assert [s.order_id for s in route.stops] == [kept.id]
    assert route.distance_m != old_distance_m
    _assert_route_valid(session, route)
    removal = session.scalar(select(StopRemoval).where(StopRemoval.route_id == route.id))
    assert removal is not None
    assert removal.retimed_at is not None


def test_an_excursion_retimes_the_routes_of_the_batches_it_holds(client, session, dispatcher):
    zone, _, held, kept, route = _route_with_held_first_stop(client, session, dispatcher)
    start = datetime.combine(DAY, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=7)
    readings = [
        {"measured_at": (start + timedelta(minutes=m)).isoformat(), "temperature_c": 9.5}
        for m in (0, 15, 30)
    ]

    response = client.post(
        f"/storage-zones/{zone.id}/readings", json={"readings": readings}, headers=dispatcher
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["holds"][0]["held_order_ids"] == [held.id]
    assert [r["route_id"] for r in body["retimed_routes"]] == [route.id]
    assert body["retimed_routes"][0]["retimed"] is True
    session.expire_all()
    route = session.get_one(Route, route.id)
    assert [s.order_id for s in route.stops] == [kept.id]
    _assert_route_valid(session, route)


def test_a_hold_that_empties_a_route_leaves_it_driving_nowhere(client, session, dispatcher):
    zone = make_zone(session)
    batch = make_batch(session, zone)
    depot = session.get_one(Depot, zone.depot_id)
    held = make_stock_order(session, depot=depot)
    client.post(f"/orders/{held.id}/allocation", headers=dispatcher)
    route = make_published_route(
        session, vehicle=make_vehicle(session), courier=None, orders=[held]
    )

    response = client.post(
        f"/batches/{batch.id}/holds", json={"reason": "manual"}, headers=dispatcher
    )

    assert response.status_code == 201, response.text
    assert response.json()["retimed_routes"][0]["stops"] == 0
    session.expire_all()
    route = session.get_one(Route, route.id)
    assert route.stops == []
    assert route.distance_m == 0
    assert route.planned_end_at == route.planned_start_at
