"""Reading routes and their stops (plans are made by the plan job)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.errors import RouteNotFound
from infra.models import Route


def get_route(session: Session, route_id: int, *, as_courier: int | None = None) -> Route:
    """A courier (`as_courier`) sees only routes assigned to them. Raises RouteNotFound."""
    route = session.get(Route, route_id)
    if route is None or (as_courier is not None and route.courier_id != as_courier):
        raise RouteNotFound(f"route {route_id} does not exist", route_id=route_id)
    return route
