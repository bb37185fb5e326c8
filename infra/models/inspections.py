"""Vehicle inspections: checklist templates, insert-only inspection logs and repairs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.models.append_only import insert_only
from infra.models.base import Base, str_enum, utcnow
from infra.models.fleet import VehicleType


class InspectionTemplate(Base):
    """The checklist of a vehicle type; a new version replaces it, old ones stay for the logs."""

    __tablename__ = "inspection_template"
    __table_args__ = (UniqueConstraint("vehicle_type", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_type: Mapped[VehicleType] = mapped_column(str_enum(VehicleType))
    version: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[InspectionTemplateItem]] = relationship(
        cascade="all, delete-orphan", order_by="InspectionTemplateItem.position", lazy="selectin"
    )


class InspectionTemplateItem(Base):
    __tablename__ = "inspection_template_item"
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("inspection_template.id"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    # A failed critical item takes the vehicle out of service.
    critical: Mapped[bool]
    # Checked only on vehicles that carry chilled or frozen goods.
    refrigerated_only: Mapped[bool] = mapped_column(default=False)


@insert_only
class Inspection(Base):
    """One pre-departure check of a vehicle; insert-only, a correction is a new row."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("courier.id"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_template.id"))
    # The operating day the inspection is for.
    day: Mapped[date] = mapped_column(index=True)
    performed_at: Mapped[datetime]
    odometer_km: Mapped[int]
    passed: Mapped[bool]
    critical_failed: Mapped[bool]
    # The earlier log this one corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[InspectionItem]] = relationship(
        order_by="InspectionItem.id", lazy="selectin"
    )


@insert_only
class InspectionItem(Base):
    """The result of one checklist item, copied from the template so the log stands alone."""

    __tablename__ = "inspection_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    critical: Mapped[bool]
    passed: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(1000))


@insert_only
class VehicleRepair(Base):
    """A dispatcher's or mechanic's record that a vehicle was fixed; puts it back in service."""

    __tablename__ = "vehicle_repair"

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    # The failed inspection the repair answers, if any.
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    note: Mapped[str] = mapped_column(String(2000))
    repaired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    repaired_at: Mapped[datetime]
