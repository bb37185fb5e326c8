"""The live view of the day: couriers on their routes (the events themselves are streamed)."""

from __future__ import annotations

from datetime import datetime

from api.schemas.common import ResponseModel
from infra.models import RouteStatus


class PositionOut(ResponseModel):
    lat: float
    lng: float
    device_at: datetime


class NextStopOut(ResponseModel):
    stop_id: int
    order_id: int
    sequence: int
    reference: str
    planned_arrival_at: datetime
    # The latest ETA given to the live pages; null before the first one since the departure.
    eta_at: datetime | None


class CourierOnRouteOut(ResponseModel):
    courier_id: int
    courier_name: str
    vehicle_id: int
    vehicle_code: str
    depot_id: int | None
    route_id: int
    plan_id: int
    route_status: RouteStatus
    departed_at: datetime | None
    # The latest ping since the departure; null before it.
    position: PositionOut | None
    # The first stop not done yet; null once the route is done.
    next_stop: NextStopOut | None
    stops_total: int
    stops_done: int
    late_stops: int
