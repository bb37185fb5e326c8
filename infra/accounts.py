"""User accounts: password hashing (argon2) and the use cases on users."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.errors import Conflict, FieldProblem, Invalid, NotFound
from infra.models import Depot, Role, User

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256


class UsernameTaken(Conflict):
    code = "username_taken"


class UserNotFound(NotFound):
    code = "user_not_found"


class WeakPassword(Invalid):
    code = "weak_password"


class InvalidUserDepot(Invalid):
    code = "invalid_user_depot"


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both cases take the same time.
    return _hasher().hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def register_user(
    session: Session, *, username: str, password: str, role: Role, depot_id: int | None = None
) -> User:
    """Adds an account; a dispatcher with `depot_id` sees only that depot's objects.

    Raises UsernameTaken, WeakPassword, InvalidUserDepot.
    """
    _check_depot(session, role, depot_id)
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise WeakPassword(
            f"the password for {username!r} must have {MIN_PASSWORD_CHARS} to "
            f"{MAX_PASSWORD_CHARS} characters",
            [FieldProblem("password", f"must have {MIN_PASSWORD_CHARS} to 256 characters")],
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(f"the username {username!r} is already taken", username=username)
    user = User(
        username=username, password_hash=hash_password(password), role=role, depot_id=depot_id
    )
    session.add(user)
    session.flush()
    return user


def _check_depot(session: Session, role: Role, depot_id: int | None) -> None:
    if depot_id is None:
        return
    if role is not Role.DISPATCHER:
        reason = f"only dispatchers work from one depot, not a {role.value}"
    elif session.get(Depot, depot_id) is None:
        reason = f"depot {depot_id} does not exist"
    else:
        return
    raise InvalidUserDepot(reason, [FieldProblem("depot_id", reason)])


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = None
    if "\x00" not in username:
        user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        _hasher().verify(password, _dummy_hash())
        return None
    if not _hasher().verify(password, user.password_hash):
        return None
    return user


def get_user(session: Session, user_id: int) -> User:
    """Raises UserNotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist", user_id=user_id)
    return user


def revoke_tokens(session: Session, user_id: int, *, now: datetime) -> User:
    """Every token issued to the user before `now` stops working; signing in again gives a
    new one. Raises UserNotFound."""
    user = get_user(session, user_id)
    user.tokens_revoked_at = now
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))
