"""Plans, plan jobs, stop moves and courier manifests as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from api.schemas.common import Id, RequestModel, ResponseModel
from dispatch.publishing import Manifest, ManifestStop
from infra.models import (
    JobStatus,
    Order,
    Plan,
    PlanStatus,
    PlanUnserved,
    ReplanDecision,
    ReplanTrigger,
    Route,
    Stop,
)
from infra.models.planning import JobKind


class PlanRequest(RequestModel):
    service_date: date
    # None: one plan over every depot.
    depot_id: Id | None = None
    # None: the configured solver time limit.
    time_limit_s: int | None = Field(default=None, ge=1, le=600)


class ReplanRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=300)
    # None: the configured replan search time.
    time_limit_s: int | None = Field(default=None, ge=1, le=600)


class MoveIn(RequestModel):
    order_id: Id
    route_id: Id
    # From 1; None puts the stop last.
    position: int | None = Field(default=None, ge=1, le=10_000)


class PlanJobOut(ResponseModel):
    id: int
    # "plan", or "replan" after a vehicle went out of service (see `reason`, `base_plan_id`).
    kind: JobKind
    reason: str | None
    base_plan_id: int | None
    vehicle_id: int | None
    # A finished replan: how many of the vehicle's orders moved, and why the others did not.
    outcome: str | None
    # A replan: what set it off, what it changes (stops moved, lateness and km before and
    # after, ETA changes; "summary" says it in one line) and what the dispatcher decided.
    trigger: ReplanTrigger | None = None
    diff: dict[str, Any] | None = None
    decision: ReplanDecision | None = None
    decided_at: datetime | None = None
    service_date: date
    depot_id: int | None
    status: JobStatus
    progress_percent: int
    time_limit_s: int
    plan_id: int | None
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PlanStopOut(ResponseModel):
    id: int
    sequence: int
    order_id: int
    tracking_code: str
    reference: str | None
    recipient_name: str
    lat: float
    lng: float
    planned_arrival_at: datetime
    planned_service_start_at: datetime
    planned_departure_at: datetime
    load_weight_g_after: int
    load_volume_cm3_after: int
    load_parcels_after: int

    @classmethod
    def of(cls, stop: Stop, order: Order) -> PlanStopOut:
        return cls(
            id=stop.id,
            sequence=stop.sequence,
            order_id=order.id,
            tracking_code=order.tracking_code,
            reference=order.reference,
            recipient_name=order.recipient_name,
            lat=order.lat,
            lng=order.lng,
            planned_arrival_at=stop.planned_arrival_at,
            planned_service_start_at=stop.planned_service_start_at,
            planned_departure_at=stop.planned_departure_at,
            load_weight_g_after=stop.load_weight_g_after,
            load_volume_cm3_after=stop.load_volume_cm3_after,
            load_parcels_after=stop.load_parcels_after,
        )


class PlanRouteOut(ResponseModel):
    id: int
    sequence: int
    vehicle_id: int
    courier_id: int | None
    shift_id: int | None
    planned_start_at: datetime
    planned_end_at: datetime
    distance_m: int
    duration_s: int
    stops: list[PlanStopOut]

    @classmethod
    def of(cls, route: Route, orders: dict[int, Order]) -> PlanRouteOut:
        return cls(
            id=route.id,
            sequence=route.sequence,
            vehicle_id=route.vehicle_id,
            courier_id=route.courier_id,
            shift_id=route.shift_id,
            planned_start_at=route.planned_start_at,
            planned_end_at=route.planned_end_at,
            distance_m=route.distance_m,
            duration_s=route.duration_s,
            stops=[PlanStopOut.of(s, orders[s.order_id]) for s in route.stops],
        )


class ReasonOut(ResponseModel):
    code: str
    text: str


class UnservedOut(ResponseModel):
    order_id: int
    tracking_code: str
    reference: str | None
    lat: float
    lng: float
    reason: ReasonOut

    @classmethod
    def of(cls, item: PlanUnserved, order: Order) -> UnservedOut:
        return cls(
            order_id=order.id,
            tracking_code=order.tracking_code,
            reference=order.reference,
            lat=order.lat,
            lng=order.lng,
            reason=ReasonOut(code=item.reason_code, text=item.reason_text),
        )


class PlanTotals(ResponseModel):
    distance_m: int
    duration_s: int
    cost_cents: int
    orders_planned: int
    orders_unserved: int
    routes: int


class PlanSummaryOut(ResponseModel):
    id: int
    service_date: date
    depot_id: int | None
    status: PlanStatus
    created_at: datetime
    published_at: datetime | None
    solver_status: str | None
    totals: PlanTotals

    @classmethod
    def of(cls, plan: Plan) -> PlanSummaryOut:
        return cls(**_summary(plan))


class PlanOut(PlanSummaryOut):
    routes: list[PlanRouteOut]
    unserved: list[UnservedOut]

    @classmethod
    def of_plan(cls, plan: Plan, orders: dict[int, Order]) -> PlanOut:
        return cls(
            **_summary(plan),
            routes=[PlanRouteOut.of(r, orders) for r in plan.routes],
            unserved=[UnservedOut.of(u, orders[u.order_id]) for u in plan.unserved],
        )


def _summary(plan: Plan) -> dict[str, object]:
    return {
        "id": plan.id,
        "service_date": plan.service_date,
        "depot_id": plan.depot_id,
        "status": plan.status,
        "created_at": plan.created_at,
        "published_at": plan.published_at,
        "solver_status": plan.solver_status,
        "totals": PlanTotals(
            distance_m=plan.total_distance_m,
            duration_s=plan.total_duration_s,
            cost_cents=plan.total_cost_cents,
            orders_planned=plan.orders_planned,
            orders_unserved=plan.orders_unserved,
            routes=len(plan.routes),
        ),
    }


class WindowOut(ResponseModel):
    starts_at: datetime
    ends_at: datetime


class ManifestParcelOut(ResponseModel):
    weight_g: int
    volume_cm3: int
    count: int


class ManifestStopOut(ResponseModel):
    sequence: int
    order_id: int
    tracking_code: str
    kind: str
    planned_arrival_at: datetime
    planned_departure_at: datetime
    windows: list[WindowOut]
    address: str | None
    lat: float
    lng: float
    recipient_name: str
    recipient_phone: str | None
    notes: str | None
    handling: list[str]
    parcels: list[ManifestParcelOut]

    @classmethod
    def of(cls, item: ManifestStop) -> ManifestStopOut:
        order = item.order
        return cls(
            sequence=item.stop.sequence,
            order_id=order.id,
            tracking_code=order.tracking_code,
            kind=order.kind.value,
            planned_arrival_at=item.stop.planned_arrival_at,
            planned_departure_at=item.stop.planned_departure_at,
            windows=[WindowOut(starts_at=w.starts_at, ends_at=w.ends_at) for w in order.windows],
            address=order.address,
            lat=order.lat,
            lng=order.lng,
            recipient_name=order.recipient_name,
            recipient_phone=order.recipient_phone,
            notes=order.notes,
            handling=list(order.handling),
            parcels=[
                ManifestParcelOut(weight_g=p.weight_g, volume_cm3=p.volume_cm3, count=p.count)
                for p in order.parcels
            ],
        )


class ManifestOut(ResponseModel):
    route_id: int
    plan_id: int
    vehicle_id: int
    vehicle_code: str
    planned_start_at: datetime
    planned_end_at: datetime
    distance_m: int
    stops: list[ManifestStopOut]

    @classmethod
    def of(cls, manifest: Manifest) -> ManifestOut:
        route = manifest.route
        return cls(
            route_id=route.id,
            plan_id=route.plan_id,
            vehicle_id=manifest.vehicle.id,
            vehicle_code=manifest.vehicle.code,
            planned_start_at=route.planned_start_at,
            planned_end_at=route.planned_end_at,
            distance_m=route.distance_m,
            stops=[ManifestStopOut.of(item) for item in manifest.stops],
        )
