"""Who is calling: JWT access tokens (HS256) and the role checks every endpoint declares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Cookie, Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from api.deps import NowDep, SessionDep, SettingsDep
from api.errors import NotAuthenticated
from api.schemas.common import MAX_ID
from infra.errors import Forbidden
from infra.models import Courier, Role, User
from infra.settings import Settings

ALGORITHM = "HS256"
# The dispatcher pages keep the access token in this HttpOnly, SameSite=Strict cookie.
TOKEN_COOKIE = "sameday_token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


class RoleDenied(Forbidden):
    code = "role_denied"
    title = "Your role may not do this"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    username: str
    role: Role
    # Set for couriers: what they may see is limited to their own shifts, routes and vehicles.
    courier_id: int | None = None
    # Set for a dispatcher of one depot: other depots' objects are 404 to them (api.depot_scope).
    depot_id: int | None = None


def issue_token(settings: Settings, user: User, *, now: datetime) -> tuple[str, int]:
    """A signed access token for `user` and its lifetime in seconds."""
    ttl_s = settings.security.token_ttl_s
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        # To the microsecond, so a sign-in just after a revocation is not taken for an earlier one.
        "iat": now.timestamp(),
        "exp": now + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl_s


def _invalid(detail: str) -> NotAuthenticated:
    return NotAuthenticated("invalid_token", detail)


def current_actor(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    cookie_token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE, include_in_schema=False)] = None,
) -> Actor:
    """The signed-in user, by bearer token or the pages' cookie.

    Raises NotAuthenticated for a missing, expired, forged or revoked token.
    """
    return actor_of_token(token or cookie_token, session, settings, now)


# The courier comes in the same query, into the session: couriers sign every ping with their
# token, and the ping reads the courier again. Built once, as it runs for every request.
_SIGNED_IN = "sameday_signed_in"
_USER_WITH_COURIER = (
    select(User, Courier)
    .outerjoin(Courier, Courier.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


def actor_of_token(token: str | None, session: Session, settings: Settings, now: datetime) -> Actor:
    """Raises NotAuthenticated for a missing, expired, forged or revoked token."""
    if not token:
        raise NotAuthenticated("not_authenticated", "sign in: send 'Authorization: Bearer <token>'")
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            # Expiry is checked below against the request clock, the one every rule uses.
            options={
                "require": ["exp", "iat", "sub", "role"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError:
        raise _invalid("the access token is not valid") from None
    expires = claims["exp"]
    if not isinstance(expires, int | float) or expires <= now.timestamp():
        raise _invalid("the access token has expired; request a new one")
    subject = str(claims["sub"])
    if not subject.isdigit() or not 1 <= int(subject) <= MAX_ID:
        raise _invalid("the access token is not valid")
    issued = claims["iat"]
    if not isinstance(issued, int | float):
        raise _invalid("the access token is not valid")
    found = session.execute(_USER_WITH_COURIER, {"user_id": int(subject)}).first()
    user, courier = (found[0], found[1]) if found is not None else (None, None)
    # The session's identity map holds only rows something else holds: kept for the request.
    session.info[_SIGNED_IN] = (user, courier)
    if user is None or not user.is_active or user.role.value != claims["role"]:
        raise _invalid("the access token no longer matches an active account")
    if user.tokens_revoked_at is not None and issued < user.tokens_revoked_at.timestamp():
        raise _invalid("the access token was revoked; sign in again")
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        courier_id=courier.id if courier is not None and user.role is Role.COURIER else None,
        # Only dispatchers are scoped: an admin's account never narrows what they see.
        depot_id=user.depot_id if user.role is Role.DISPATCHER else None,
    )


class Allow:
    """Dependency admitting only the given roles: every protected route declares one."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    # Async, as it does no I/O: run in the event loop, not handed to a worker thread.
    async def __call__(self, actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in self.roles:
            allowed = ", ".join(sorted(role.value for role in self.roles))
            raise RoleDenied(
                f"a {actor.role.value} may not do this; allowed: {allowed}", role=actor.role.value
            )
        return actor


AdminActor = Annotated[Actor, Depends(Allow(Role.ADMIN))]
DispatchActor = Annotated[Actor, Depends(Allow(Role.DISPATCHER, Role.ADMIN))]
StaffActor = Annotated[Actor, Depends(Allow(Role.DISPATCHER, Role.ADMIN, Role.COURIER))]
CourierActor = Annotated[Actor, Depends(Allow(Role.COURIER))]


def courier_scope(actor: Actor) -> int | None:
    """The courier id to restrict reads to, or None for dispatchers and admins.

    A courier account not yet enlisted as a courier sees nothing (id 0 matches no row).
    """
    if actor.role is not Role.COURIER:
        return None
    return actor.courier_id or 0
