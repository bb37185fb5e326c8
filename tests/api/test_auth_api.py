"""Who may call what: sign-in, anonymous denial, role denial and couriers' own objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from api.app import PUBLIC_PATHS
from api.auth import Allow
from infra.models import Courier, Role, User
from tests.api.authz_matrix import app_operations
from tests.factories import (
    PASSWORD,
    auth_headers,
    make_courier,
    make_route,
    make_shift,
    make_user,
    make_vehicle,
    order_payload,
)


def _allowed_roles(route: APIRoute) -> frozenset[Role] | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Allow):
            return dependant.call.roles
        pending.extend(dependant.dependencies)
    return None


def api_routes(app) -> list[APIRoute]:
    # Included routers too: newer FastAPI keeps them as one entry each in app.routes.
    return list({id(route): route for _, route in app_operations(app)}.values())


def concrete_path(route: APIRoute) -> str:
    return route.path.format(**dict.fromkeys(route.param_convertors, "1"))


def _user_of(session: Session, courier: Courier) -> User:
    return session.get_one(User, courier.user_id)


def test_every_endpoint_but_the_public_ones_declares_its_roles(app):
    undeclared = [
        route.path
        for route in api_routes(app)
        if route.path not in PUBLIC_PATHS and _allowed_roles(route) is None
    ]
    assert undeclared == []


def test_anonymous_callers_are_denied_everything_but_health_and_docs(client, app):
    for route in api_routes(app):
        if route.path in PUBLIC_PATHS:
            continue
        for method in route.methods or ():
            response = client.request(method, concrete_path(route))
            assert response.status_code == 401, (method, route.path, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.json()["code"] == "not_authenticated"


def test_health_and_docs_are_public(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "sameday"


def test_the_password_flow_issues_a_token_naming_the_user_and_role(client, session, settings):
    user = make_user(session, role=Role.DISPATCHER)

    response = client.post("/auth/token", data={"username": user.username, "password": PASSWORD})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(
        body["access_token"],
        settings.secret_key,
        algorithms=["HS256"],
        options={"verify_exp": False},  # issued at the test clock's time
    )
    assert claims["sub"] == str(user.id)
    assert claims["role"] == "dispatcher"
    assert claims["exp"] > claims["iat"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == user.username


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_wrong_credentials_are_a_401(client, session, password):
    user = make_user(session)

    response = client.post("/auth/token", data={"username": user.username, "password": password})

    assert response.status_code in {401, 422}
    if response.status_code == 401:
        assert response.json()["code"] == "invalid_credentials"


def test_an_unknown_user_is_a_401(client):
    response = client.post("/auth/token", data={"username": "ghost\x00", "password": "whatever!"})

    assert response.status_code == 401


def test_an_expired_token_is_a_401(client, session, settings, clock):
    user = make_user(session)
    headers = auth_headers(settings, user, now=clock.now - timedelta(days=2))

    response = client.get("/orders", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"sub": "1", "role": "admin", "iat": 0, "exp": 2**40}, "x" * 40, "HS256"),
    ],
)
def test_a_forged_or_garbled_token_is_a_401(client, token):
    response = client.get("/orders", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_token_of_a_deactivated_user_is_a_401(client, session, settings):
    user = make_user(session)
    headers = auth_headers(settings, user)
    user.is_active = False
    session.flush()

    assert client.get("/orders", headers=headers).status_code == 401


def test_a_token_with_a_stale_role_is_a_401(client, session, settings):
    user = make_user(session, role=Role.ADMIN)
    headers = auth_headers(settings, user)
    user.role = Role.COURIER
    session.flush()

    assert client.get("/users", headers=headers).status_code == 401


def test_a_courier_may_not_take_orders(client, session, settings):
    courier = make_courier(session)
    headers = auth_headers(settings, _user_of(session, courier))

    response = client.post("/orders", json=order_payload(), headers=headers)

    assert response.status_code == 403
    assert response.json()["code"] == "role_denied"


def test_a_dispatcher_may_not_manage_users(client, session, settings):
    headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))

    response = client.post(
        "/users", json={"username": "eve", "password": "x" * 12, "role": "admin"}, headers=headers
    )

    assert response.status_code == 403


def test_an_admin_adds_users_and_a_taken_name_is_a_409(client, session, settings):
    headers = auth_headers(settings, make_user(session, role=Role.ADMIN))
    body = {"username": "new.dispatcher", "password": "long enough 1", "role": "dispatcher"}

    first = client.post("/users", json=body, headers=headers)
    second = client.post("/users", json=body, headers=headers)

    assert first.status_code == 201
    assert "password" not in first.json()
    assert second.status_code == 409
    assert second.json()["code"] == "username_taken"


def test_a_courier_sees_their_own_shift_but_another_couriers_shift_is_a_404(
    client, session, settings
):
    me = make_courier(session)
    other = make_courier(session)
    mine = make_shift(session, me)
    theirs = make_shift(session, other)
    headers = auth_headers(settings, _user_of(session, me))

    assert client.get(f"/shifts/{mine.id}", headers=headers).status_code == 200
    denied = client.get(f"/shifts/{theirs.id}", headers=headers)
    assert denied.status_code == 404
    assert denied.json()["code"] == "shift_not_found"
    listed = client.get("/shifts", params={"courier_id": other.id}, headers=headers).json()
    assert [s["id"] for s in listed] == [mine.id]


def test_a_courier_sees_only_the_vehicle_of_their_shift(client, session, settings):
    me = make_courier(session)
    van = make_vehicle(session)
    other_van = make_vehicle(session)
    make_shift(session, me, vehicle=van)
    headers = auth_headers(settings, _user_of(session, me))

    assert client.get(f"/vehicles/{van.id}", headers=headers).status_code == 200
    assert client.get(f"/vehicles/{other_van.id}", headers=headers).status_code == 404
    assert client.get("/vehicles", headers=headers).status_code == 403


def test_a_courier_sees_only_their_own_route(client, session, settings):
    me = make_courier(session)
    other = make_courier(session)
    mine = make_route(session, vehicle=make_vehicle(session), courier=me)
    theirs = make_route(session, vehicle=make_vehicle(session), courier=other)
    headers = auth_headers(settings, _user_of(session, me))

    response = client.get(f"/routes/{mine.id}", headers=headers)
    assert response.status_code == 200
    assert response.json()["courier_id"] == me.id
    assert client.get(f"/routes/{theirs.id}", headers=headers).status_code == 404


def test_a_courier_sees_only_themself(client, session, settings):
    me = make_courier(session)
    other = make_courier(session)
    headers = auth_headers(settings, _user_of(session, me))

    assert client.get(f"/couriers/{me.id}", headers=headers).status_code == 200
    assert client.get(f"/couriers/{other.id}", headers=headers).status_code == 404


def test_dispatchers_see_every_shift(client, session, settings):
    shift = make_shift(session, make_courier(session))
    headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))

    assert client.get(f"/shifts/{shift.id}", headers=headers).status_code == 200


def test_tokens_are_checked_against_the_request_clock(client, session, settings, clock):
    user = make_user(session)
    clock.now = datetime.now(UTC) + timedelta(days=30)

    assert client.get("/orders", headers=auth_headers(settings, user)).status_code == 401
