"""Depots."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import DispatchActor
from api.depot_scope import DepotFilter, DepotId
from api.deps import SessionDep
from api.schemas.depots import DepotIn, DepotOut
from dispatch import depots

router = APIRouter(prefix="/depots", tags=["depots"])


@router.post("", status_code=201)
def open_depot(payload: DepotIn, session: SessionDep, _actor: DispatchActor) -> DepotOut:
    """Dispatchers and admins."""
    depot = depots.open_depot(
        session,
        code=payload.code,
        name=payload.name,
        lat=payload.lat,
        lng=payload.lng,
        address=payload.address,
    )
    return DepotOut.model_validate(depot)


@router.get("")
def list_depots(
    session: SessionDep, _actor: DispatchActor, depot_id: DepotFilter
) -> list[DepotOut]:
    """Dispatchers and admins; a depot-scoped dispatcher sees only their depot."""
    return [DepotOut.model_validate(d) for d in depots.list_depots(session, depot_id=depot_id)]


@router.get("/{depot_id}")
def get_depot(depot_id: DepotId, session: SessionDep, _actor: DispatchActor) -> DepotOut:
    """Dispatchers and admins."""
    return DepotOut.model_validate(depots.get_depot(session, depot_id))
