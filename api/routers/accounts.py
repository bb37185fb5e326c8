"""Sign-in (OAuth2 password flow) and user accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import TOKEN_COOKIE, AdminActor, StaffActor, issue_token
from api.deps import IdPath, NowDep, SessionDep, SettingsDep
from api.errors import NotAuthenticated
from api.schemas.accounts import Me, Token, UserIn, UserOut
from infra import accounts

router = APIRouter(tags=["accounts"])


@router.post("/auth/token")
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Token:
    """Public: exchanges a username and password for a bearer token."""
    user = accounts.authenticate(session, username=form.username, password=form.password)
    if user is None:
        raise NotAuthenticated("invalid_credentials", "unknown username or wrong password")
    token, ttl_s = issue_token(settings, user, now=now)
    return Token(access_token=token, expires_in=ttl_s)


@router.get("/auth/me")
def who_am_i(actor: StaffActor) -> Me:
    """Any signed-in user: who the token belongs to."""
    return Me(
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        courier_id=actor.courier_id,
    )


@router.post("/auth/revoke", status_code=204)
def sign_out_everywhere(
    response: Response, session: SessionDep, now: NowDep, actor: StaffActor
) -> None:
    """Any signed-in user: every token they hold stops working, this one included (a lost
    device, a shared computer); they sign in again."""
    accounts.revoke_tokens(session, actor.user_id, now=now)
    response.delete_cookie(TOKEN_COOKIE)


@router.post("/users", status_code=201)
def add_user(payload: UserIn, session: SessionDep, _actor: AdminActor) -> UserOut:
    """Admins: adds a dispatcher, courier or admin account."""
    user = accounts.register_user(
        session,
        username=payload.username,
        password=payload.password,
        role=payload.role,
        depot_id=payload.depot_id,
    )
    return UserOut.model_validate(user)


@router.get("/users")
def list_users(session: SessionDep, _actor: AdminActor) -> list[UserOut]:
    """Admins: every account."""
    return [UserOut.model_validate(user) for user in accounts.list_users(session)]


@router.post("/users/{user_id}/revoke-tokens")
def revoke_user_tokens(
    user_id: IdPath, session: SessionDep, now: NowDep, _actor: AdminActor
) -> UserOut:
    """Admins: every token the user holds stops working, whatever their role; the user signs
    in again."""
    user = accounts.revoke_tokens(session, user_id, now=now)
    return UserOut.model_validate(user)
