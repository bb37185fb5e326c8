"""Shifts: which courier works on which day, when, and in which vehicle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.couriers import get_courier
from dispatch.errors import (
    InvalidShift,
    ShiftAlreadyScheduled,
    ShiftNotFound,
    VehicleAlreadyBooked,
    VehicleOutOfService,
)
from dispatch.fleet import get_vehicle
from infra.errors import FieldProblem
from infra.models import Courier, Shift, VehicleStatus
from infra.settings import OperationSettings


def schedule_shift(
    session: Session,
    *,
    courier_id: int,
    day: date,
    start: time,
    end: time,
    vehicle_id: int | None,
    operation: OperationSettings,
) -> Shift:
    """Books a courier (and optionally a vehicle) from `start` to `end`, local time on `day`.

    Raises CourierNotFound, VehicleNotFound, InvalidShift, ShiftAlreadyScheduled,
    VehicleOutOfService, VehicleAlreadyBooked.
    """
    courier = get_courier(session, courier_id)
    if end <= start:
        raise InvalidShift(
            f"the shift of courier {courier_id} on {day} ends before it starts",
            [FieldProblem("end", "must be after start")],
            courier_id=courier_id,
        )
    taken = select(Shift.id).where(Shift.courier_id == courier.id, Shift.day == day)
    if session.scalar(taken) is not None:
        raise ShiftAlreadyScheduled(
            f"courier {courier_id} already has a shift on {day}",
            courier_id=courier_id,
            day=str(day),
        )
    if vehicle_id is not None:
        vehicle = get_vehicle(session, vehicle_id)
        if vehicle.status is not VehicleStatus.IN_SERVICE:
            raise VehicleOutOfService(
                f"vehicle {vehicle.code} is out of service and cannot be booked",
                vehicle_id=vehicle_id,
            )
        booked = select(Shift.id).where(Shift.vehicle_id == vehicle_id, Shift.day == day)
        other = session.scalar(booked)
        if other is not None:
            raise VehicleAlreadyBooked(
                f"vehicle {vehicle.code} is already booked on {day} by shift {other}",
                vehicle_id=vehicle_id,
                shift_id=other,
            )
    zone = operation.zone
    shift = Shift(
        courier_id=courier.id,
        vehicle_id=vehicle_id,
        day=day,
        starts_at=datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
        ends_at=datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
    )
    session.add(shift)
    session.flush()
    return shift


def get_shift(session: Session, shift_id: int, *, as_courier: int | None = None) -> Shift:
    """A courier (`as_courier`) sees only their own shifts. Raises ShiftNotFound."""
    shift = session.get(Shift, shift_id)
    if shift is None or (as_courier is not None and shift.courier_id != as_courier):
        raise ShiftNotFound(f"shift {shift_id} does not exist", shift_id=shift_id)
    return shift


def list_shifts(
    session: Session,
    *,
    day: date | None = None,
    courier_id: int | None = None,
    depot_id: int | None = None,
) -> list[Shift]:
    query = select(Shift).order_by(Shift.day, Shift.id)
    if depot_id is not None:
        query = query.join(Courier, Courier.id == Shift.courier_id).where(
            Courier.depot_id == depot_id
        )
    if day is not None:
        query = query.where(Shift.day == day)
    if courier_id is not None:
        query = query.where(Shift.courier_id == courier_id)
    return list(session.scalars(query))
