"""Inspection checklists, inspection logs and repairs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from api.schemas.common import Id, Name, Notes, RequestModel, ResponseModel
from infra.models import Inspection, InspectionTemplate, VehicleRepair, VehicleType
from warehouse.rules import ChecklistItem, ItemResult

ItemCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,31}$")
]


class TemplateItemIn(RequestModel):
    code: ItemCode
    label: Name
    critical: bool
    refrigerated_only: bool = False


class TemplateIn(RequestModel):
    vehicle_type: VehicleType
    items: Annotated[list[TemplateItemIn], Field(min_length=1, max_length=64)]

    def to_items(self) -> list[ChecklistItem]:
        return [ChecklistItem(i.code, i.label, i.critical, i.refrigerated_only) for i in self.items]


class ChecklistItemOut(ResponseModel):
    code: str
    label: str
    critical: bool
    refrigerated_only: bool


class TemplateOut(ResponseModel):
    id: int
    vehicle_type: VehicleType
    version: int
    created_at: datetime
    items: list[ChecklistItemOut]

    @classmethod
    def of(cls, template: InspectionTemplate) -> TemplateOut:
        return cls.model_validate(template)


class ChecklistOut(ResponseModel):
    vehicle_id: int
    template_id: int | None
    items: list[ChecklistItemOut]


class ItemResultIn(RequestModel):
    code: ItemCode
    passed: bool
    note: Notes | None = None


class InspectionIn(RequestModel):
    # The operating day; defaults to today in the operation's time zone.
    day: date | None = None
    performed_at: AwareDatetime | None = None
    odometer_km: Annotated[int, Field(ge=0, le=10_000_000)]
    items: Annotated[list[ItemResultIn], Field(min_length=1, max_length=64)]
    corrects_inspection_id: Id | None = None

    def to_results(self) -> list[ItemResult]:
        return [ItemResult(i.code, i.passed, i.note) for i in self.items]


class InspectionItemOut(ResponseModel):
    code: str
    label: str
    critical: bool
    passed: bool
    note: str | None


class InspectionOut(ResponseModel):
    id: int
    vehicle_id: int
    shift_id: int | None
    courier_id: int | None
    template_id: int | None
    day: date
    performed_at: datetime
    odometer_km: int
    passed: bool
    critical_failed: bool
    corrects_id: int | None
    items: list[InspectionItemOut]

    @classmethod
    def of(cls, inspection: Inspection) -> InspectionOut:
        return cls.model_validate(inspection)


class RepairIn(RequestModel):
    note: Notes
    inspection_id: Id | None = None


class RepairOut(ResponseModel):
    id: int
    vehicle_id: int
    inspection_id: int | None
    note: str
    repaired_by_id: int | None
    repaired_at: datetime

    @classmethod
    def of(cls, repair: VehicleRepair) -> RepairOut:
        return cls.model_validate(repair)
