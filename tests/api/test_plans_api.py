"""Plans over HTTP: jobs, read-out, GeoJSON, moves, publishing and the courier's manifest."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

import routing
from dispatch import plans
from dispatch.problem_builder import PlanScope, build_problem
from infra.models import Order, OrderStatus, Plan, Role, User
from routing.evaluate import evaluate
from tests.factories import (
    DAY,
    auth_headers,
    make_courier,
    make_depot,
    make_order,
    make_shift,
    make_user,
    make_vehicle,
)

ZONE = ZoneInfo("Europe/Berlin")


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


class Day:
    """Two vans with a courier each; orders 0-2 on van A, 3-4 on van B, order 5 left out."""

    def __init__(self, session, *, small_b: bool = False) -> None:
        self.depot = make_depot(session)
        self.vans = [
            make_vehicle(session, depot_id=self.depot.id),
            make_vehicle(session, depot_id=self.depot.id, max_parcels=2 if small_b else 120),
        ]
        self.couriers = [make_courier(session), make_courier(session)]
        for courier, van in zip(self.couriers, self.vans, strict=True):
            make_shift(session, courier, vehicle=van, hours=(8, 18))
        self.orders = [
            make_order(
                session,
                depot_id=self.depot.id,
                window=(9, 17),
                lat=52.50 + 0.005 * k,
                lng=13.38 + 0.004 * k,
                notes="ring twice" if k == 0 else None,
            )
            for k in range(6)
        ]

    def plan(
        self, session, *, routes: tuple[tuple[int, ...], tuple[int, ...]] = ((0, 1, 2), (3, 4))
    ) -> Plan:
        built = build_problem(session, PlanScope(DAY, self.depot.id), zone=ZONE)
        order_ids = [o.id for o in self.orders]
        solution = evaluate(
            built.problem,
            {
                built.solver_vehicle_id(van.id): [built.visit_id(order_ids[k]) for k in ks]
                for van, ks in zip(self.vans, routes, strict=True)
            },
            [routing.Unassigned(built.visit_id(order_ids[5]), routing.UnassignedReason.CAPACITY)],
        )
        assert routing.validate(built.problem, solution) == []
        return plans.store_plan(
            session, built, solution, depot_id=self.depot.id, created_by_id=None
        )


def route_orders(body, sequence: int) -> list[int]:
    route = next(r for r in body["routes"] if r["sequence"] == sequence)
    return [s["order_id"] for s in route["stops"]]


def test_requesting_a_plan_queues_a_job_that_reports_its_progress(client, session, dispatcher):
    depot = make_depot(session)

    response = client.post(
        "/plans", json={"service_date": "2025-03-04", "depot_id": depot.id}, headers=dispatcher
    )

    assert response.status_code == 202, response.text
    job = client.get(f"/plan-jobs/{response.json()['id']}", headers=dispatcher).json()
    assert (job["status"], job["progress_percent"], job["plan_id"]) == ("queued", 0, None)
    assert job["time_limit_s"] == 2


def test_a_plan_for_an_unknown_depot_is_a_404(client, dispatcher):
    response = client.post(
        "/plans", json={"service_date": "2025-03-04", "depot_id": 999_999}, headers=dispatcher
    )

    assert response.status_code == 404
    assert response.json()["code"] == "depot_not_found"


def test_a_courier_may_not_start_planning(client, session, settings):
    courier = auth_headers(settings, make_user(session, role=Role.COURIER))

    response = client.post("/plans", json={"service_date": "2025-03-04"}, headers=courier)

    assert response.status_code == 403


def test_a_plan_shows_routes_timed_stops_unserved_reasons_and_totals(client, session, dispatcher):
    day = Day(session)
    plan = day.plan(session)

    body = client.get(f"/plans/{plan.id}", headers=dispatcher).json()

    assert body["status"] == "draft"
    assert [len(r["stops"]) for r in body["routes"]] == [3, 2]
    first = body["routes"][0]["stops"]
    assert [s["sequence"] for s in first] == [1, 2, 3]
    assert first[0]["planned_arrival_at"] < first[1]["planned_arrival_at"]
    assert body["unserved"] == [
        {
            "order_id": day.orders[5].id,
            "tracking_code": day.orders[5].tracking_code,
            "reference": None,
            "lat": day.orders[5].lat,
            "lng": day.orders[5].lng,
            "reason": {"code": "capacity", "text": body["unserved"][0]["reason"]["text"]},
        }
    ]
    assert "capacity" in body["unserved"][0]["reason"]["text"]
    totals = body["totals"]
    assert (totals["orders_planned"], totals["orders_unserved"], totals["routes"]) == (5, 1, 2)
    assert totals["distance_m"] > 0


def test_the_geojson_has_a_line_per_route_and_a_point_per_stop(client, session, dispatcher):
    day = Day(session)
    plan = day.plan(session)

    response = client.get(f"/plans/{plan.id}/geojson", headers=dispatcher)

    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in body["features"]]
    assert kinds.count("route") == 2
    assert kinds.count("stop") == 5
    assert kinds.count("unserved") == 1
    assert kinds.count("depot") == 1
    line = body["features"][0]
    assert line["geometry"]["type"] == "LineString"
    depot_point = [day.depot.lng, day.depot.lat]
    assert line["geometry"]["coordinates"][0] == depot_point
    assert line["geometry"]["coordinates"][-1] == depot_point
    assert len(line["geometry"]["coordinates"]) == 3 + 2
    stop = next(f for f in body["features"] if f["properties"]["kind"] == "stop")
    assert stop["geometry"]["type"] == "Point"
    assert stop["geometry"]["coordinates"] == [day.orders[0].lng, day.orders[0].lat]
    assert {"route_id", "sequence", "order_id", "planned_arrival_at"} <= set(stop["properties"])


def test_a_stop_moved_to_another_route_is_re_timed(client, session, dispatcher):
    day = Day(session)
    plan = day.plan(session)
    target = plan.routes[1]
    moved = day.orders[2].id

    response = client.post(
        f"/plans/{plan.id}/moves",
        json={"order_id": moved, "route_id": target.id, "position": 1},
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert route_orders(body, 1) == [day.orders[0].id, day.orders[1].id]
    assert route_orders(body, 2) == [moved, day.orders[3].id, day.orders[4].id]
    stops = body["routes"][1]["stops"]
    assert stops[0]["planned_arrival_at"] < stops[1]["planned_arrival_at"]
    assert body["routes"][1]["id"] == target.id


def test_an_unserved_order_can_be_put_on_a_route(client, session, dispatcher):
    day = Day(session)
    plan = day.plan(session)

    response = client.post(
        f"/plans/{plan.id}/moves",
        json={"order_id": day.orders[5].id, "route_id": plan.routes[0].id},
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    assert route_orders(response.json(), 1)[-1] == day.orders[5].id
    assert response.json()["unserved"] == []


def test_a_move_that_overloads_a_vehicle_is_refused_in_words(client, session, dispatcher):
    day = Day(session, small_b=True)
    plan = day.plan(session)

    response = client.post(
        f"/plans/{plan.id}/moves",
        json={"order_id": day.orders[0].id, "route_id": plan.routes[1].id, "position": 2},
        headers=dispatcher,
    )

    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "move_infeasible"
    assert "not feasible" in problem["detail"]
    assert "parcels" in problem["detail"]
    after = client.get(f"/plans/{plan.id}", headers=dispatcher).json()
    assert route_orders(after, 1) == [o.id for o in day.orders[:3]]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"route_id": 999_999}, "route_id"), ({"position": 9}, "position")],
)
def test_a_move_naming_a_foreign_route_or_a_position_past_the_end_is_a_422(
    client, session, dispatcher, change, field
):
    day = Day(session)
    plan = day.plan(session)
    body = {"order_id": day.orders[0].id, "route_id": plan.routes[1].id} | change

    response = client.post(f"/plans/{plan.id}/moves", json=body, headers=dispatcher)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_move"
    assert response.json()["errors"][0]["field"] == field


def test_publishing_assigns_couriers_plans_orders_and_supersedes_the_last_plan(
    client, session, dispatcher
):
    day = Day(session)
    first = day.plan(session)
    second = day.plan(session, routes=((0, 1), (2, 3, 4)))

    assert client.post(f"/plans/{first.id}/publish", headers=dispatcher).status_code == 200
    response = client.post(f"/plans/{second.id}/publish", headers=dispatcher)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "published"
    assert [r["courier_id"] for r in body["routes"]] == [c.id for c in day.couriers]
    assert client.get(f"/plans/{first.id}", headers=dispatcher).json()["status"] == "superseded"
    session.expire_all()
    statuses = [session.get(Order, o.id).status for o in day.orders]
    assert statuses == [OrderStatus.PLANNED] * 5 + [OrderStatus.PLANNABLE]


def test_a_published_plan_is_not_editable(client, session, dispatcher):
    day = Day(session)
    plan = day.plan(session)
    client.post(f"/plans/{plan.id}/publish", headers=dispatcher)

    move = client.post(
        f"/plans/{plan.id}/moves",
        json={"order_id": day.orders[0].id, "route_id": plan.routes[1].id},
        headers=dispatcher,
    )
    again = client.post(f"/plans/{plan.id}/publish", headers=dispatcher)

    assert (move.status_code, again.status_code) == (409, 409)
    assert move.json()["code"] == again.json()["code"] == "plan_not_editable"


def test_a_courier_gets_their_own_manifest_and_no_one_elses(client, session, settings, dispatcher):
    day = Day(session)
    plan = day.plan(session)
    client.post(f"/plans/{plan.id}/publish", headers=dispatcher)
    mine = auth_headers(settings, _user(session, day.couriers[0]))
    other_courier = make_courier(session)
    other = auth_headers(settings, _user(session, other_courier))

    response = client.get("/courier/me/route", params={"day": "2025-03-04"}, headers=mine)

    assert response.status_code == 200, response.text
    manifest = response.json()
    assert manifest["route_id"] == plan.routes[0].id
    assert [s["order_id"] for s in manifest["stops"]] == [o.id for o in day.orders[:3]]
    stop = manifest["stops"][0]
    assert stop["recipient_name"] == "Ada Lovelace"
    assert stop["notes"] == "ring twice"
    assert stop["parcels"] == [{"weight_g": 2000, "volume_cm3": 5000, "count": 1}]
    assert len(stop["windows"]) == 1
    denied = client.get("/courier/me/route", params={"day": "2025-03-04"}, headers=other)
    assert denied.status_code == 404
    assert denied.json()["code"] == "no_route_assigned"
    assert client.get(f"/routes/{plan.routes[0].id}", headers=other).status_code == 404
    assert client.get("/courier/me/route", headers=dispatcher).status_code == 403


def _user(session, courier) -> User:
    user: User = session.get_one(User, courier.user_id)
    return user
