"""Orders: single and bulk intake (idempotent), reading, amending, cancelling."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse

from api.auth import DispatchActor
from api.depot_scope import DepotFilter, OrderId, depot_in_scope
from api.deps import GeocoderDep, NowDep, SessionDep, SettingsDep
from api.idempotency import IdempotencyKey, respond_once
from api.schemas.orders import (
    BulkAccepted,
    BulkOrderRow,
    IntakeNote,
    OrderAccepted,
    OrderIn,
    OrderOut,
    OrderPatch,
)
from api.schemas.timeline import TimelineEntryOut
from dispatch import replanning
from infra.errors import FieldProblem
from infra.models import OrderStatus
from orders import service
from orders.csv_intake import MAX_FILE_BYTES
from orders.errors import InvalidCsv

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("", status_code=201, response_model=OrderAccepted)
def take_order(
    payload: OrderIn,
    session: SessionDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    now: NowDep,
    actor: DispatchActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Dispatchers and admins. After the cut-off the order is for the next operating day."""
    depot_id = depot_in_scope(session, actor, payload.depot_id)

    def produce() -> OrderAccepted:
        intake = service.take_order(
            session,
            payload.model_copy(update={"depot_id": depot_id}).to_draft(),
            received_at=now,
            operation=settings.operation,
            geocoder=geocoder,
            by_user_id=actor.user_id,
        )
        replanning.replan_for_new_orders(
            session, [intake.order], now=now, settings=settings.replanning
        )
        return OrderAccepted.of_intake(intake)

    return respond_once(
        session,
        actor=actor,
        operation="take_order",
        key=idempotency_key,
        request=payload.model_dump_json().encode(),
        status=201,
        produce=produce,
    )


@router.post("/bulk", status_code=201, response_model=BulkAccepted)
def take_order_file(
    file: Annotated[UploadFile, File(description="CSV, UTF-8, one order per row")],
    session: SessionDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    now: NowDep,
    actor: DispatchActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Dispatchers and admins. All rows are taken or none; every bad row is reported."""
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCsv(
            f"the file is larger than {MAX_FILE_BYTES} bytes",
            [FieldProblem("file", f"larger than {MAX_FILE_BYTES} bytes")],
        )

    def produce() -> BulkAccepted:
        intake = service.take_order_file(
            session,
            data,
            received_at=now,
            operation=settings.operation,
            geocoder=geocoder,
            by_user_id=actor.user_id,
            only_depot_id=actor.depot_id,
        )
        replanning.replan_for_new_orders(
            session, [o for _row, o in intake.orders], now=now, settings=settings.replanning
        )
        rows = [
            BulkOrderRow(row=row, id=o.id, tracking_code=o.tracking_code, reference=o.reference)
            for row, o in intake.orders
        ]
        return BulkAccepted(count=len(rows), intake=IntakeNote.of(intake.service_day), orders=rows)

    return respond_once(
        session,
        actor=actor,
        operation="take_order_file",
        key=idempotency_key,
        request=data,
        status=201,
        produce=produce,
    )


@router.get("")
def list_orders(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    service_date: date | None = None,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[OrderOut]:
    """Dispatchers and admins."""
    found = service.list_orders(
        session,
        service_date=service_date,
        status=status,
        depot_id=depot_id,
        limit=limit,
        offset=offset,
    )
    return [OrderOut.of(order) for order in found]


@router.get("/{order_id}")
def get_order(order_id: OrderId, session: SessionDep, _actor: DispatchActor) -> OrderOut:
    """Dispatchers and admins."""
    return OrderOut.of(service.get_order(session, order_id))


@router.get("/{order_id}/timeline")
def order_timeline(
    order_id: OrderId, session: SessionDep, _actor: DispatchActor
) -> list[TimelineEntryOut]:
    """Dispatchers and admins: every event of the order, oldest first, with a summary of the
    courier's positions between each departure and the stop's outcome."""
    return [TimelineEntryOut.of(e) for e in service.order_timeline(session, order_id)]


@router.patch("/{order_id}")
def amend_order(
    order_id: OrderId,
    payload: OrderPatch,
    session: SessionDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    now: NowDep,
    _actor: DispatchActor,
) -> OrderOut:
    """Dispatchers and admins; refused (409) once the order is planned or out for delivery."""
    order = service.amend_order(
        session,
        order_id,
        payload.to_changes(),
        now=now,
        operation=settings.operation,
        geocoder=geocoder,
    )
    return OrderOut.of(order)


@router.post("/{order_id}/cancel")
def cancel_order(
    order_id: OrderId, session: SessionDep, now: NowDep, actor: DispatchActor
) -> OrderOut:
    """Dispatchers and admins; refused (409) once the order is out for delivery."""
    return OrderOut.of(service.cancel_order(session, order_id, now=now, by_id=actor.user_id))
