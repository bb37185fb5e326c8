"""Vehicle checklists, pre-departure inspections, repairs and the departure gate."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import DispatchActor, StaffActor, courier_scope
from api.depot_scope import RouteId, VehicleId
from api.deps import NowDep, SessionDep, SettingsDep
from api.idempotency import IdempotencyKey, respond_once
from api.schemas.inspections import (
    ChecklistItemOut,
    ChecklistOut,
    InspectionIn,
    InspectionOut,
    RepairIn,
    RepairOut,
    TemplateIn,
    TemplateOut,
)
from api.schemas.routes import RouteOut
from dispatch import fleet, replanning
from warehouse import departure, inspections

router = APIRouter(tags=["inspections"])


@router.post("/inspection-templates", status_code=201)
def define_template(payload: TemplateIn, session: SessionDep, actor: DispatchActor) -> TemplateOut:
    """Dispatchers and admins: a new checklist version for a vehicle type."""
    template = inspections.define_template(
        session, payload.vehicle_type, payload.to_items(), by_id=actor.user_id
    )
    return TemplateOut.of(template)


@router.get("/vehicles/{vehicle_id}/checklist")
def get_checklist(vehicle_id: VehicleId, session: SessionDep, actor: StaffActor) -> ChecklistOut:
    """The items to check on this vehicle; a courier only for a vehicle of their own."""
    vehicle = fleet.get_vehicle(session, vehicle_id, as_courier=courier_scope(actor))
    template, items = inspections.checklist_for(session, vehicle)
    return ChecklistOut(
        vehicle_id=vehicle.id,
        template_id=template.id if template else None,
        items=[ChecklistItemOut.model_validate(i, from_attributes=True) for i in items],
    )


@router.post("/vehicles/{vehicle_id}/inspections", status_code=201, response_model=InspectionOut)
def submit_inspection(
    vehicle_id: VehicleId,
    payload: InspectionIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: StaffActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A courier inspects the vehicle of their own shift (another's answers 404).

    A failed critical item takes the vehicle out of service and queues a replan of the day's
    live plans that give it a route (see `/plan-jobs`). A retry with the same Idempotency-Key
    (an app resending after a lost answer) gets the first log instead of a second one.
    """

    def produce() -> InspectionOut:
        day = payload.day or now.astimezone(settings.operation.zone).date()
        inspection = inspections.submit_inspection(
            session,
            vehicle_id,
            day=day,
            performed_at=payload.performed_at or now,
            odometer_km=payload.odometer_km,
            results=payload.to_results(),
            corrects_id=payload.corrects_inspection_id,
            as_courier=courier_scope(actor),
            by_id=actor.user_id,
        )
        if inspection.critical_failed:
            replanning.queue_replans(
                session,
                vehicle_id,
                day=day,
                reason=f"inspection {inspection.id} failed a critical item",
                requested_by_id=actor.user_id,
                time_limit_s=settings.planning.solver_time_limit_s,
            )
        return InspectionOut.of(inspection)

    return respond_once(
        session,
        actor=actor,
        operation="submit_inspection",
        key=idempotency_key,
        request=f"vehicle {vehicle_id} ".encode() + payload.model_dump_json().encode(),
        status=201,
        produce=produce,
    )


@router.get("/vehicles/{vehicle_id}/inspections")
def list_inspections(
    vehicle_id: VehicleId, session: SessionDep, actor: StaffActor, day: date | None = None
) -> list[InspectionOut]:
    """Dispatchers and admins; a courier only for a vehicle of their own."""
    fleet.get_vehicle(session, vehicle_id, as_courier=courier_scope(actor))
    found = inspections.list_inspections(session, vehicle_id=vehicle_id, day=day)
    return [InspectionOut.of(i) for i in found]


@router.post("/vehicles/{vehicle_id}/repairs", status_code=201)
def record_repair(
    vehicle_id: VehicleId, payload: RepairIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> RepairOut:
    """Dispatchers and admins (for the mechanic): puts the vehicle back in service."""
    repair = inspections.record_repair(
        session,
        vehicle_id,
        note=payload.note,
        inspection_id=payload.inspection_id,
        by_id=actor.user_id,
        now=now,
    )
    return RepairOut.of(repair)


@router.post("/routes/{route_id}/depart", response_model=RouteOut)
def depart_route(
    route_id: RouteId,
    session: SessionDep,
    now: NowDep,
    actor: StaffActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The departure gate: a courier departs only their own route. A retry with the same
    Idempotency-Key gets the first answer instead of `route_already_departed`."""
    return respond_once(
        session,
        actor=actor,
        operation="depart_route",
        key=idempotency_key,
        request=f"route {route_id}".encode(),
        status=200,
        produce=lambda: RouteOut.of(
            departure.depart_route(session, route_id, as_courier=courier_scope(actor), now=now)
        ),
    )
