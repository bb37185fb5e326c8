"""Factories for tracking tests: a published, departed route with stops along a line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from infra.models import (
    Courier,
    Order,
    OrderStatus,
    Plan,
    PlanStatus,
    Route,
    RouteStatus,
    Stop,
    User,
    Vehicle,
)
from orders import timeline
from tests.factories import DAY, ZONE, make_courier, make_depot, make_order, make_vehicle
from tracking import etas

START = datetime(2025, 3, 4, 9, 0, tzinfo=ZONE)
# Stops 0.01 degrees of latitude (about 1.1 km) apart, north of the depot.
DEPOT = (52.50, 13.40)


@dataclass
class RouteSetup:
    route: Route
    courier: Courier
    user: User
    vehicle: Vehicle
    stops: list[Stop]
    orders: list[Order]


def make_tracked_route(
    session: Session,
    *,
    stops: int = 3,
    departed: bool = True,
    leg_s: int = 600,
    service_s: int = 300,
    window_h: tuple[int, int] = (9, 12),
    courier: Courier | None = None,
    order_overrides: dict[str, Any] | None = None,
) -> RouteSetup:
    """A published plan with one route of `stops` stops, each `leg_s` after the previous one."""
    courier = courier or make_courier(session)
    depot = make_depot(session, lat=DEPOT[0], lng=DEPOT[1])
    vehicle = make_vehicle(session, depot_id=depot.id)
    plan = Plan(service_date=DAY, status=PlanStatus.PUBLISHED, published_at=START)
    route = Route(
        plan=plan,
        vehicle_id=vehicle.id,
        courier_id=courier.id,
        sequence=1,
        planned_start_at=START,
        planned_end_at=START + timedelta(seconds=(stops + 1) * (leg_s + service_s)),
        distance_m=10_000,
        duration_s=(stops + 1) * (leg_s + service_s),
        status=RouteStatus.DEPARTED if departed else RouteStatus.PLANNED,
        departed_at=START if departed else None,
    )
    session.add(route)
    orders = []
    t = START
    for k in range(stops):
        order = make_order(
            session,
            window=window_h,
            status=OrderStatus.OUT_FOR_DELIVERY if departed else OrderStatus.PLANNED,
            lat=DEPOT[0] + 0.01 * (k + 1),
            lng=DEPOT[1],
            service_s=service_s,
            recipient_email=f"customer{k}@example.org",
            **(order_overrides or {}),
        )
        arrival = t + timedelta(seconds=leg_s)
        route.stops.append(
            Stop(
                order_id=order.id,
                sequence=k + 1,
                planned_arrival_at=arrival,
                planned_service_start_at=arrival,
                planned_departure_at=arrival + timedelta(seconds=service_s),
                load_weight_g_after=0,
                load_volume_cm3_after=0,
                load_parcels_after=0,
            )
        )
        t = arrival + timedelta(seconds=service_s)
        orders.append(order)
    session.flush()
    for order in orders:
        # What intake, publication and the departure gate would have written.
        timeline.record(session, order.id, timeline.RECEIVED, at=order.received_at)
        timeline.record(session, order.id, timeline.PLANNED, {"route_id": route.id}, at=START)
        if departed:
            timeline.record(
                session,
                order.id,
                timeline.OUT_FOR_DELIVERY,
                {"route_id": route.id, "courier_id": courier.id},
                at=START,
            )
    user = session.get(User, courier.user_id)
    assert user is not None
    return RouteSetup(route, courier, user, vehicle, list(route.stops), orders)


def projections_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The routes whose ETAs are projected from now on, one entry per projection (the real
    projection still runs)."""
    projections: list[int] = []
    real_route_etas = etas.route_etas

    def counted(session: Session, route_id: int, **kwargs: Any) -> etas.RouteEtas:
        projections.append(route_id)
        return real_route_etas(session, route_id, **kwargs)

    monkeypatch.setattr(etas, "route_etas", counted)
    return projections
