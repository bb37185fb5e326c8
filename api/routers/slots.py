"""Delivery slots: which windows can still be promised for an address, and booking one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import DispatchActor
from api.depot_scope import DepotFilter
from api.deps import GeocoderDep, NowDep, SessionDep, SettingsDep
from api.idempotency import IdempotencyKey, respond_once
from api.schemas.common import Lat, Lng
from api.schemas.orders import OrderIn
from api.schemas.slots import SlotBooked, SlotBookingIn, SlotsOut
from dispatch import replanning, slot_booking, slots
from infra.errors import FieldProblem, Invalid
from orders import fields as f
from orders.errors import InvalidOrder

router = APIRouter(prefix="/slots", tags=["slots"])


@router.get("")
def offer_slots(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    lat: Annotated[Lat, Query()],
    lng: Annotated[Lng | None, Query()] = None,
    lon: Annotated[Lng | None, Query(description="the same as `lng`")] = None,
    parcels: Annotated[int, Query(ge=1, le=f.MAX_PARCEL_COUNT)] = 1,
    weight_kg: Annotated[
        float | None, Query(gt=0, le=f.MAX_WEIGHT_KG, description="all parcels together")
    ] = None,
    service_s: Annotated[int, Query(ge=0, le=f.MAX_SERVICE_S)] = f.DEFAULT_SERVICE_S,
) -> SlotsOut:
    """Dispatchers and admins. `parcels` counts parcels; without `weight_kg` each weighs the
    configured default."""
    if (lng is None) == (lon is None):
        raise Invalid(
            "give the longitude once, as `lng` (or `lon`)",
            [FieldProblem("query.lng", "exactly one of lng and lon is required")],
        )
    weight_g = (
        f.kg_to_g(weight_kg)
        if weight_kg is not None
        else parcels * settings.slots.default_parcel_weight_g
    )
    request = slots.SlotRequest(
        lat=lat,
        lng=lng if lng is not None else lon or 0.0,
        weight_g=max(1, weight_g),
        volume_cm3=0,
        parcels=parcels,
        service_s=service_s,
        depot_id=depot_id,
    )
    days = slots.offer_slots(
        session, request, now=now, operation=settings.operation, slots=settings.slots
    )
    return SlotsOut.of(days)


@router.post("")
def offer_slots_for_order(
    payload: OrderIn, session: SessionDep, settings: SettingsDep, now: NowDep, _actor: DispatchActor
) -> SlotsOut:
    """Dispatchers and admins. The slots for a full draft order (as for POST /orders; it needs
    coordinates, and its windows are ignored)."""
    if payload.lat is None or payload.lng is None:
        raise InvalidOrder(
            "slots are priced by coordinates: give lat and lng",
            [FieldProblem("lat", "lat and lng are required")],
        )
    request = slots.request_of(payload.to_draft(), lat=payload.lat, lng=payload.lng)
    days = slots.offer_slots(
        session, request, now=now, operation=settings.operation, slots=settings.slots
    )
    return SlotsOut.of(days)


@router.post("/book", status_code=201, response_model=SlotBooked)
def book_slot(
    payload: SlotBookingIn,
    session: SessionDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    now: NowDep,
    actor: DispatchActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Dispatchers and admins. Takes the order in with the slot as its window, checked again
    first (409 `slot_unavailable` when it was taken meanwhile). A day already published asks
    for a replan, as for any new order."""

    def produce() -> SlotBooked:
        booking = slot_booking.book_slot(
            session,
            payload.order.to_draft(),
            service_date=payload.service_date,
            window=payload.window.to_draft(),
            now=now,
            operation=settings.operation,
            slots=settings.slots,
            geocoder=geocoder,
            by_user_id=actor.user_id,
        )
        replanning.replan_for_new_orders(
            session, [booking.intake.order], now=now, settings=settings.replanning
        )
        return SlotBooked.of(booking)

    return respond_once(
        session,
        actor=actor,
        operation="book_slot",
        key=idempotency_key,
        request=payload.model_dump_json().encode(),
        status=201,
        produce=produce,
    )
