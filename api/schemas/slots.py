"""Delivery slots: the windows a shop may promise at checkout, and booking one.

Windows are local wall-clock times on their service date, in the operation's time zone, with
the same instants in UTC (`starts_at`, `ends_at`).
"""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import Field

from api.schemas.common import RequestModel, ResponseModel
from api.schemas.orders import LocalTime, OrderIn, OrderOut
from dispatch.slot_booking import Booking
from dispatch.slots import DaySlots, SlotOffer, SlotRefusal
from orders.drafts import WindowDraft


class SlotRouteOut(ResponseModel):
    """The cheapest place for the stop: a route of the live plan (or, without one, a vehicle)."""

    plan_id: int | None
    route_id: int | None
    vehicle_id: int
    position: int
    service_start_at: datetime
    extra_distance_m: int
    extra_drive_s: int
    extra_cost: float


class SlotOut(ResponseModel):
    start: time
    end: time
    starts_at: datetime
    ends_at: datetime
    available: bool
    reason: SlotRefusal | None
    route: SlotRouteOut | None

    @classmethod
    def of(cls, offer: SlotOffer) -> SlotOut:
        return cls.model_validate(offer)


class DaySlotsOut(ResponseModel):
    service_date: date
    plan_ids: list[int]
    slots: list[SlotOut]

    @classmethod
    def of(cls, day: DaySlots) -> DaySlotsOut:
        return cls(
            service_date=day.service_date,
            plan_ids=list(day.plan_ids),
            slots=[SlotOut.of(o) for o in day.offers],
        )


class SlotsOut(ResponseModel):
    days: list[DaySlotsOut]

    @classmethod
    def of(cls, days: list[DaySlots]) -> SlotsOut:
        return cls(days=[DaySlotsOut.of(d) for d in days])


class SlotWindowIn(RequestModel):
    start: LocalTime
    end: LocalTime

    def to_draft(self) -> WindowDraft:
        return WindowDraft(self.start, self.end)


class SlotBookingIn(RequestModel):
    """The order (without windows: the slot is its window) and the slot chosen."""

    service_date: date
    window: SlotWindowIn
    order: OrderIn = Field(description="as for POST /orders, without `windows`")


class SlotBooked(ResponseModel):
    order: OrderOut
    slot: SlotOut

    @classmethod
    def of(cls, booking: Booking) -> SlotBooked:
        return cls(order=OrderOut.of(booking.intake.order), slot=SlotOut.of(booking.offer))
