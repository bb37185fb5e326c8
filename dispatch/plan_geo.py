"""A stored plan as geometry: a GeoJSON FeatureCollection and the view model of the plan map."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import plans
from dispatch.plan_map import MapPoint, MapRoute, MapUnserved, PlanMapView
from infra.models import Depot, Order, Plan, Vehicle


def _depots_and_vehicles(session: Session, plan: Plan) -> tuple[list[Depot], dict[int, Vehicle]]:
    depots = list(session.scalars(select(Depot).order_by(Depot.id)))
    if plan.depot_id is not None:
        depots = [d for d in depots if d.id == plan.depot_id] or depots
    ids = [r.vehicle_id for r in plan.routes]
    vehicles = {v.id: v for v in session.scalars(select(Vehicle).where(Vehicle.id.in_(ids)))}
    return depots, vehicles


def _home(depots: list[Depot], vehicle: Vehicle | None) -> Depot | None:
    for depot in depots:
        if vehicle is not None and depot.id == vehicle.depot_id:
            return depot
    return depots[0] if depots else None


def plan_geojson(session: Session, plan: Plan) -> dict[str, Any]:
    """Routes as LineStrings (depot, stops, depot), stops, unserved orders and depots as Points."""
    orders = plans.orders_of(session, plan)
    depots, vehicles = _depots_and_vehicles(session, plan)
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        vehicle = vehicles.get(route.vehicle_id)
        home = _home(depots, vehicle)
        path = [[orders[s.order_id].lng, orders[s.order_id].lat] for s in route.stops]
        if home is not None:
            path = [[home.lng, home.lat], *path, [home.lng, home.lat]]
        features.append(
            _feature(
                {"type": "LineString", "coordinates": path},
                kind="route",
                route_id=route.id,
                sequence=route.sequence,
                vehicle_id=route.vehicle_id,
                vehicle_code=vehicle.code if vehicle else None,
                courier_id=route.courier_id,
                stops=len(route.stops),
                distance_m=route.distance_m,
                duration_s=route.duration_s,
                planned_start_at=route.planned_start_at.isoformat(),
                planned_end_at=route.planned_end_at.isoformat(),
            )
        )
        for stop in route.stops:
            order = orders[stop.order_id]
            features.append(
                _feature(
                    _point(order.lng, order.lat),
                    kind="stop",
                    route_id=route.id,
                    sequence=stop.sequence,
                    order_id=order.id,
                    tracking_code=order.tracking_code,
                    recipient=order.recipient_name,
                    address=order.address,
                    planned_arrival_at=stop.planned_arrival_at.isoformat(),
                    planned_service_start_at=stop.planned_service_start_at.isoformat(),
                )
            )
    for item in plan.unserved:
        order = orders[item.order_id]
        features.append(
            _feature(
                _point(order.lng, order.lat),
                kind="unserved",
                order_id=order.id,
                tracking_code=order.tracking_code,
                reason_code=item.reason_code,
                reason_text=item.reason_text,
            )
        )
    for depot in depots:
        features.append(
            _feature(_point(depot.lng, depot.lat), kind="depot", depot_id=depot.id, name=depot.name)
        )
    return {"type": "FeatureCollection", "features": features}


def _point(lng: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lng, lat]}


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def plan_map_view(session: Session, plan: Plan, *, zone: ZoneInfo) -> PlanMapView:
    """What the plan map draws: coloured routes, numbered stops, depots, unserved orders."""
    orders = plans.orders_of(session, plan)
    depots, vehicles = _depots_and_vehicles(session, plan)

    def hhmm(instant: Any) -> str:
        return f"{instant.astimezone(zone):%H:%M}"

    routes = []
    for route in plan.routes:
        vehicle = vehicles.get(route.vehicle_id)
        home = _home(depots, vehicle)
        stops = tuple(
            MapPoint(
                orders[s.order_id].lat,
                orders[s.order_id].lng,
                str(s.sequence),
                _stop_popup(orders[s.order_id], s.sequence, hhmm(s.planned_arrival_at), zone),
                order_id=s.order_id,
            )
            for s in route.stops
        )
        start = (home.lat, home.lng) if home else (stops[0].lat, stops[0].lng)
        name = f"Route {route.sequence}" + (f" · {vehicle.code}" if vehicle else "")
        summary = (
            f"{len(route.stops)} stops, {route.distance_m / 1000:.1f} km, "
            f"{hhmm(route.planned_start_at)}-{hhmm(route.planned_end_at)}"
        )
        routes.append(MapRoute(name, summary, start, stops, start if home else None))
    unserved = tuple(
        MapUnserved(
            orders[u.order_id].lat,
            orders[u.order_id].lng,
            orders[u.order_id].reference or orders[u.order_id].tracking_code,
            u.reason_text,
        )
        for u in plan.unserved
    )
    depot_points = tuple(MapPoint(d.lat, d.lng, "D", f"Depot {d.code}\n{d.name}") for d in depots)
    title = f"Plan {plan.id} · {plan.service_date} · {plan.status.value}"
    return PlanMapView(title, tuple(routes), depot_points, unserved)


def _stop_popup(order: Order, sequence: int, arrival: str, zone: ZoneInfo) -> str:
    windows = ", ".join(
        f"{w.starts_at.astimezone(zone):%H:%M}-{w.ends_at.astimezone(zone):%H:%M}"
        for w in order.windows
    )
    lines = [
        f"{sequence}. {order.reference or order.tracking_code}",
        order.recipient_name,
        order.address or f"{order.lat:.5f}, {order.lng:.5f}",
        f"arrives {arrival}; window {windows or 'any time'}",
    ]
    if order.handling:
        lines.append("handling: " + ", ".join(order.handling))
    return "\n".join(lines)
