"""The courier's day: the manifest with each stop's state and ETA, the checklist, the inspection."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.schemas.common import ResponseModel
from api.schemas.inspections import ChecklistItemOut, InspectionOut
from api.schemas.plans import ManifestStopOut
from dispatch.publishing import ManifestStop
from infra.models import FailureReason, OrderKind, RouteStatus, StopEventKind, VehicleStatus
from tracking.courier_day import CourierDay
from tracking.etas import StopEta
from tracking.stop_events import StopProgress, origin_of_stop
from tracking.stop_states import StopState, next_state

# What each event does to a stop, per kind of order, so that a client offers only legal events
# and can show an event it has not sent yet without repeating the rules.
Transitions = dict[OrderKind, dict[StopState, dict[StopEventKind, StopState]]]


def transitions() -> Transitions:
    table: Transitions = {}
    for kind in OrderKind:
        table[kind] = {}
        for state in StopState:
            moves = {event: next_state(state, event, kind) for event in StopEventKind}
            table[kind][state] = {event: after for event, after in moves.items() if after}
    return table


def _utc(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC) if instant is not None else None


class CourierStopOut(ManifestStopOut):
    stop_id: int
    # The same for every version of this stop across replans; events sent for an older version
    # still count.
    visit_id: int
    state: StopState
    arrived_at: datetime | None
    done_at: datetime | None
    # While the route is under way, for stops not done yet.
    eta_at: datetime | None
    projected_late: bool

    @classmethod
    def with_progress(
        cls, item: ManifestStop, progress: StopProgress | None, eta: StopEta | None
    ) -> CourierStopOut:
        stop = item.stop
        return cls(
            **ManifestStopOut.of(item).model_dump(),
            stop_id=stop.id,
            visit_id=origin_of_stop(stop),
            state=progress.state if progress else StopState.PENDING,
            arrived_at=_utc(progress.arrived_at) if progress else None,
            done_at=_utc(progress.done_at) if progress else None,
            eta_at=_utc(eta.eta.arrival_at) if eta else None,
            projected_late=eta.eta.projected_late if eta else False,
        )


class CourierRouteOut(ResponseModel):
    route_id: int
    plan_id: int
    status: RouteStatus
    departed_at: datetime | None
    finished_at: datetime | None
    planned_start_at: datetime
    planned_end_at: datetime
    distance_m: int
    vehicle_id: int
    vehicle_code: str
    vehicle_in_service: bool
    # The vehicle's checklist, and its log that counts for the day (None: not inspected yet).
    checklist: list[ChecklistItemOut]
    inspection: InspectionOut | None
    stops: list[CourierStopOut]


class CourierDayOut(ResponseModel):
    day: date
    # The operation's time zone: windows and times are shown in it.
    timezone: str
    # None: no route in a published plan of the day (yet).
    route: CourierRouteOut | None
    failure_reasons: list[FailureReason]
    transitions: Transitions

    @classmethod
    def of(cls, day: CourierDay, *, timezone: str) -> CourierDayOut:
        route_out = None
        if day.manifest is not None:
            route, vehicle = day.manifest.route, day.manifest.vehicle
            route_out = CourierRouteOut(
                route_id=route.id,
                plan_id=route.plan_id,
                status=route.status,
                departed_at=_utc(route.departed_at),
                finished_at=_utc(route.finished_at),
                planned_start_at=route.planned_start_at,
                planned_end_at=route.planned_end_at,
                distance_m=route.distance_m,
                vehicle_id=vehicle.id,
                vehicle_code=vehicle.code,
                vehicle_in_service=vehicle.status is VehicleStatus.IN_SERVICE,
                checklist=[
                    ChecklistItemOut(
                        code=i.code,
                        label=i.label,
                        critical=i.critical,
                        refrigerated_only=i.refrigerated_only,
                    )
                    for i in day.checklist
                ],
                inspection=InspectionOut.of(day.inspection) if day.inspection else None,
                stops=[
                    CourierStopOut.with_progress(
                        item, day.progress.get(item.stop.id), day.etas.get(item.stop.id)
                    )
                    for item in day.manifest.stops
                ],
            )
        return cls(
            day=day.day,
            timezone=timezone,
            route=route_out,
            failure_reasons=list(FailureReason),
            transitions=transitions(),
        )
