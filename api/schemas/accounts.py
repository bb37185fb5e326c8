"""Tokens and user accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from api.schemas.common import Id, RequestModel, ResponseModel
from infra.accounts import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from infra.models import Role

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$")
]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)
]


class Token(ResponseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(ResponseModel):
    user_id: int
    username: str
    role: Role
    courier_id: int | None


class UserIn(RequestModel):
    username: Username
    password: Password
    role: Role
    # A dispatcher's depot: other depots' objects are 404 to them; none: every depot.
    depot_id: Id | None = None


class UserOut(ResponseModel):
    id: int
    username: str
    role: Role
    depot_id: int | None
    is_active: bool
    created_at: datetime
