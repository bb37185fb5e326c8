"""Vehicles: capacities, skills, shift hours, costs and whether they may drive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.depots import get_depot
from dispatch.errors import InvalidVehicle, VehicleCodeTaken, VehicleNotFound
from infra.errors import FieldProblem
from infra.models import Route, Shift, Vehicle, VehicleStatus, VehicleType


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    code: str
    type: VehicleType
    max_weight_g: int
    max_volume_cm3: int
    max_parcels: int
    shift_start: time
    shift_end: time
    skills: tuple[str, ...] = ()
    depot_id: int | None = None
    cost_per_km_cents: int = 0
    cost_per_hour_cents: int = 0
    fixed_cost_cents: int = 0
    status: VehicleStatus = VehicleStatus.IN_SERVICE


@dataclass(frozen=True, slots=True)
class VehicleChanges:
    """A partial edit: None leaves a field as it is."""

    status: VehicleStatus | None = None
    max_weight_g: int | None = None
    max_volume_cm3: int | None = None
    max_parcels: int | None = None
    skills: tuple[str, ...] | None = None
    shift_start: time | None = None
    shift_end: time | None = None
    cost_per_km_cents: int | None = None
    cost_per_hour_cents: int | None = None
    fixed_cost_cents: int | None = None


def _hours_problem(start: time, end: time) -> list[FieldProblem]:
    if end <= start:
        return [FieldProblem("shift_end", "must be after shift_start")]
    return []


def register_vehicle(session: Session, spec: VehicleSpec) -> Vehicle:
    """Raises VehicleCodeTaken, InvalidVehicle, DepotNotFound."""
    problems = _hours_problem(spec.shift_start, spec.shift_end)
    if len(set(spec.skills)) != len(spec.skills):
        problems.append(FieldProblem("skills", "lists a skill twice"))
    if problems:
        raise InvalidVehicle(f"vehicle {spec.code!r} is not valid", problems, code=spec.code)
    if spec.depot_id is not None:
        get_depot(session, spec.depot_id)
    if session.scalar(select(Vehicle.id).where(Vehicle.code == spec.code)) is not None:
        raise VehicleCodeTaken(f"a vehicle with code {spec.code!r} already exists", code=spec.code)
    vehicle = Vehicle(
        code=spec.code,
        type=spec.type,
        depot_id=spec.depot_id,
        max_weight_g=spec.max_weight_g,
        max_volume_cm3=spec.max_volume_cm3,
        max_parcels=spec.max_parcels,
        skills=list(spec.skills),
        shift_start=spec.shift_start,
        shift_end=spec.shift_end,
        cost_per_km_cents=spec.cost_per_km_cents,
        cost_per_hour_cents=spec.cost_per_hour_cents,
        fixed_cost_cents=spec.fixed_cost_cents,
        status=spec.status,
    )
    session.add(vehicle)
    session.flush()
    return vehicle


def _courier_may_see(session: Session, vehicle_id: int, courier_id: int) -> bool:
    on_shift = select(Shift.id).where(
        Shift.vehicle_id == vehicle_id, Shift.courier_id == courier_id
    )
    on_route = select(Route.id).where(
        Route.vehicle_id == vehicle_id, Route.courier_id == courier_id
    )
    return (
        session.scalar(on_shift.limit(1)) is not None
        or session.scalar(on_route.limit(1)) is not None
    )


def get_vehicle(session: Session, vehicle_id: int, *, as_courier: int | None = None) -> Vehicle:
    """The vehicle; a courier (`as_courier`) sees only vehicles of their shifts and routes.

    Raises VehicleNotFound (also for a vehicle the courier may not see).
    """
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None or (
        as_courier is not None and not _courier_may_see(session, vehicle_id, as_courier)
    ):
        raise VehicleNotFound(f"vehicle {vehicle_id} does not exist", vehicle_id=vehicle_id)
    return vehicle


def list_vehicles(
    session: Session, *, status: VehicleStatus | None = None, depot_id: int | None = None
) -> list[Vehicle]:
    query = select(Vehicle).order_by(Vehicle.id)
    if depot_id is not None:
        query = query.where(Vehicle.depot_id == depot_id)
    if status is not None:
        query = query.where(Vehicle.status == status)
    return list(session.scalars(query))


def change_vehicle(session: Session, vehicle_id: int, changes: VehicleChanges) -> Vehicle:
    """Raises VehicleNotFound, InvalidVehicle."""
    vehicle = get_vehicle(session, vehicle_id)
    start = changes.shift_start or vehicle.shift_start
    end = changes.shift_end or vehicle.shift_end
    problems = _hours_problem(start, end)
    if changes.skills is not None and len(set(changes.skills)) != len(changes.skills):
        problems.append(FieldProblem("skills", "lists a skill twice"))
    if problems:
        raise InvalidVehicle(
            f"the changes to vehicle {vehicle.code} are not valid", problems, vehicle_id=vehicle_id
        )
    if changes.status is not None:
        vehicle.status = changes.status
    if changes.skills is not None:
        vehicle.skills = list(changes.skills)
    vehicle.shift_start, vehicle.shift_end = start, end
    for name in (
        "max_weight_g",
        "max_volume_cm3",
        "max_parcels",
        "cost_per_km_cents",
        "cost_per_hour_cents",
        "fixed_cost_cents",
    ):
        value = getattr(changes, name)
        if value is not None:
            setattr(vehicle, name, value)
    session.flush()
    return vehicle
