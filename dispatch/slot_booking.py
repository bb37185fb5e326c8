"""Booking a delivery slot: the order is taken in with the slot as its window, once the slot
has been judged again in the same transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dispatch import slots as slot_offers
from dispatch.errors import SlotNotOffered, SlotUnavailable
from infra.errors import FieldProblem
from infra.geocoding import Geocoder
from infra.models import Vehicle
from infra.settings import OperationSettings, SlotSettings
from orders import service as order_service
from orders.drafts import OrderDraft, WindowDraft


@dataclass(frozen=True, slots=True)
class Booking:
    intake: order_service.Intake
    offer: slot_offers.SlotOffer


def book_slot(
    session: Session,
    draft: OrderDraft,
    *,
    service_date: date,
    window: WindowDraft,
    now: datetime,
    operation: OperationSettings,
    slots: SlotSettings,
    geocoder: Geocoder | None,
    by_user_id: int | None = None,
) -> Booking:
    """Takes the order in for the slot, after checking again in this transaction that the slot
    can still be kept.

    Raises SlotNotOffered (no such slot), SlotUnavailable (past, or no longer feasible), and
    what orders.service.take_order raises.
    """
    if draft.windows:
        raise SlotNotOffered(
            "the slot sets the delivery window; leave the order's windows out",
            [FieldProblem("order.windows", "must be empty: the slot is the window")],
        )
    days = slot_offers.slot_days(now, operation)
    if service_date not in days:
        raise SlotNotOffered(
            f"slots are offered for {days[0]} and {days[1]}, not {service_date}",
            [FieldProblem("service_date", "must be today or the next operating day")],
        )
    if (window.start, window.end) not in slot_offers.candidate_windows(slots):
        raise SlotNotOffered(
            f"{window.start:%H:%M}-{window.end:%H:%M} is not one of the delivery windows",
            [FieldProblem("window", "must be one of the windows GET /slots lists")],
        )
    refusal = slot_offers.timing_refusal(service_date, window.start, now, operation, slots)
    if refusal is not None:
        raise _unavailable(service_date, window, refusal)
    booked = dataclasses.replace(draft, windows=(window,))
    intake = order_service.take_order(
        session,
        booked,
        received_at=now,
        operation=operation,
        geocoder=geocoder,
        by_user_id=by_user_id,
        service_date=service_date,
    )
    order = intake.order
    request = slot_offers.request_of(draft, lat=order.lat, lng=order.lng)
    day = slot_offers.day_slots(
        session,
        request,
        service_date,
        now=now,
        operation=operation,
        slots=slots,
        windows=[(window.start, window.end)],
        exclude_order_ids={order.id},
        lock=True,
    )
    offer = day.offers[0]
    if offer.reason is not None or offer.route is None:
        raise _unavailable(service_date, window, offer.reason or slot_offers.SlotRefusal.NO_VEHICLE)
    if order.depot_id is None:
        # Served from the depot of the vehicle that has room: plans of that depot see it.
        vehicle = session.get(Vehicle, offer.route.vehicle_id)
        order.depot_id = vehicle.depot_id if vehicle is not None else None
        session.flush()
    return Booking(intake, offer)


def _unavailable(
    day: date, window: WindowDraft, reason: slot_offers.SlotRefusal
) -> SlotUnavailable:
    return SlotUnavailable(
        f"the slot {day} {window.start:%H:%M}-{window.end:%H:%M} can no longer be promised: "
        f"{reason.value}",
        reason=reason.value,
    )
