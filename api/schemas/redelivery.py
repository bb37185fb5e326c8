"""A new window or a pickup point after a failed attempt, as the customer sees and asks."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import model_validator

from api.schemas.common import Id, Name, RequestModel, ResponseModel
from api.schemas.orders import LocalTime
from customers.redelivery import RedeliveryOptions, WindowChoice
from dispatch.slots import SlotRefusal
from infra.models import Order, OrderStatus


class RedeliveryWindowOut(ResponseModel):
    """A window of the new day; no route or vehicle: that is ours to know."""

    start: time
    end: time
    starts_at: datetime
    ends_at: datetime
    available: bool
    reason: SlotRefusal | None


class PickupPointOut(ResponseModel):
    pickup_point_id: int
    name: str
    address: str | None
    distance_m: int


class RedeliveryOptionsOut(ResponseModel):
    service_date: date
    windows: list[RedeliveryWindowOut]
    pickup_points: list[PickupPointOut]

    @classmethod
    def of(cls, options: RedeliveryOptions) -> RedeliveryOptionsOut:
        return cls(
            service_date=options.service_date,
            windows=[
                RedeliveryWindowOut(
                    start=o.start,
                    end=o.end,
                    starts_at=o.starts_at,
                    ends_at=o.ends_at,
                    available=o.reason is None,
                    reason=o.reason,
                )
                for o in options.windows
            ],
            pickup_points=[
                PickupPointOut(
                    pickup_point_id=p.depot_id,
                    name=p.name,
                    address=p.address,
                    distance_m=p.distance_m,
                )
                for p in options.pickup_points
            ],
        )


class RedeliveryWindowIn(RequestModel):
    service_date: date
    start: LocalTime
    end: LocalTime


class RedeliveryIn(RequestModel):
    """Exactly one of `window` (a new delivery) and `pickup_point_id` (collect it there)."""

    window: RedeliveryWindowIn | None = None
    pickup_point_id: Id | None = None

    @model_validator(mode="after")
    def _one_choice(self) -> RedeliveryIn:
        if (self.window is None) == (self.pickup_point_id is None):
            raise ValueError("give exactly one of window and pickup_point_id")
        return self

    def window_choice(self) -> WindowChoice | None:
        if self.window is None:
            return None
        return WindowChoice(self.window.service_date, self.window.start, self.window.end)


class RedeliveryOut(ResponseModel):
    status: OrderStatus
    service_date: date
    window_starts_at: datetime | None
    window_ends_at: datetime | None
    pickup_point_id: int | None

    @classmethod
    def of(cls, order: Order) -> RedeliveryOut:
        windows = sorted((w.starts_at, w.ends_at) for w in order.windows)
        collecting = order.status is OrderStatus.AWAITING_COLLECTION
        return cls(
            status=order.status,
            service_date=order.service_date,
            window_starts_at=windows[0][0] if windows and not collecting else None,
            window_ends_at=windows[-1][1] if windows and not collecting else None,
            pickup_point_id=order.depot_id if collecting else None,
        )


class CollectedIn(RequestModel):
    recipient_name: Name
