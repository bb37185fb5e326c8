"""Depot scoping of dispatchers beyond the authorization matrix: two depots, a dispatcher scoped
to each, an unscoped dispatcher and an admin, over the objects, lists, creations, KPIs and
pages the matrix's world does not hold."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import TOKEN_COOKIE, issue_token
from infra.models import (
    Courier,
    Depot,
    NotificationOutbox,
    Order,
    OrderStatus,
    Plan,
    PlanJob,
    Role,
    StopRemoval,
    StorageZone,
    User,
    Vehicle,
)
from infra.models.planning import JobKind, JobStatus
from tests.factories import (
    DAY,
    auth_headers,
    make_batch,
    make_courier,
    make_depot,
    make_order,
    make_published_route,
    make_user,
    make_vehicle,
    make_zone,
    order_payload,
)
from tests.reports.small_day import build_small_day

# An id no object has: the reference answer of an unknown id.
NO_SUCH_ID = 987_654
DAY_QUERY = {"day": DAY.isoformat()}


@dataclass
class World:
    # Per depot ("a", "b"): the id of one object of each kind, by kind.
    ids: dict[str, dict[str, int]]
    # "a", "b": the dispatchers scoped to them; "unscoped": a dispatcher of every depot; "admin".
    users: dict[str, User]
    headers: dict[str, dict[str, str]]


def _depot_objects(client, session: Session, admin: dict[str, str]) -> dict[str, int]:
    """One depot with one object of each kind; what the API makes is made by the admin."""
    depot = make_depot(session)
    vehicle = make_vehicle(session, depot_id=depot.id)
    courier = make_courier(session, depot_id=depot.id)
    planned = make_order(session, depot_id=depot.id)
    delivered = make_order(
        session, depot_id=depot.id, status=OrderStatus.DELIVERED, recipient_email="a@example.org"
    )
    route = make_published_route(session, vehicle=vehicle, courier=courier, orders=[planned])
    base = route.plan
    base.depot_id = depot.id
    proposal = Plan(service_date=DAY, depot_id=depot.id, base_plan_id=base.id)
    session.add(proposal)
    session.flush()
    jobs = [
        PlanJob(service_date=DAY, depot_id=depot.id, time_limit_s=2),
        PlanJob(
            service_date=DAY,
            depot_id=depot.id,
            kind=JobKind.REPLAN,
            status=JobStatus.SUCCEEDED,
            base_plan_id=base.id,
            plan_id=proposal.id,
            time_limit_s=2,
        ),
    ]
    notification = NotificationOutbox(
        order_id=delivered.id,
        channel="email",
        recipient="a@example.org",
        template_code="delivered",
        payload={},
    )
    session.add_all([*jobs, notification])
    zone = make_zone(session, depot)
    batch = make_batch(session, zone)
    session.flush()

    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body, headers=admin)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    hold = made(f"/batches/{batch.id}/holds", {"reason": "manual"})["hold"]["id"]
    returned = made(f"/orders/{delivered.id}/returns", {"reason": "faulty_goods"})
    # The goods came back: the return may be received.
    session.get_one(Order, returned["pickup_order_id"]).status = OrderStatus.DELIVERED
    removal = StopRemoval(
        route_id=route.id,
        plan_id=base.id,
        order_id=planned.id,
        hold_id=hold,
        sequence=1,
        reason_text="held",
        removed_at=datetime.now(UTC),
    )
    session.add(removal)
    session.flush()
    return {
        "depot": depot.id,
        "vehicle": vehicle.id,
        "courier": courier.id,
        "order": delivered.id,
        "plan": base.id,
        "plan_job": jobs[0].id,
        "replan": jobs[1].id,
        "zone": zone.id,
        "batch": batch.id,
        "hold": hold,
        "stop_removal": removal.id,
        "notification": notification.id,
        "complaint": made(
            f"/orders/{delivered.id}/complaints", {"category": "late", "description": "late"}
        )["id"],
        "return": returned["id"],
        "compensation": made(
            f"/orders/{delivered.id}/compensations",
            {"kind": "bonus_points", "points": 100, "reason": "late"},
        )["id"],
    }


@pytest.fixture
def world(client, session, settings) -> World:
    admin = make_user(session, role=Role.ADMIN)
    admin_headers = auth_headers(settings, admin)
    ids = {side: _depot_objects(client, session, admin_headers) for side in ("a", "b")}
    users = {
        "a": make_user(session, depot_id=ids["a"]["depot"]),
        "b": make_user(session, depot_id=ids["b"]["depot"]),
        "unscoped": make_user(session),
        "admin": admin,
    }
    headers = {name: auth_headers(settings, user) for name, user in users.items()}
    return World(ids, users, headers)


def _call(client, method: str, path: str, object_id: int, body: Any, headers: dict[str, str]):
    return client.request(method, path.format(object_id), json=body, headers=headers)


# Routes of one object whose kind the matrix's world does not hold: (method, path, kind, body).
OBJECT_ROUTES = [
    ("GET", "/plan-jobs/{}", "plan_job", None),
    ("GET", "/replans/{}", "replan", None),
    ("POST", "/replans/{}/accept", "replan", None),
    ("POST", "/replans/{}/reject", "replan", None),
    (
        "POST",
        "/storage-zones/{}/readings",
        "zone",
        {"readings": [{"measured_at": "2025-03-04T08:00:00+01:00", "temperature_c": 4.0}]},
    ),
    ("GET", "/batches/{}", "batch", None),
    ("POST", "/batches/{}/holds", "batch", {"reason": "manual"}),
    ("GET", "/holds/{}", "hold", None),
    ("POST", "/holds/{}/release", "hold", {}),
    ("POST", "/holds/{}/return", "hold", {"reason": "spoilt"}),
    ("GET", "/complaints/{}", "complaint", None),
    ("PATCH", "/complaints/{}", "complaint", {"status": "in_progress"}),
    ("GET", "/returns/{}", "return", None),
    ("POST", "/returns/{}/receive", "return", {}),
    ("POST", "/compensations/{}/void", "compensation", {"reason": "by mistake"}),
]


@pytest.mark.parametrize(
    ("method", "path", "kind", "body"),
    OBJECT_ROUTES,
    ids=[f"{method} {path}" for method, path, _, _ in OBJECT_ROUTES],
)
def test_a_scoped_dispatcher_reaches_their_depots_object_and_not_the_others(
    client, world: World, method: str, path: str, kind: str, body: Any
):
    mine, theirs = world.ids["a"][kind], world.ids["b"][kind]
    unknown = _call(client, method, path, NO_SUCH_ID, body, world.headers["admin"])

    refused = _call(client, method, path, theirs, body, world.headers["a"])
    own = _call(client, method, path, mine, body, world.headers["a"])

    assert refused.status_code == unknown.status_code == 404, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    # Word for word what an unknown id answers: nothing tells it apart from a missing one.
    assert refused.json() == json.loads(unknown.text.replace(str(NO_SUCH_ID), str(theirs)))
    assert own.status_code < 300, own.text
    # The refused call changed nothing: their own dispatcher still can make it, once.
    assert _call(client, method, path, theirs, body, world.headers["b"]).status_code < 300


# Lists: (path, kind of the objects listed, the field naming each object's id, query).
LISTS = [
    ("/orders", "order", "id", {}),
    ("/plans", "plan", "id", {}),
    ("/vehicles", "vehicle", "id", {}),
    ("/couriers", "courier", "id", {}),
    ("/depots", "depot", "id", {}),
    ("/storage-zones", "zone", "id", {}),
    ("/batches", "batch", "id", {}),
    ("/holds", "hold", "id", {}),
    ("/stop-removals", "stop_removal", "id", {}),
    ("/complaints", "complaint", "id", {}),
    ("/returns", "return", "id", {}),
    ("/compensations", "compensation", "id", {}),
    ("/notifications", "notification", "id", {}),
    ("/replans", "replan", "id", DAY_QUERY),
    ("/live/couriers", "courier", "courier_id", DAY_QUERY),
]


@pytest.mark.parametrize(("path", "kind", "key", "query"), LISTS, ids=[p for p, *_ in LISTS])
def test_lists_keep_to_a_scoped_dispatchers_depot(
    client, world: World, path: str, kind: str, key: str, query: dict[str, str]
):
    def listed(who: str, **more: int) -> set[int]:
        response = client.get(path, params=query | more, headers=world.headers[who])
        assert response.status_code == 200, (who, response.text)
        return {item[key] for item in response.json()}

    a, b = world.ids["a"][kind], world.ids["b"][kind]
    for who, own, other in (("a", a, b), ("b", b, a)):
        assert own in listed(who)
        assert other not in listed(who)
        assert own in listed(who, depot_id=world.ids[who]["depot"])
    for who in ("unscoped", "admin"):
        assert {a, b} <= listed(who)
    other_depot = world.ids["b"]["depot"]
    refused = client.get(path, params=query | {"depot_id": other_depot}, headers=world.headers["a"])
    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "depot_not_found"


def _vehicle_body(session: Session) -> dict[str, Any]:
    return {
        "code": f"V-{make_user(session).id}",
        "type": "van",
        "max_weight_kg": 500,
        "max_volume_l": 3000,
        "max_parcels": 80,
        "shift_start": "08:00",
        "shift_end": "18:00",
    }


def _courier_body(session: Session) -> dict[str, Any]:
    return {"user_id": make_user(session, role=Role.COURIER).id, "name": "Grace"}


def _zone_body(session: Session) -> dict[str, Any]:
    return {"code": f"Z-{make_user(session).id}", "name": "Dry", "storage_mode": "ambient"}


# Creations in a depot: (path, the body without a depot, the model whose rows it adds).
CREATIONS = [
    ("/orders", lambda _session: order_payload(), Order),
    ("/vehicles", _vehicle_body, Vehicle),
    ("/couriers", _courier_body, Courier),
    ("/storage-zones", _zone_body, StorageZone),
    ("/plans", lambda _session: {"service_date": DAY.isoformat()}, PlanJob),
]


@pytest.mark.parametrize(("path", "body", "model"), CREATIONS, ids=[p for p, *_ in CREATIONS])
def test_a_scoped_dispatcher_creates_only_in_their_depot(
    client, session, world: World, path: str, body, model: type[Any]
):
    def rows() -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    before = rows()
    other = body(session) | {"depot_id": world.ids["b"]["depot"]}
    refused = client.post(path, json=other, headers=world.headers["a"])

    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "depot_not_found"
    assert rows() == before
    own_depot = world.ids["a"]["depot"]
    # A storage zone always names its depot; the others default to the dispatcher's.
    mine = body(session) | ({"depot_id": own_depot} if model is StorageZone else {})
    created = client.post(path, json=mine, headers=world.headers["a"])
    assert created.status_code in (201, 202), created.text
    assert created.json()["depot_id"] == own_depot
    assert rows() == before + 1
    # Unscoped users still work in any depot.
    for who in ("unscoped", "admin"):
        anywhere = client.post(path, json=other | body(session), headers=world.headers[who])
        assert anywhere.status_code in (201, 202), (who, anywhere.text)
        assert anywhere.json()["depot_id"] == world.ids["b"]["depot"]


def test_admins_give_a_dispatcher_a_depot_and_read_it_back(client, session, settings):
    depot = make_depot(session)
    admin = auth_headers(settings, make_user(session, role=Role.ADMIN))
    body = {"username": "depot-dispatcher", "password": "long enough", "role": "dispatcher"}

    created = client.post("/users", json=body | {"depot_id": depot.id}, headers=admin)

    assert created.status_code == 201, created.text
    assert created.json()["depot_id"] == depot.id
    listed = {u["username"]: u for u in client.get("/users", headers=admin).json()}
    assert listed["depot-dispatcher"]["depot_id"] == depot.id
    assert listed[body["username"]]["role"] == "dispatcher"


@pytest.mark.parametrize(
    ("role", "depot"),
    [("courier", "known"), ("admin", "known"), ("dispatcher", "unknown")],
)
def test_only_a_dispatcher_gets_a_depot_and_only_one_that_exists(
    client, session, settings, role: str, depot: str
):
    depot_id = make_depot(session).id if depot == "known" else NO_SUCH_ID
    admin = auth_headers(settings, make_user(session, role=Role.ADMIN))
    body = {"username": f"u-{role}", "password": "long enough", "role": role, "depot_id": depot_id}

    response = client.post("/users", json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_user_depot"
    assert [e["field"] for e in response.json()["errors"]] == ["depot_id"]
    assert session.scalar(select(User).where(User.username == body["username"])) is None


def _small_days(session: Session) -> tuple[str, str, int]:
    """The hand-made day twice, each in a depot of its own with plans of that depot; the two
    depots' codes and the first depot's id."""
    codes = []
    for _ in range(2):
        code = build_small_day(session).depot_code
        depot_id = session.scalar(select(Depot.id).where(Depot.code == code))
        # The small day's plans are of every depot; here they are their depot's, so each
        # depot keeps its own day plan.
        for plan in session.scalars(select(Plan).where(Plan.depot_id.is_(None))):
            plan.depot_id = depot_id
        codes.append(code)
    session.flush()
    first_id = session.scalar(select(Depot.id).where(Depot.code == codes[0]))
    assert first_id is not None
    return codes[0], codes[1], first_id


def test_kpis_count_only_a_scoped_dispatchers_depot(client, session, settings):
    code_a, code_b, depot_a = _small_days(session)
    scoped = auth_headers(settings, make_user(session, depot_id=depot_a))
    unscoped = auth_headers(settings, make_user(session))
    period = {"from": DAY.isoformat(), "to": DAY.isoformat()}

    def kpis(headers: dict[str, str], **query: Any) -> dict[str, Any]:
        response = client.get("/kpis", params=period | query, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    everything = kpis(unscoped, by="depot")
    own = kpis(scoped, by="depot")

    # The small day's counts once, not twice; the same as the depot's group of the whole.
    assert (own["totals"]["deliveries"], everything["totals"]["deliveries"]) == (3, 6)
    assert (own["totals"]["complaints"], own["totals"]["unserved_orders"]) == (4, 1)
    assert [g["group"] for g in own["groups"]] == [code_a]
    groups = {g.pop("group"): g for g in everything["groups"]}
    assert set(groups) == {code_a, code_b}
    assert {k: v for k, v in own["totals"].items() if k != "group"} == groups[code_a]
    assert {(h["reason"], h["holds"]) for h in own["holds_by_cause"]} == {
        ("temperature_excursion", 1),
        ("manual", 1),
    }
    # An unscoped user may ask for one depot; a scoped one not for another.
    assert kpis(unscoped, depot_id=depot_a)["totals"] == own["totals"]
    other = session.scalar(select(Depot.id).where(Depot.code == code_b))
    for path in ("/kpis", "/kpis.csv", "/kpis.xlsx"):
        refused = client.get(path, params=period | {"depot_id": other}, headers=scoped)
        assert refused.status_code == 404, (path, refused.text)
    csv_text = client.get("/kpis.csv", params=period | {"by": "depot"}, headers=scoped).text
    assert code_a in csv_text
    assert code_b not in csv_text


def test_the_dashboard_shows_a_scoped_dispatcher_their_depots_kpis_and_map(
    client, session, settings
):
    code_a, code_b, depot_a = _small_days(session)
    _sign_in(client, settings, make_user(session, depot_id=depot_a))

    page = client.get("/dashboard", params={"from": DAY.isoformat(), "by": "depot"})

    assert page.status_code == 200, page.text
    assert code_a in page.text
    assert code_b not in page.text
    own_plans = session.scalars(select(Plan.id).where(Plan.depot_id == depot_a))
    assert re.findall(r"/dispatch/plans/(\d+)/map", page.text)[0] in {str(i) for i in own_plans}


def _sign_in(client, settings, user: User) -> None:
    token, _ = issue_token(settings, user, now=datetime.now(UTC))
    client.cookies.set(TOKEN_COOKIE, token)


def _page_ids(page: str, attribute: str) -> set[int]:
    return {int(i) for i in re.findall(rf'{attribute}="(\d+)"', page)}


def test_the_dispatch_page_shows_a_scoped_dispatcher_only_their_depot(
    client, settings, world: World
):
    for name, own, other in (("a", "a", "b"), ("b", "b", "a"), ("unscoped", None, None)):
        _sign_in(client, settings, world.users[name])

        page = client.get("/dispatch", params=DAY_QUERY)

        assert page.status_code == 200, page.text
        done = re.search(r'data-done="([\d ]*)"', page.text)
        assert done is not None
        shown = {
            "plan": {int(i) for i in re.findall(r'plan_id=(\d+)"', page.text)},
            "hold": _page_ids(page.text, "data-hold-id"),
            "vehicle": _page_ids(page.text, "data-vehicle-id"),
            "notification": _page_ids(page.text, "data-notification-id"),
            "replan": _page_ids(page.text, "data-job-id"),
            # The live map's delivered orders.
            "order": {int(i) for i in done[1].split()},
        }
        for kind, ids in shown.items():
            if own is None or other is None:
                assert {world.ids["a"][kind], world.ids["b"][kind]} <= ids, kind
            else:
                assert world.ids[own][kind] in ids, (name, kind)
                assert world.ids[other][kind] not in ids, (name, kind)


def test_a_plan_map_of_another_depot_is_a_404_to_a_scoped_dispatcher(
    client, settings, world: World
):
    _sign_in(client, settings, world.users["a"])

    theirs = client.get(f"/dispatch/plans/{world.ids['b']['plan']}/map")
    unknown = client.get(f"/dispatch/plans/{NO_SUCH_ID}/map")
    own = client.get(f"/dispatch/plans/{world.ids['a']['plan']}/map")

    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["code"] == unknown.json()["code"] == "plan_not_found"
    assert own.status_code == 200, own.text
    _sign_in(client, settings, world.users["unscoped"])
    assert client.get(f"/dispatch/plans/{world.ids['b']['plan']}/map").status_code == 200
