"""Depots: where vehicles start and goods are kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import DepotCodeTaken, DepotNotFound
from infra.models import Depot


def open_depot(
    session: Session, *, code: str, name: str, lat: float, lng: float, address: str | None = None
) -> Depot:
    """Raises DepotCodeTaken."""
    if session.scalar(select(Depot.id).where(Depot.code == code)) is not None:
        raise DepotCodeTaken(f"a depot with code {code!r} already exists", code=code)
    depot = Depot(code=code, name=name, lat=lat, lng=lng, address=address)
    session.add(depot)
    session.flush()
    return depot


def get_depot(session: Session, depot_id: int) -> Depot:
    """Raises DepotNotFound."""
    depot = session.get(Depot, depot_id)
    if depot is None:
        raise DepotNotFound(f"depot {depot_id} does not exist", depot_id=depot_id)
    return depot


def list_depots(session: Session, *, depot_id: int | None = None) -> list[Depot]:
    """Every depot, or only `depot_id` (a depot-scoped dispatcher's)."""
    query = select(Depot).order_by(Depot.id)
    if depot_id is not None:
        query = query.where(Depot.id == depot_id)
    return list(session.scalars(query))
