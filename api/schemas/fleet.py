"""Vehicles, couriers and shifts.

Capacities are given in kilograms and litres, as people think of them; they are stored in
grams and cubic centimetres, as the solver counts them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import Field

from api.schemas.common import (
    Cents,
    Code,
    Id,
    Name,
    Phone,
    RequestModel,
    ResponseModel,
    Skill,
)
from api.schemas.orders import LocalTime
from dispatch.fleet import VehicleChanges, VehicleSpec
from infra.models import Courier, Shift, Vehicle, VehicleStatus, VehicleType
from orders.fields import kg_to_g, litres_to_cm3

WeightKg = Annotated[float, Field(gt=0, le=100_000)]
VolumeL = Annotated[float, Field(gt=0, le=1_000_000)]
ParcelCount = Annotated[int, Field(ge=1, le=100_000)]
Skills = Annotated[list[Skill], Field(max_length=16)]


class VehicleIn(RequestModel):
    code: Code
    type: VehicleType
    depot_id: Id | None = None
    max_weight_kg: WeightKg
    max_volume_l: VolumeL
    max_parcels: ParcelCount
    skills: Skills = Field(default_factory=list)
    shift_start: LocalTime = Field(description="local time in the operation's time zone")
    shift_end: LocalTime
    cost_per_km_cents: Cents = 0
    cost_per_hour_cents: Cents = 0
    fixed_cost_cents: Cents = 0
    status: VehicleStatus = VehicleStatus.IN_SERVICE

    def to_spec(self) -> VehicleSpec:
        return VehicleSpec(
            code=self.code,
            type=self.type,
            depot_id=self.depot_id,
            max_weight_g=kg_to_g(self.max_weight_kg),
            max_volume_cm3=litres_to_cm3(self.max_volume_l),
            max_parcels=self.max_parcels,
            skills=tuple(self.skills),
            shift_start=self.shift_start,
            shift_end=self.shift_end,
            cost_per_km_cents=self.cost_per_km_cents,
            cost_per_hour_cents=self.cost_per_hour_cents,
            fixed_cost_cents=self.fixed_cost_cents,
            status=self.status,
        )


class VehiclePatch(RequestModel):
    status: VehicleStatus | None = None
    max_weight_kg: WeightKg | None = None
    max_volume_l: VolumeL | None = None
    max_parcels: ParcelCount | None = None
    skills: Skills | None = None
    shift_start: LocalTime | None = None
    shift_end: LocalTime | None = None
    cost_per_km_cents: Cents | None = None
    cost_per_hour_cents: Cents | None = None
    fixed_cost_cents: Cents | None = None

    def to_changes(self) -> VehicleChanges:
        return VehicleChanges(
            status=self.status,
            max_weight_g=None if self.max_weight_kg is None else kg_to_g(self.max_weight_kg),
            max_volume_cm3=None if self.max_volume_l is None else litres_to_cm3(self.max_volume_l),
            max_parcels=self.max_parcels,
            skills=None if self.skills is None else tuple(self.skills),
            shift_start=self.shift_start,
            shift_end=self.shift_end,
            cost_per_km_cents=self.cost_per_km_cents,
            cost_per_hour_cents=self.cost_per_hour_cents,
            fixed_cost_cents=self.fixed_cost_cents,
        )


class VehicleOut(ResponseModel):
    id: int
    code: str
    type: VehicleType
    depot_id: int | None
    max_weight_kg: float
    max_volume_l: float
    max_parcels: int
    skills: list[str]
    shift_start: time
    shift_end: time
    cost_per_km_cents: int
    cost_per_hour_cents: int
    fixed_cost_cents: int
    status: VehicleStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, vehicle: Vehicle) -> VehicleOut:
        return cls(
            id=vehicle.id,
            code=vehicle.code,
            type=vehicle.type,
            depot_id=vehicle.depot_id,
            max_weight_kg=vehicle.max_weight_g / 1000,
            max_volume_l=vehicle.max_volume_cm3 / 1000,
            max_parcels=vehicle.max_parcels,
            skills=list(vehicle.skills),
            shift_start=vehicle.shift_start,
            shift_end=vehicle.shift_end,
            cost_per_km_cents=vehicle.cost_per_km_cents,
            cost_per_hour_cents=vehicle.cost_per_hour_cents,
            fixed_cost_cents=vehicle.fixed_cost_cents,
            status=vehicle.status,
            created_at=vehicle.created_at,
            updated_at=vehicle.updated_at,
        )


class CourierIn(RequestModel):
    user_id: Id
    name: Name
    phone: Phone | None = None
    depot_id: Id | None = None


class CourierOut(ResponseModel):
    id: int
    user_id: int
    name: str
    phone: str | None
    depot_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, courier: Courier) -> CourierOut:
        return cls.model_validate(courier)


class ShiftIn(RequestModel):
    courier_id: Id
    day: date
    start: LocalTime = Field(description="local time in the operation's time zone")
    end: LocalTime
    vehicle_id: Id | None = None


class ShiftOut(ResponseModel):
    id: int
    courier_id: int
    vehicle_id: int | None
    day: date
    starts_at: datetime
    ends_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, shift: Shift) -> ShiftOut:
        return cls.model_validate(shift)
