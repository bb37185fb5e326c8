"""Who may call what, as data: every route of the app, and per role allowed, 403 or 404.

`tests/api/test_authz_matrix.py` turns each (route, role) cell into a test run with two
principals of that role, and fails when a route of the app is missing here: a new endpoint is
added by adding its row.

- ALLOW: both principals get past authorization (neither 401, 403 nor a 404 for an object
  they may see) on every object of the world, whoever it belongs to.
- DENY: the role may not call the endpoint at all: 403 `role_denied`, for any object.
- OWN: object-level: each principal reaches their own object; the other one's is a 404,
  exactly as an id that does not exist.

The two dispatchers of the world work from different depots and each is scoped to theirs: an
object of the other depot is OWN (404), lists keep to their depot. Admins are never scoped.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute

from infra.models import Role


class Access(enum.Enum):
    ALLOW = "allow"
    DENY = "403"
    OWN = "404 for others' objects"


ALLOW, DENY, OWN = Access.ALLOW, Access.DENY, Access.OWN
STAFF = {Role.ADMIN: ALLOW, Role.DISPATCHER: ALLOW, Role.COURIER: DENY}
ADMIN_ONLY = {Role.ADMIN: ALLOW, Role.DISPATCHER: DENY, Role.COURIER: DENY}
COURIER_OWN = {Role.ADMIN: ALLOW, Role.DISPATCHER: ALLOW, Role.COURIER: OWN}
# Objects of one depot: a depot-scoped dispatcher reaches only their own depot's.
DEPOT_OWN = STAFF | {Role.DISPATCHER: OWN}
COURIER_DEPOT_OWN = COURIER_OWN | {Role.DISPATCHER: OWN}
COURIER_ONLY = {Role.ADMIN: DENY, Role.DISPATCHER: DENY, Role.COURIER: ALLOW}
SIGNED_IN = {Role.ADMIN: ALLOW, Role.DISPATCHER: ALLOW, Role.COURIER: ALLOW}
# Kinds of objects of the world (`tests/api/test_authz_matrix.py`) that fill path parameters;
# a parameter named after none of them gets an id no object has.
OBJECT_KINDS = ("depot", "vehicle", "courier", "shift", "route", "stop", "order", "plan", "code")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    # None: public, no token needed.
    roles: Mapping[Role, Access] | None
    # Path parameter -> kind of object (one of OBJECT_KINDS) whose id or code fills it.
    params: Mapping[str, str] = field(default_factory=dict)
    query: str = ""
    # JSON body; OWN cells of writes need a valid one, or validation answers before ownership.
    body: Any = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _e(method: str, path: str, roles: Mapping[Role, Access] | None, **extra: Any) -> Endpoint:
    kinds = {name: name.removesuffix("_id") for name in _path_params(path)}
    return Endpoint(method, path, roles, params=extra.pop("params", kinds), **extra)


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


STOP_EVENT = {
    "client_event_id": "authz-1",
    "kind": "arrived",
    "occurred_at": "2025-03-04T09:00:00+01:00",
}
INSPECTION = {"odometer_km": 1000, "items": [{"code": "brakes", "passed": True}]}
DAY = "day=2025-03-04"

MATRIX: tuple[Endpoint, ...] = (
    _e("GET", "/health", None),
    _e("POST", "/auth/token", None),
    _e("GET", "/auth/me", SIGNED_IN),
    _e("POST", "/auth/revoke", SIGNED_IN),
    _e("POST", "/users", ADMIN_ONLY),
    _e("GET", "/users", ADMIN_ONLY),
    _e("POST", "/users/{user_id}/revoke-tokens", ADMIN_ONLY),
    _e("POST", "/depots", STAFF),
    _e("GET", "/depots", STAFF),
    _e("GET", "/depots/{depot_id}", DEPOT_OWN),
    _e("POST", "/vehicles", STAFF),
    _e("GET", "/vehicles", STAFF),
    _e("GET", "/vehicles/{vehicle_id}", COURIER_DEPOT_OWN),
    _e("PATCH", "/vehicles/{vehicle_id}", DEPOT_OWN),
    _e("POST", "/couriers", STAFF),
    _e("GET", "/couriers", STAFF),
    _e("GET", "/couriers/{courier_id}", COURIER_DEPOT_OWN),
    _e("POST", "/couriers/{courier_id}/revoke-tokens", DEPOT_OWN),
    _e("POST", "/shifts", STAFF),
    # Lists: a courier's is filtered to their own shifts (tests/api/test_auth_api.py).
    _e("GET", "/shifts", SIGNED_IN),
    _e("GET", "/shifts/{shift_id}", COURIER_DEPOT_OWN),
    _e("POST", "/orders", STAFF),
    _e("POST", "/orders/bulk", STAFF),
    _e("GET", "/orders", STAFF),
    _e("GET", "/orders/{order_id}", DEPOT_OWN),
    _e("GET", "/orders/{order_id}/timeline", DEPOT_OWN),
    _e("PATCH", "/orders/{order_id}", DEPOT_OWN),
    _e("POST", "/orders/{order_id}/cancel", DEPOT_OWN),
    _e("GET", "/routes/{route_id}", COURIER_DEPOT_OWN),
    _e("POST", "/plans", STAFF),
    _e("GET", "/plan-jobs/{job_id}", STAFF),
    _e("GET", "/plans", STAFF),
    _e("GET", "/plans/{plan_id}", DEPOT_OWN),
    _e("GET", "/plans/{plan_id}/geojson", DEPOT_OWN),
    _e("POST", "/plans/{plan_id}/moves", DEPOT_OWN),
    _e("POST", "/plans/{plan_id}/publish", DEPOT_OWN),
    _e("POST", "/plans/{plan_id}/replan", DEPOT_OWN),
    _e("GET", "/replans", STAFF),
    _e("GET", "/replans/{job_id}", STAFF),
    _e("POST", "/replans/{job_id}/accept", STAFF),
    _e("POST", "/replans/{job_id}/reject", STAFF),
    # /courier/me/...: the caller's own by construction; there is no id to swap.
    _e("GET", "/courier/me/route", COURIER_ONLY),
    _e("GET", "/courier/me/day", COURIER_ONLY),
    _e("GET", "/courier", None),
    _e("GET", "/courier/sw.js", None),
    _e("GET", "/", None),
    _e("GET", "/login", None),
    _e("POST", "/login", None),
    _e("POST", "/logout", None),
    _e("GET", "/dispatch", None),
    _e("GET", "/dispatch/plans/{plan_id}/map", None),
    _e("GET", "/dashboard", None),
    _e("POST", "/storage-zones", STAFF),
    _e("GET", "/storage-zones", STAFF),
    _e("POST", "/storage-zones/{zone_id}/readings", STAFF),
    _e("POST", "/batches", STAFF),
    _e("GET", "/batches", STAFF),
    _e("GET", "/batches/{batch_id}", STAFF),
    _e("POST", "/orders/{order_id}/allocation", DEPOT_OWN),
    _e("POST", "/batches/{batch_id}/holds", STAFF),
    _e("GET", "/holds", STAFF),
    _e("GET", "/holds/{hold_id}", STAFF),
    _e("POST", "/holds/{hold_id}/release", STAFF),
    _e("POST", "/holds/{hold_id}/return", STAFF),
    _e("GET", "/stop-removals", STAFF),
    _e("POST", "/inspection-templates", STAFF),
    _e("GET", "/vehicles/{vehicle_id}/checklist", COURIER_DEPOT_OWN),
    _e("POST", "/vehicles/{vehicle_id}/inspections", COURIER_DEPOT_OWN, body=INSPECTION),
    _e("GET", "/vehicles/{vehicle_id}/inspections", COURIER_DEPOT_OWN),
    _e("POST", "/vehicles/{vehicle_id}/repairs", DEPOT_OWN),
    _e("POST", "/routes/{route_id}/depart", COURIER_DEPOT_OWN),
    _e("GET", "/kpis", STAFF),
    _e("GET", "/kpis.csv", STAFF),
    _e("GET", "/kpis.xlsx", STAFF),
    _e("GET", "/notifications", STAFF),
    _e("GET", "/admin/clock", ADMIN_ONLY),
    _e("PUT", "/admin/clock", ADMIN_ONLY),
    _e("GET", "/slots", STAFF, query="lat=52.52&lng=13.40"),
    _e("POST", "/slots", STAFF),
    _e("POST", "/slots/book", STAFF),
    _e("POST", "/courier/me/pings", COURIER_ONLY),
    _e(
        "POST",
        "/courier/me/stops/{stop_id}/events",
        COURIER_ONLY | {Role.COURIER: OWN},
        body=STOP_EVENT,
    ),
    _e("GET", "/routes/{route_id}/etas", COURIER_DEPOT_OWN),
    _e("GET", "/track/{code}", None),
    _e("POST", "/track/{code}/feedback", None),
    _e("POST", "/track/{code}/complaints", None),
    _e("POST", "/track/{code}/returns", None),
    _e("POST", "/orders/{order_id}/complaints", DEPOT_OWN),
    _e("GET", "/complaints", STAFF),
    _e("GET", "/complaints/{complaint_id}", STAFF),
    _e("PATCH", "/complaints/{complaint_id}", STAFF),
    _e("POST", "/orders/{order_id}/returns", DEPOT_OWN),
    _e("GET", "/returns", STAFF),
    _e("GET", "/returns/{return_id}", STAFF),
    _e("POST", "/returns/{return_id}/receive", STAFF),
    _e("GET", "/track/{code}/redelivery", None),
    _e("POST", "/track/{code}/redelivery", None),
    _e("POST", "/orders/{order_id}/collected", DEPOT_OWN),
    _e("POST", "/orders/{order_id}/compensations", DEPOT_OWN),
    _e("POST", "/compensations/{compensation_id}/void", STAFF),
    _e("GET", "/compensations", STAFF),
    _e("GET", "/customers/{customer_key}/ledger", STAFF, params={"customer_key": "code"}),
    # A stream: bounded so the request ends.
    _e("GET", "/live/events", STAFF, query=f"{DAY}&timeout_s=0.01&max_events=1"),
    _e("GET", "/live/couriers", STAFF, query=DAY),
)


def app_operations(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(method, route) for every operation the app serves, in included routers too."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    routes = (
        [context.original_route for context in iterate(app.routes)]
        if iterate is not None
        else list(app.routes)
    )
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                yield method, route
