"""After a failed attempt the customer chooses: a new delivery window, or collecting the order
at a pickup point (one of our depots).

The parcel rides back to the depot with the courier, so new windows start on the next operating
day: they are the delivery slots of that day judged for this order (`dispatch.slots`), so only a
window the routes as planned can still keep is offered. A choice is made once per failed attempt:
the order then is plannable again for its new day (asking for a replan when that day is already
published), or waits at the chosen depot until a dispatcher hands it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from customers import tracking_view
from customers.errors import CollectionNotWaiting, PickupPointUnknown, RedeliveryNotOpen
from dispatch import replanning
from dispatch import slots as slot_offers
from dispatch.errors import SlotNotOffered, SlotUnavailable
from infra.errors import FieldProblem
from infra.models import Depot, Order, OrderStatus, OrderWindow
from infra.settings import OperationSettings, ReplanSettings, SlotSettings
from infra.settings import Settings as AppSettings
from orders import service as orders
from orders import timeline
from tracking import notifications
from tracking.driven import trail_length_m


@dataclass(frozen=True, slots=True)
class PickupPoint:
    depot_id: int
    name: str
    address: str | None
    distance_m: int


@dataclass(frozen=True, slots=True)
class RedeliveryOptions:
    """What a customer may choose after a failed attempt."""

    service_date: date
    # The windows of `service_date` that can still be promised, and the others with why not.
    windows: tuple[slot_offers.SlotOffer, ...]
    pickup_points: tuple[PickupPoint, ...]


@dataclass(frozen=True, slots=True)
class WindowChoice:
    service_date: date
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Settings:
    """The parts of the application settings a redelivery reads."""

    operation: OperationSettings
    slots: SlotSettings
    replanning: ReplanSettings

    @classmethod
    def of(cls, settings: AppSettings) -> Settings:
        return cls(settings.operation, settings.slots, settings.replanning)


def options(
    session: Session, order: Order, *, now: datetime, settings: Settings
) -> RedeliveryOptions:
    """The choices for an order whose attempt failed. Raises RedeliveryNotOpen."""
    _check_open(order)
    day = slot_offers.slot_days(now, settings.operation)[1]
    judged = _judge(session, order, day, now=now, settings=settings)
    return RedeliveryOptions(day, judged.offers, _pickup_points(session, order))


def choose_window(
    session: Session, code: str, choice: WindowChoice, *, now: datetime, settings: Settings
) -> Order:
    """Books the order again for a window of the next operating day, judged again in this
    transaction. Raises TrackingCodeUnknown, RedeliveryNotOpen, SlotNotOffered, SlotUnavailable."""
    order = tracking_view.find_order(session, code)
    _check_open(order)
    day = slot_offers.slot_days(now, settings.operation)[1]
    if choice.service_date != day:
        raise SlotNotOffered(
            f"a new delivery can be booked for {day}, not {choice.service_date}",
            [FieldProblem("service_date", f"must be {day}")],
        )
    if (choice.start, choice.end) not in slot_offers.candidate_windows(settings.slots):
        raise SlotNotOffered(
            f"{choice.start:%H:%M}-{choice.end:%H:%M} is not one of the delivery windows",
            [FieldProblem("window", "must be one of the windows offered")],
        )
    judged = _judge(session, order, day, now=now, settings=settings, window=choice, lock=True)
    offer = judged.offers[0]
    if offer.reason is not None:
        raise SlotUnavailable(
            f"the window {day} {choice.start:%H:%M}-{choice.end:%H:%M} can no longer be "
            f"promised: {offer.reason.value}",
            reason=offer.reason.value,
        )
    failed_on = order.service_date
    order.windows.clear()
    order.windows.append(OrderWindow(starts_at=offer.starts_at, ends_at=offer.ends_at))
    order.service_date = day
    order.status = OrderStatus.PLANNABLE
    session.flush()
    details = {
        "failed_on": failed_on.isoformat(),
        "service_date": day.isoformat(),
        "window": [offer.starts_at.isoformat(), offer.ends_at.isoformat()],
    }
    timeline.record(session, order.id, timeline.REDELIVERY_BOOKED, details, at=now)
    notifications.notify_customer(
        session, order, notifications.REDELIVERY_BOOKED, now=now, details=details
    )
    replanning.replan_for_new_orders(session, [order], now=now, settings=settings.replanning)
    return order


def choose_pickup_point(session: Session, code: str, depot_id: int, *, now: datetime) -> Order:
    """The customer collects the order at a depot. Raises TrackingCodeUnknown,
    RedeliveryNotOpen, PickupPointUnknown."""
    order = tracking_view.find_order(session, code)
    _check_open(order)
    depot = session.get(Depot, depot_id)
    if depot is None:
        raise PickupPointUnknown(
            f"there is no pickup point {depot_id}",
            [FieldProblem("pickup_point_id", "must be one of the pickup points offered")],
        )
    order.depot_id = depot.id
    order.status = OrderStatus.AWAITING_COLLECTION
    session.flush()
    details = {"pickup_point": depot.name, "address": depot.address}
    timeline.record(session, order.id, timeline.COLLECTION_CHOSEN, details, at=now)
    notifications.notify_customer(
        session, order, notifications.COLLECTION_CHOSEN, now=now, details=details
    )
    return order


def hand_over(
    session: Session, order_id: int, *, recipient_name: str, now: datetime, by_id: int | None
) -> Order:
    """A dispatcher hands an order waiting at its depot to the customer. Raises
    OrderNotFound, CollectionNotWaiting."""
    order = orders.get_order(session, order_id)
    if order.status is not OrderStatus.AWAITING_COLLECTION:
        raise CollectionNotWaiting(
            f"order {order_id} is {order.status.value}, not waiting for collection",
            status=order.status.value,
        )
    order.status = OrderStatus.DELIVERED
    session.flush()
    timeline.record(
        session,
        order.id,
        timeline.COLLECTED,
        {"recipient_name": recipient_name},
        at=now,
        actor_id=by_id,
    )
    notifications.notify_customer(session, order, notifications.DELIVERED, now=now)
    return order


def _check_open(order: Order) -> None:
    if order.status is not OrderStatus.FAILED:
        raise RedeliveryNotOpen(
            "a new window or a pickup point can be chosen after a failed attempt; "
            f"the order is {order.status.value}",
            status=order.status.value,
        )


def _judge(
    session: Session,
    order: Order,
    day: date,
    *,
    now: datetime,
    settings: Settings,
    window: WindowChoice | None = None,
    lock: bool = False,
) -> slot_offers.DaySlots:
    """The slots of `day` (or the one `window`) for this order, as if it were not booked."""
    request = slot_offers.SlotRequest(
        lat=order.lat,
        lng=order.lng,
        weight_g=sum(p.weight_g * p.count for p in order.parcels),
        volume_cm3=sum(p.volume_cm3 * p.count for p in order.parcels),
        parcels=sum(p.count for p in order.parcels),
        service_s=order.service_s,
        handling=frozenset(order.handling),
        depot_id=order.depot_id,
    )
    return slot_offers.day_slots(
        session,
        request,
        day,
        now=now,
        operation=settings.operation,
        slots=settings.slots,
        windows=None if window is None else [(window.start, window.end)],
        exclude_order_ids={order.id},
        lock=lock,
    )


def _pickup_points(session: Session, order: Order) -> tuple[PickupPoint, ...]:
    """Every depot, nearest first."""
    points = [
        PickupPoint(
            depot.id,
            depot.name,
            depot.address,
            round(trail_length_m([order.lat, depot.lat], [order.lng, depot.lng])),
        )
        for depot in session.scalars(select(Depot))
    ]
    return tuple(sorted(points, key=lambda p: p.distance_m))
