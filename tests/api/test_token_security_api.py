"""Access tokens under attack: every forged, stale or revoked token is a 401 problem."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy.orm import Session

from api.auth import ALGORITHM
from infra.models import Role, User
from tests.factories import PASSWORD, auth_headers, make_courier, make_user


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _b64(document: dict[str, Any]) -> str:
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _with_claims(token: str, **changes: Any) -> str:
    """The token with its payload changed and its signature kept: what a tamperer sends."""
    header, _, signature = token.split(".")
    return ".".join([header, _b64(_claims(token) | changes), signature])


def _token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _assert_refused(client, token: str) -> None:
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "invalid_token"


@pytest.fixture
def dispatcher(session) -> User:
    return make_user(session, role=Role.DISPATCHER)


@pytest.fixture
def good_token(settings, dispatcher, clock) -> str:
    return _token_of(auth_headers(settings, dispatcher, now=clock.now))


def test_the_untouched_token_is_accepted(client, good_token):
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {good_token}"})

    assert response.status_code == 200


def test_an_expired_token_is_refused(client, settings, dispatcher, clock):
    issued = clock.now - timedelta(seconds=settings.security.token_ttl_s + 1)

    _assert_refused(client, _token_of(auth_headers(settings, dispatcher, now=issued)))


def test_an_unsigned_alg_none_token_is_refused(client, good_token):
    unsigned = jwt.encode(_claims(good_token), key="", algorithm="none")

    _assert_refused(client, unsigned)


def test_a_hand_made_alg_none_token_with_an_admin_role_is_refused(client, good_token):
    header = _b64({"alg": "none", "typ": "JWT"})

    _assert_refused(client, f"{header}.{_b64(_claims(good_token) | {'role': 'admin'})}.")


def test_a_token_signed_with_another_key_is_refused(client, good_token):
    forged = jwt.encode(_claims(good_token), "another key " + "x" * 32, algorithm=ALGORITHM)

    _assert_refused(client, forged)


@pytest.mark.parametrize(
    "change", [{"role": "admin"}, {"exp": 2**40}, {"iat": 2**40}], ids=["role", "exp", "iat"]
)
def test_a_token_with_tampered_claims_is_refused(client, good_token, change):
    _assert_refused(client, _with_claims(good_token, **change))


def test_a_token_whose_subject_was_changed_to_an_admin_is_refused(client, session, good_token):
    admin = make_user(session, role=Role.ADMIN)

    _assert_refused(client, _with_claims(good_token, sub=str(admin.id), role="admin"))


@pytest.mark.parametrize("missing", ["sub", "role", "exp", "iat"])
def test_a_token_missing_a_claim_is_refused(client, settings, good_token, missing):
    claims = _claims(good_token)
    del claims[missing]

    _assert_refused(client, jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM))


@pytest.mark.parametrize(
    "change", [{"sub": "0"}, {"sub": "x"}, {"sub": str(2**70)}, {"iat": "yesterday"}]
)
def test_a_signed_token_with_nonsense_claims_is_refused(client, settings, good_token, change):
    claims = _claims(good_token) | change

    _assert_refused(client, jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM))


def _sign_in(client, username: str) -> str:
    response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _signed_in_anew(client, username: str) -> dict[str, Any]:
    """Who a fresh sign-in's token belongs to."""
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {_sign_in(client, username)}"})
    assert me.status_code == 200, me.text
    found: dict[str, Any] = me.json()
    return found


def test_a_revoked_couriers_old_token_is_refused_and_a_new_sign_in_works(
    client, session, settings, dispatcher, clock
):
    courier = make_courier(session)
    user = session.get_one(User, courier.user_id)
    old = _sign_in(client, user.username)
    clock.now += timedelta(minutes=5)

    revoked = client.post(
        f"/couriers/{courier.id}/revoke-tokens", headers=auth_headers(settings, dispatcher)
    )

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == courier.id
    _assert_refused(client, old)
    assert _signed_in_anew(client, user.username)["courier_id"] == courier.id


def test_revoking_one_courier_leaves_the_others_signed_in(
    client, session, settings, dispatcher, clock
):
    mine = make_courier(session)
    other = make_courier(session)
    other_headers = auth_headers(settings, session.get_one(User, other.user_id), now=clock.now)
    clock.now += timedelta(seconds=1)

    client.post(f"/couriers/{mine.id}/revoke-tokens", headers=auth_headers(settings, dispatcher))

    assert client.get("/auth/me", headers=other_headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "refused", "allowed", "unknown_code"),
    [
        ("/couriers/{}/revoke-tokens", Role.COURIER, Role.DISPATCHER, "courier_not_found"),
        ("/users/{}/revoke-tokens", Role.DISPATCHER, Role.ADMIN, "user_not_found"),
    ],
)
def test_who_may_not_revoke_tokens_is_refused_and_unknown_ids_are_a_404(
    client, session, settings, path, refused, allowed, unknown_code
):
    courier = make_courier(session)
    target = courier.id if path.startswith("/couriers") else courier.user_id
    as_refused = auth_headers(settings, make_user(session, role=refused))
    as_allowed = auth_headers(settings, make_user(session, role=allowed))

    denied = client.post(path.format(target), headers=as_refused)
    unknown = client.post(path.format(999999), headers=as_allowed)

    assert denied.status_code == 403
    assert unknown.status_code == 404
    assert unknown.json()["code"] == unknown_code


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.ADMIN])
def test_an_admin_revokes_any_user_s_tokens_and_a_new_sign_in_works(
    client, session, settings, clock, role
):
    user = make_user(session, role=role)
    old = _sign_in(client, user.username)
    clock.now += timedelta(minutes=5)

    revoked = client.post(
        f"/users/{user.id}/revoke-tokens",
        headers=auth_headers(settings, make_user(session, role=Role.ADMIN)),
    )

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == user.id
    _assert_refused(client, old)
    assert _signed_in_anew(client, user.username)["user_id"] == user.id


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.ADMIN, Role.COURIER])
def test_a_user_signs_out_everywhere_and_signs_in_again(client, session, settings, clock, role):
    user = make_courier_user(session) if role is Role.COURIER else make_user(session, role=role)
    other_device = _sign_in(client, user.username)
    this_device = _sign_in(client, user.username)
    bystander = auth_headers(settings, make_user(session, role=role), now=clock.now)
    clock.now += timedelta(minutes=5)

    signed_out = client.post("/auth/revoke", headers={"Authorization": f"Bearer {this_device}"})

    assert signed_out.status_code == 204, signed_out.text
    _assert_refused(client, this_device)
    _assert_refused(client, other_device)
    assert client.get("/auth/me", headers=bystander).status_code == 200
    _signed_in_anew(client, user.username)


def make_courier_user(session: Session) -> User:
    return session.get_one(User, make_courier(session).user_id)
