"""The authorization matrix, one test per (route, role) cell, each with two principals."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.app import PUBLIC_PATHS, create_app
from infra.models import Plan, Role, User
from tests.api.authz_matrix import MATRIX, OBJECT_KINDS, Access, Endpoint, app_operations
from tests.factories import auth_headers, make_shift, make_user
from tests.tracking.routes import make_tracked_route

# An id no object has: what a parameter outside OBJECT_KINDS gets.
NO_SUCH_ID = 987_654


@dataclass
class Principal:
    user: User
    # The ids (and the tracking code) of this principal's objects; a dispatcher's or admin's
    # are those of the courier working from the same depot (the dispatcher's depot).
    objects: dict[str, Any]


def _courier_world(session: Session) -> tuple[User, dict[str, Any]]:
    """A courier with a shift today, a departed route of one stop, in a depot of its own."""
    setup = make_tracked_route(session, stops=1)
    # Everything of this world is the vehicle's depot's, as is the dispatcher of that depot.
    depot_id = setup.vehicle.depot_id
    setup.courier.depot_id = depot_id
    session.get_one(Plan, setup.route.plan_id).depot_id = depot_id
    for order in setup.orders:
        order.depot_id = depot_id
    shift = make_shift(session, setup.courier, vehicle=setup.vehicle)
    order = setup.orders[0]
    objects = {
        "depot": setup.vehicle.depot_id,
        "vehicle": setup.vehicle.id,
        "courier": setup.courier.id,
        "shift": shift.id,
        "route": setup.route.id,
        "stop": setup.stops[0].id,
        "order": order.id,
        "plan": setup.route.plan_id,
        "code": order.tracking_code,
    }
    assert set(objects) == set(OBJECT_KINDS)
    return setup.user, objects


def principals(session: Session, role: Role) -> tuple[Principal, Principal]:
    worlds = [_courier_world(session), _courier_world(session)]
    if role is Role.COURIER:
        first, second = (Principal(user, objects) for user, objects in worlds)
    else:
        first, second = (
            Principal(make_user(session, role=role, depot_id=_depot_of(role, objects)), objects)
            for _, objects in worlds
        )
    return first, second


def _depot_of(role: Role, objects: dict[str, Any]) -> int | None:
    """Dispatchers are scoped to their world's depot; admins never are."""
    return objects["depot"] if role is Role.DISPATCHER else None


def url(endpoint: Endpoint, objects: dict[str, Any]) -> str:
    values = {name: objects.get(kind, NO_SUCH_ID) for name, kind in endpoint.params.items()}
    path = endpoint.path.format(**values)
    return f"{path}?{endpoint.query}" if endpoint.query else path


def call(client, endpoint: Endpoint, objects: dict[str, Any], headers: dict[str, str]):
    body = endpoint.body
    if isinstance(body, dict) and "client_event_id" in body:
        # A retry id is the courier's: each call is a first attempt, not a replay.
        body = body | {"client_event_id": secrets.token_hex(8)}
    return client.request(endpoint.method, url(endpoint, objects), json=body, headers=headers)


def _refers_to_objects(endpoint: Endpoint) -> bool:
    return any(kind in OBJECT_KINDS for kind in endpoint.params.values())


def _assert_passes(response, endpoint: Endpoint, *, found: bool) -> None:
    what = (endpoint.key, response.status_code, response.text[:300])
    assert response.status_code < 500, what
    assert response.status_code not in (401, 403), what
    if found:
        assert response.status_code != 404, what
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", what


CELLS = [
    pytest.param(endpoint, role, id=f"{endpoint.key} as {role.value}")
    for endpoint in MATRIX
    if endpoint.roles is not None
    for role in Role
]
PUBLIC = [pytest.param(endpoint, id=endpoint.key) for endpoint in MATRIX if endpoint.roles is None]
PROTECTED = [
    pytest.param(endpoint, id=endpoint.key) for endpoint in MATRIX if endpoint.roles is not None
]


@pytest.mark.parametrize(("endpoint", "role"), CELLS)
def test_cell(client, session, settings, endpoint: Endpoint, role: Role):
    assert endpoint.roles is not None
    access = endpoint.roles[role]
    first, second = principals(session, role)
    pairs = [(first, second), (second, first)]
    for me, other in pairs:
        headers = auth_headers(settings, me.user)
        if access is Access.DENY:
            for objects in (me.objects, other.objects):
                response = call(client, endpoint, objects, headers)
                assert response.status_code == 403, (endpoint.key, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["code"] == "role_denied"
        elif access is Access.OWN:
            mine = call(client, endpoint, me.objects, headers)
            _assert_passes(mine, endpoint, found=True)
            theirs = call(client, endpoint, other.objects, headers)
            assert theirs.status_code == 404, (endpoint.key, theirs.text)
            assert theirs.headers["content-type"] == "application/problem+json"
        else:
            # Not scoped (admins; dispatchers on what belongs to no depot): both principals
            # reach every object, whoever's it is.
            for objects in (me.objects, other.objects):
                response = call(client, endpoint, objects, headers)
                _assert_passes(response, endpoint, found=_refers_to_objects(endpoint))


@pytest.mark.parametrize("endpoint", PROTECTED)
def test_anonymous_callers_get_a_401(client, endpoint: Endpoint):
    response = client.request(endpoint.method, url(endpoint, {}), json=endpoint.body)

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("endpoint", PUBLIC)
def test_public_endpoints_need_no_token(client, session, endpoint: Endpoint):
    _, objects = _courier_world(session)

    response = client.request(endpoint.method, url(endpoint, objects), json=endpoint.body)

    assert response.status_code != 401, response.text
    assert response.status_code < 500, response.text
    assert endpoint.path in PUBLIC_PATHS


def test_every_route_of_the_app_is_in_the_matrix(settings):
    served = {f"{method} {route.path}" for method, route in app_operations(create_app(settings))}
    listed = [endpoint.key for endpoint in MATRIX]

    assert len(listed) == len(set(listed)), "a route is listed twice"
    assert sorted(served - set(listed)) == [], "add these routes to tests/api/authz_matrix.py"
    assert sorted(set(listed) - served) == [], "these rows name routes the app does not serve"


def test_the_matrix_agrees_with_each_routes_declared_roles(settings):
    from tests.api.test_auth_api import _allowed_roles

    declared = {
        f"{method} {route.path}": _allowed_roles(route)
        for method, route in app_operations(create_app(settings))
    }
    for endpoint in MATRIX:
        allowed = declared[endpoint.key]
        if endpoint.roles is None:
            assert allowed is None, endpoint.key
            continue
        assert allowed is not None, endpoint.key
        granted = {role for role, access in endpoint.roles.items() if access is not Access.DENY}
        assert granted == set(allowed), endpoint.key
