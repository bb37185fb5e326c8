"""Routes of plans: a courier reads their own, dispatchers any."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import StaffActor, courier_scope
from api.depot_scope import RouteId
from api.deps import SessionDep
from api.schemas.routes import RouteOut
from dispatch import routes

router = APIRouter(prefix="/routes", tags=["routes"])


@router.get("/{route_id}")
def get_route(route_id: RouteId, session: SessionDep, actor: StaffActor) -> RouteOut:
    """Dispatchers and admins; a courier only a route assigned to them."""
    return RouteOut.of(routes.get_route(session, route_id, as_courier=courier_scope(actor)))
