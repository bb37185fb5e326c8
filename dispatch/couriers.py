"""Couriers: the people who drive, each linked to a user account with the courier role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.depots import get_depot
from dispatch.errors import CourierAlreadyEnlisted, CourierNotFound, UserNotCourier
from infra.accounts import get_user, revoke_tokens
from infra.errors import FieldProblem
from infra.models import Courier, Role


def enlist_courier(
    session: Session,
    *,
    user_id: int,
    name: str,
    phone: str | None = None,
    depot_id: int | None = None,
) -> Courier:
    """Raises UserNotFound, UserNotCourier, CourierAlreadyEnlisted, DepotNotFound."""
    user = get_user(session, user_id)
    if user.role is not Role.COURIER:
        raise UserNotCourier(
            f"user {user.username!r} has the role {user.role.value}, not courier",
            [FieldProblem("user_id", "the user must have the courier role")],
            user_id=user_id,
        )
    if session.scalar(select(Courier.id).where(Courier.user_id == user_id)) is not None:
        raise CourierAlreadyEnlisted(
            f"user {user.username!r} is already a courier", user_id=user_id
        )
    if depot_id is not None:
        get_depot(session, depot_id)
    courier = Courier(user_id=user_id, name=name, phone=phone, depot_id=depot_id)
    session.add(courier)
    session.flush()
    return courier


def get_courier(session: Session, courier_id: int, *, as_courier: int | None = None) -> Courier:
    """A courier (`as_courier`) sees only themself. Raises CourierNotFound."""
    courier = session.get(Courier, courier_id)
    if courier is None or (as_courier is not None and courier.id != as_courier):
        raise CourierNotFound(f"courier {courier_id} does not exist", courier_id=courier_id)
    return courier


def revoke_courier_tokens(session: Session, courier_id: int, *, now: datetime) -> Courier:
    """Signs the courier out everywhere (a lost or stolen phone): every token issued to them
    before `now` is refused. Raises CourierNotFound."""
    courier = get_courier(session, courier_id)
    revoke_tokens(session, courier.user_id, now=now)
    return courier


def courier_of_user(session: Session, user_id: int) -> Courier | None:
    return session.scalar(select(Courier).where(Courier.user_id == user_id))


def list_couriers(session: Session, *, depot_id: int | None = None) -> list[Courier]:
    query = select(Courier).order_by(Courier.id)
    if depot_id is not None:
        query = query.where(Courier.depot_id == depot_id)
    return list(session.scalars(query))
