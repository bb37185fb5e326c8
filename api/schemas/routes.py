"""Routes and their stops, as a courier or dispatcher reads them."""

from __future__ import annotations

from datetime import datetime

from api.schemas.common import ResponseModel
from infra.models import Route, RouteStatus


class StopOut(ResponseModel):
    id: int
    sequence: int
    order_id: int
    planned_arrival_at: datetime
    planned_service_start_at: datetime
    planned_departure_at: datetime
    load_weight_g_after: int
    load_volume_cm3_after: int
    load_parcels_after: int


class RouteOut(ResponseModel):
    id: int
    plan_id: int
    vehicle_id: int
    courier_id: int | None
    shift_id: int | None
    sequence: int
    planned_start_at: datetime
    planned_end_at: datetime
    distance_m: int
    duration_s: int
    status: RouteStatus
    departed_at: datetime | None
    finished_at: datetime | None
    stops: list[StopOut]

    @classmethod
    def of(cls, route: Route) -> RouteOut:
        return cls.model_validate(route)
