"""Returns: a pickup order at the customer's address, planned like any stop, and the goods
received back into the depot's returns area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from customers import defects, tracking_view
from customers.errors import (
    ReturnAlreadyReceived,
    ReturnNotAllowed,
    ReturnNotFound,
    ReturnNotPickedUp,
)
from infra.models import (
    Complaint,
    HoldReason,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    Parcel,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from infra.settings import OperationSettings, ServiceSettings
from orders import service as orders
from orders import timeline
from orders.cutoff import service_day_for
from tracking import notifications
from warehouse import holds, stock


@dataclass(frozen=True, slots=True)
class ReturnAsk:
    reason: ReturnReason
    note: str | None = None
    complaint_id: int | None = None


def get_return(session: Session, return_id: int) -> ReturnRequest:
    """Raises ReturnNotFound."""
    found = session.get(ReturnRequest, return_id)
    if found is None:
        raise ReturnNotFound(f"return {return_id} does not exist", return_id=return_id)
    return found


def list_returns(
    session: Session,
    *,
    status: ReturnStatus | None = None,
    order_id: int | None = None,
    depot_id: int | None = None,
) -> list[ReturnRequest]:
    query = select(ReturnRequest).order_by(ReturnRequest.id)
    if depot_id is not None:
        query = query.join(Order, Order.id == ReturnRequest.order_id).where(
            Order.depot_id == depot_id
        )
    if status is not None:
        query = query.where(ReturnRequest.status == status)
    if order_id is not None:
        query = query.where(ReturnRequest.order_id == order_id)
    return list(session.scalars(query))


def return_by_code(
    session: Session,
    code: str,
    ask: ReturnAsk,
    *,
    now: datetime,
    operation: OperationSettings,
    settings: ServiceSettings,
) -> ReturnRequest:
    """The customer asks to send their delivered order back. Raises TrackingCodeUnknown,
    ReturnNotAllowed."""
    order = tracking_view.find_order(session, code)
    return _schedule(session, order, ask, None, now, operation, settings)


def request_return(
    session: Session,
    order_id: int,
    ask: ReturnAsk,
    *,
    by_id: int,
    now: datetime,
    operation: OperationSettings,
    settings: ServiceSettings,
) -> ReturnRequest:
    """A dispatcher schedules a return, possibly for a complaint about the order.
    Raises OrderNotFound, ReturnNotAllowed."""
    order = orders.get_order(session, order_id)
    return _schedule(session, order, ask, by_id, now, operation, settings)


def _schedule(
    session: Session,
    order: Order,
    ask: ReturnAsk,
    by_id: int | None,
    now: datetime,
    operation: OperationSettings,
    settings: ServiceSettings,
) -> ReturnRequest:
    _check_returnable(session, order, ask)
    day = service_day_for(
        now,
        cutoff=operation.cutoff,
        zone=operation.zone,
        operating_weekdays=operation.operating_weekdays,
    )
    reference = f"RET-{order.reference or order.id}"[:64]
    # No window: the courier may come any time of the pickup day.
    pickup = Order(
        tracking_code=orders.new_tracking_code(),
        reference=reference,
        kind=OrderKind.PICKUP,
        status=OrderStatus.PLANNABLE,
        service_date=day.service_date,
        received_at=now,
        depot_id=order.depot_id,
        recipient_name=order.recipient_name,
        recipient_phone=order.recipient_phone,
        recipient_email=order.recipient_email,
        address=order.address,
        lat=order.lat,
        lng=order.lng,
        location_source=order.location_source,
        service_s=order.service_s,
        priority=order.priority,
        handling=list(order.handling),
        notes=f"return of order {order.reference or order.id}: {ask.reason.value}",
        created_by_id=by_id,
        parcels=[
            Parcel(weight_g=p.weight_g, volume_cm3=p.volume_cm3, count=p.count)
            for p in order.parcels
        ],
        lines=[
            OrderLine(line_no=line.line_no, sku=line.sku, quantity=line.quantity)
            for line in order.lines
        ],
    )
    session.add(pickup)
    session.flush()
    batch_ids = defects.batch_ids_of(session, order.id)
    returned = ReturnRequest(
        order_id=order.id,
        pickup_order_id=pickup.id,
        complaint_id=ask.complaint_id,
        batch_id=batch_ids[0] if batch_ids else None,
        reason=ask.reason,
        status=ReturnStatus.SCHEDULED,
        note=ask.note,
        created_by_id=by_id,
        created_at=now,
    )
    session.add(returned)
    session.flush()
    timeline.record(
        session,
        order.id,
        timeline.RETURN_REQUESTED,
        {"return_id": returned.id, "pickup_order_id": pickup.id, "reason": ask.reason.value},
        at=now,
        actor_id=by_id,
    )
    notifications.notify_customer(session, pickup, notifications.RETURN_SCHEDULED, now=now)
    if ask.reason is ReturnReason.FAULTY_GOODS and ask.complaint_id is None:
        defects.hold_if_repeated(
            session, order.id, threshold=settings.defect_hold_threshold, now=now
        )
    return returned


def _check_returnable(session: Session, order: Order, ask: ReturnAsk) -> None:
    if order.kind is not OrderKind.DELIVERY or order.status is not OrderStatus.DELIVERED:
        raise ReturnNotAllowed(
            f"only a delivered order can be returned; it is a {order.kind.value} order, "
            f"{order.status.value}",
            order_id=order.id,
        )
    if ask.complaint_id is not None:
        complaint = session.get(Complaint, ask.complaint_id)
        if complaint is None or complaint.order_id != order.id:
            raise ReturnNotAllowed(
                f"complaint {ask.complaint_id} is not about this order",
                order_id=order.id,
                complaint_id=ask.complaint_id,
            )
    earlier = session.scalar(select(ReturnRequest.id).where(ReturnRequest.order_id == order.id))
    if earlier is not None:
        raise ReturnNotAllowed(
            f"a return of this order was already requested (return {earlier})",
            order_id=order.id,
            return_id=earlier,
        )


def receive_return(
    session: Session,
    return_id: int,
    *,
    defect: bool,
    note: str | None,
    by_id: int,
    now: datetime,
) -> tuple[ReturnRequest, holds.HoldEffects | None]:
    """Takes the picked-up goods into the returns area; a defect holds their batch (unless an
    active hold blocks it already). Raises ReturnNotFound, ReturnNotPickedUp,
    ReturnAlreadyReceived."""
    returned = get_return(session, return_id)
    if returned.status is ReturnStatus.RECEIVED:
        raise ReturnAlreadyReceived(
            f"return {return_id} was received at {returned.received_at}", return_id=return_id
        )
    pickup = orders.get_order(session, returned.pickup_order_id)
    if pickup.status is not OrderStatus.DELIVERED:
        raise ReturnNotPickedUp(
            f"return {return_id}: its pickup order is {pickup.status.value}, not picked up",
            return_id=return_id,
            pickup_order_id=pickup.id,
        )
    returned.status = ReturnStatus.RECEIVED
    returned.received_at, returned.received_by_id = now, by_id
    returned.defect = defect
    if note:
        returned.note = f"{returned.note}\n{note}" if returned.note else note
    effects = None
    batch_id = returned.batch_id
    if defect and batch_id is not None and not stock.held_batch_ids(session, [batch_id]):
        effects = holds.place_hold(
            session,
            batch_id=batch_id,
            reason=HoldReason.DEFECT,
            note=f"defect found in return {returned.id}",
            by_id=by_id,
            now=now,
        )
        returned.hold_id = effects.hold.id
    timeline.record(
        session,
        returned.order_id,
        timeline.RETURN_RECEIVED,
        {"return_id": returned.id, "defect": defect, "hold_id": returned.hold_id},
        at=now,
        actor_id=by_id,
    )
    session.flush()
    return returned, effects
