"""Vehicles, couriers and shifts; couriers see only their own."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.auth import DispatchActor, StaffActor, courier_scope
from api.depot_scope import (
    CourierId,
    CourierIdQuery,
    DepotFilter,
    ShiftId,
    VehicleId,
    check_in_scope,
    depot_in_scope,
)
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.fleet import (
    CourierIn,
    CourierOut,
    ShiftIn,
    ShiftOut,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)
from dispatch import couriers, fleet, replanning, shifts
from dispatch.depot_scope import Kind
from infra.models import VehicleStatus

router = APIRouter(tags=["fleet"])


@router.post("/vehicles", status_code=201)
def register_vehicle(payload: VehicleIn, session: SessionDep, actor: DispatchActor) -> VehicleOut:
    """Dispatchers and admins; a depot-scoped dispatcher's vehicles are their depot's."""
    depot_id = depot_in_scope(session, actor, payload.depot_id)
    spec = payload.model_copy(update={"depot_id": depot_id}).to_spec()
    return VehicleOut.of(fleet.register_vehicle(session, spec))


@router.get("/vehicles")
def list_vehicles(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    status: VehicleStatus | None = None,
) -> list[VehicleOut]:
    """Dispatchers and admins."""
    found = fleet.list_vehicles(session, status=status, depot_id=depot_id)
    return [VehicleOut.of(v) for v in found]


@router.get("/vehicles/{vehicle_id}")
def get_vehicle(vehicle_id: VehicleId, session: SessionDep, actor: StaffActor) -> VehicleOut:
    """Dispatchers and admins; a courier only a vehicle of their own shift or route."""
    return VehicleOut.of(fleet.get_vehicle(session, vehicle_id, as_courier=courier_scope(actor)))


@router.patch("/vehicles/{vehicle_id}")
def change_vehicle(
    vehicle_id: VehicleId,
    payload: VehiclePatch,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: DispatchActor,
) -> VehicleOut:
    """Dispatchers and admins: e.g. take a vehicle out of service, which queues a replan of
    today's live plans that give it a route (see `/plan-jobs`)."""
    vehicle = fleet.change_vehicle(session, vehicle_id, payload.to_changes())
    if payload.status is VehicleStatus.OUT_OF_SERVICE:
        replanning.queue_replans(
            session,
            vehicle_id,
            day=now.astimezone(settings.operation.zone).date(),
            reason="taken out of service by a dispatcher",
            requested_by_id=actor.user_id,
            time_limit_s=settings.planning.solver_time_limit_s,
        )
    return VehicleOut.of(vehicle)


@router.post("/couriers", status_code=201)
def enlist_courier(payload: CourierIn, session: SessionDep, actor: DispatchActor) -> CourierOut:
    """Dispatchers and admins: makes a user with the courier role a courier."""
    courier = couriers.enlist_courier(
        session,
        user_id=payload.user_id,
        name=payload.name,
        phone=payload.phone,
        depot_id=depot_in_scope(session, actor, payload.depot_id),
    )
    return CourierOut.of(courier)


@router.get("/couriers")
def list_couriers(
    session: SessionDep, _actor: DispatchActor, depot_id: DepotFilter
) -> list[CourierOut]:
    """Dispatchers and admins."""
    return [CourierOut.of(c) for c in couriers.list_couriers(session, depot_id=depot_id)]


@router.get("/couriers/{courier_id}")
def get_courier(courier_id: CourierId, session: SessionDep, actor: StaffActor) -> CourierOut:
    """Dispatchers and admins; a courier only themself."""
    courier = couriers.get_courier(session, courier_id, as_courier=courier_scope(actor))
    return CourierOut.of(courier)


@router.post("/couriers/{courier_id}/revoke-tokens")
def revoke_courier_tokens(
    courier_id: CourierId, session: SessionDep, now: NowDep, _actor: DispatchActor
) -> CourierOut:
    """Dispatchers and admins: every token the courier holds stops working (a lost phone);
    the courier signs in again."""
    courier = couriers.revoke_courier_tokens(session, courier_id, now=now)
    return CourierOut.of(courier)


@router.post("/shifts", status_code=201)
def schedule_shift(
    payload: ShiftIn, session: SessionDep, settings: SettingsDep, actor: DispatchActor
) -> ShiftOut:
    """Dispatchers and admins; start and end are local times on the day."""
    check_in_scope(session, actor, Kind.COURIER, payload.courier_id)
    if payload.vehicle_id is not None:
        check_in_scope(session, actor, Kind.VEHICLE, payload.vehicle_id)
    shift = shifts.schedule_shift(
        session,
        courier_id=payload.courier_id,
        day=payload.day,
        start=payload.start,
        end=payload.end,
        vehicle_id=payload.vehicle_id,
        operation=settings.operation,
    )
    return ShiftOut.of(shift)


@router.get("/shifts")
def list_shifts(
    session: SessionDep,
    actor: StaffActor,
    depot_id: DepotFilter,
    courier_id: CourierIdQuery = None,
    day: date | None = None,
) -> list[ShiftOut]:
    """Dispatchers and admins; a courier gets only their own shifts."""
    scope = courier_scope(actor)
    if scope is not None:
        courier_id = scope
    found = shifts.list_shifts(session, day=day, courier_id=courier_id, depot_id=depot_id)
    return [ShiftOut.of(s) for s in found]


@router.get("/shifts/{shift_id}")
def get_shift(shift_id: ShiftId, session: SessionDep, actor: StaffActor) -> ShiftOut:
    """Dispatchers and admins; a courier only their own shift."""
    return ShiftOut.of(shifts.get_shift(session, shift_id, as_courier=courier_scope(actor)))
