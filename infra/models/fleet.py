"""Fleet: vehicles, the couriers who drive them and their shifts."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.base import Base, str_enum, utcnow


class VehicleType(enum.StrEnum):
    BICYCLE = "bicycle"
    CARGO_BIKE = "cargo_bike"
    SCOOTER = "scooter"
    CAR = "car"
    VAN = "van"
    TRUCK = "truck"


class VehicleStatus(enum.StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"


class Vehicle(Base):
    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[VehicleType] = mapped_column(str_enum(VehicleType))
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    max_weight_g: Mapped[int]
    max_volume_cm3: Mapped[int]
    max_parcels: Mapped[int]
    # Handling the vehicle offers, e.g. "chilled"; an order needing one must ride on such a vehicle.
    skills: Mapped[list[str]] = mapped_column(default=list)
    # Local wall-clock hours in the operation's time zone; a Shift gives the dated instants.
    shift_start: Mapped[time]
    shift_end: Mapped[time]
    # Money in cents of the operation's currency.
    cost_per_km_cents: Mapped[int] = mapped_column(default=0)
    cost_per_hour_cents: Mapped[int] = mapped_column(default=0)
    fixed_cost_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[VehicleStatus] = mapped_column(
        str_enum(VehicleStatus), default=VehicleStatus.IN_SERVICE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Courier(Base):
    __tablename__ = "courier"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Shift(Base):
    """One courier's working day: when, and (once assigned) in which vehicle."""

    __tablename__ = "shift"
    __table_args__ = (UniqueConstraint("courier_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("courier.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
