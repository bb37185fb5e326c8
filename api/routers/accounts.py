"""Sign-in (OAuth2 password flow) and user accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import AdminActor, StaffActor, issue_token
from api.deps import NowDep, SessionDep, SettingsDep
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


@router.post("/users", status_code=201)
def add_user(payload: UserIn, session: SessionDep, _actor: AdminActor) -> UserOut:
    """Admins: adds a dispatcher, courier or admin account."""
    user = accounts.register_user(
        session, username=payload.username, password=payload.password, role=payload.role
    )
    return UserOut.model_validate(user)


@router.get("/users")
def list_users(session: SessionDep, _actor: AdminActor) -> list[UserOut]:
    """Admins: every account."""
    return [UserOut.model_validate(user) for user in accounts.list_users(session)]
