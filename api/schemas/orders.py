"""Orders: submissions, edits and what is sent back.

Weights are kilograms and volumes litres; windows are local wall-clock times
("09:00") on the order's service date, in the operation's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, Field

from api.schemas.common import (
    Address,
    Email,
    Id,
    Lat,
    Lng,
    Name,
    Notes,
    Phone,
    Reference,
    RequestModel,
    ResponseModel,
    Skill,
    Sku,
)
from infra.models import LocationSource, Order, OrderKind, OrderStatus
from orders import fields as f
from orders.cutoff import Deferral, ServiceDay
from orders.drafts import LineDraft, OrderChanges, OrderDraft, ParcelDraft, WindowDraft
from orders.service import Intake


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local time without an offset, e.g. 09:00")
    return value


LocalTime = Annotated[time, AfterValidator(_local)]
Handling = Annotated[list[Skill], Field(max_length=f.MAX_HANDLING)]


class Recipient(RequestModel):
    name: Name
    phone: Phone | None = None
    email: Email | None = None


class ParcelIn(RequestModel):
    weight_kg: float = Field(gt=0, le=f.MAX_WEIGHT_KG)
    volume_l: float = Field(default=0, ge=0, le=f.MAX_VOLUME_L)
    count: int = Field(default=1, ge=1, le=f.MAX_PARCEL_COUNT)


class LineIn(RequestModel):
    sku: Sku
    quantity: int = Field(ge=1, le=f.MAX_QUANTITY)


class WindowIn(RequestModel):
    start: LocalTime
    end: LocalTime

    def to_draft(self) -> WindowDraft:
        return WindowDraft(self.start, self.end)


Windows = Annotated[list[WindowIn], Field(max_length=f.MAX_WINDOWS)]


class OrderIn(RequestModel):
    reference: Reference | None = None
    kind: OrderKind = OrderKind.DELIVERY
    recipient: Recipient
    address: Address | None = None
    lat: Lat | None = None
    lng: Lng | None = None
    parcels: list[ParcelIn] = Field(min_length=1, max_length=f.MAX_PARCEL_GROUPS)
    lines: list[LineIn] = Field(default_factory=list, max_length=f.MAX_LINES)
    windows: Windows = Field(default_factory=list)
    service_s: int = Field(default=f.DEFAULT_SERVICE_S, ge=0, le=f.MAX_SERVICE_S)
    priority: int = Field(default=0, ge=0, le=f.MAX_PRIORITY)
    handling: Handling = Field(default_factory=list)
    notes: Notes | None = None
    depot_id: Id | None = None

    def to_draft(self) -> OrderDraft:
        return OrderDraft(
            reference=self.reference,
            kind=self.kind,
            recipient_name=self.recipient.name,
            recipient_phone=self.recipient.phone,
            recipient_email=self.recipient.email,
            address=self.address,
            lat=self.lat,
            lng=self.lng,
            parcels=tuple(
                ParcelDraft(
                    weight_g=max(1, f.kg_to_g(p.weight_kg)),
                    volume_cm3=f.litres_to_cm3(p.volume_l),
                    count=p.count,
                )
                for p in self.parcels
            ),
            lines=tuple(LineDraft(line.sku, line.quantity) for line in self.lines),
            windows=tuple(w.to_draft() for w in self.windows),
            service_s=self.service_s,
            priority=self.priority,
            handling=tuple(self.handling),
            notes=self.notes,
            depot_id=self.depot_id,
        )


class OrderPatch(RequestModel):
    """Fields left out stay as they are."""

    recipient_name: Name | None = None
    recipient_phone: Phone | None = None
    recipient_email: Email | None = None
    address: Address | None = None
    lat: Lat | None = None
    lng: Lng | None = None
    windows: Windows | None = None
    service_s: int | None = Field(default=None, ge=0, le=f.MAX_SERVICE_S)
    priority: int | None = Field(default=None, ge=0, le=f.MAX_PRIORITY)
    handling: Handling | None = None
    notes: Notes | None = None

    def to_changes(self) -> OrderChanges:
        return OrderChanges(
            recipient_name=self.recipient_name,
            recipient_phone=self.recipient_phone,
            recipient_email=self.recipient_email,
            address=self.address,
            lat=self.lat,
            lng=self.lng,
            windows=None if self.windows is None else tuple(w.to_draft() for w in self.windows),
            service_s=self.service_s,
            priority=self.priority,
            handling=None if self.handling is None else tuple(self.handling),
            notes=self.notes,
        )


class RecipientOut(ResponseModel):
    name: str
    phone: str | None
    email: str | None


class ParcelOut(ResponseModel):
    weight_kg: float
    volume_l: float
    count: int


class LineOut(ResponseModel):
    sku: str
    quantity: int


class WindowOut(ResponseModel):
    starts_at: datetime
    ends_at: datetime


class OrderOut(ResponseModel):
    id: int
    tracking_code: str
    reference: str | None
    kind: OrderKind
    status: OrderStatus
    service_date: date
    received_at: datetime
    depot_id: int | None
    recipient: RecipientOut
    address: str | None
    lat: float
    lng: float
    location_source: LocationSource
    parcels: list[ParcelOut]
    lines: list[LineOut]
    windows: list[WindowOut]
    service_s: int
    priority: int
    handling: list[str]
    notes: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            tracking_code=order.tracking_code,
            reference=order.reference,
            kind=order.kind,
            status=order.status,
            service_date=order.service_date,
            received_at=order.received_at,
            depot_id=order.depot_id,
            recipient=RecipientOut(
                name=order.recipient_name,
                phone=order.recipient_phone,
                email=order.recipient_email,
            ),
            address=order.address,
            lat=order.lat,
            lng=order.lng,
            location_source=order.location_source,
            parcels=[
                ParcelOut(weight_kg=p.weight_g / 1000, volume_l=p.volume_cm3 / 1000, count=p.count)
                for p in order.parcels
            ],
            lines=[LineOut(sku=line.sku, quantity=line.quantity) for line in order.lines],
            windows=[WindowOut(starts_at=w.starts_at, ends_at=w.ends_at) for w in order.windows],
            service_s=order.service_s,
            priority=order.priority,
            handling=list(order.handling),
            notes=order.notes,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


class IntakeNote(ResponseModel):
    """Which day the order is delivered on, and why if it is not the day it arrived."""

    service_date: date
    same_day: bool
    deferral: Deferral | None
    cutoff_at: datetime
    message: str

    @classmethod
    def of(cls, day: ServiceDay) -> IntakeNote:
        local_cutoff = day.cutoff_at.strftime("%H:%M")
        if day.deferral is Deferral.AFTER_CUTOFF:
            message = (
                f"received after the {local_cutoff} cut-off: "
                f"accepted for the next operating day, {day.service_date}"
            )
        elif day.deferral is Deferral.CLOSED_DAY:
            message = (
                f"received on a day without deliveries: "
                f"accepted for the next operating day, {day.service_date}"
            )
        else:
            message = f"accepted for same-day delivery on {day.service_date}"
        return cls(
            service_date=day.service_date,
            same_day=day.deferral is None,
            deferral=day.deferral,
            cutoff_at=day.cutoff_at.astimezone(UTC),
            message=message,
        )


class OrderAccepted(OrderOut):
    intake: IntakeNote

    @classmethod
    def of_intake(cls, intake: Intake) -> OrderAccepted:
        return cls(
            **OrderOut.of(intake.order).model_dump(), intake=IntakeNote.of(intake.service_day)
        )


class BulkOrderRow(ResponseModel):
    row: int
    id: int
    tracking_code: str
    reference: str | None


class BulkAccepted(ResponseModel):
    count: int
    intake: IntakeNote
    orders: list[BulkOrderRow]
