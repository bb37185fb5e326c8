"""Holds on whole batches and their effects on orders, routes and customers, in one transaction.

A hold first tries to keep each affected order by re-allocating its units to another batch of
the same SKU; an order that cannot be kept becomes `held`, leaves planning and every route that
has not departed, and its customer is told through the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.errors import FieldProblem
from infra.models import (
    BatchAllocation,
    Hold,
    HoldEvent,
    HoldEventKind,
    HoldReason,
    HoldStatus,
    Order,
    OrderHold,
    OrderKind,
    OrderLine,
    OrderStatus,
    Plan,
    PlanStatus,
    PlanUnserved,
    Route,
    RouteStatus,
    StockBatch,
    Stop,
    StopRemoval,
    SupplierReturn,
)
from orders import timeline
from tracking import notifications
from warehouse import stock
from warehouse.errors import HoldNotActive, HoldNotFound, InvalidReturn

# The reason a plan shows for an order a hold took off its route.
HELD_REASON_CODE = "order_held"
# Plans whose undeparted routes lose the stops of held orders.
_LIVE_PLANS = (PlanStatus.DRAFT, PlanStatus.PUBLISHED)


@dataclass(frozen=True, slots=True)
class HoldEffects:
    hold: Hold
    # Kept by moving their units to another batch of the same SKU.
    reallocated_order_ids: tuple[int, ...]
    # Out of planning until the hold ends.
    held_order_ids: tuple[int, ...]
    # Taken off routes that had not departed.
    removed_stops: tuple[StopRemoval, ...]
    # Already on a departed route: the goods have left and need a recall.
    departed_order_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class HoldClosed:
    hold: Hold
    # Plannable again.
    plannable_order_ids: tuple[int, ...]
    # Still held (another hold, or no stock left to re-allocate to).
    held_order_ids: tuple[int, ...]
    supplier_return: SupplierReturn | None = None


def get_hold(session: Session, hold_id: int) -> Hold:
    """Raises HoldNotFound."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise HoldNotFound(f"hold {hold_id} does not exist", hold_id=hold_id)
    return hold


def list_holds(
    session: Session,
    *,
    status: HoldStatus | None = None,
    batch_id: int | None = None,
    depot_id: int | None = None,
) -> list[Hold]:
    query = select(Hold).order_by(Hold.id)
    if depot_id is not None:
        query = query.join(StockBatch, StockBatch.id == Hold.batch_id).where(
            StockBatch.depot_id == depot_id
        )
    if status is not None:
        query = query.where(Hold.status == status)
    if batch_id is not None:
        query = query.where(Hold.batch_id == batch_id)
    return list(session.scalars(query))


def hold_history(session: Session, hold_id: int) -> list[HoldEvent]:
    return list(
        session.scalars(
            select(HoldEvent).where(HoldEvent.hold_id == hold_id).order_by(HoldEvent.id)
        )
    )


def held_orders_of(session: Session, hold_id: int) -> list[OrderHold]:
    return list(
        session.scalars(
            select(OrderHold).where(OrderHold.hold_id == hold_id).order_by(OrderHold.id)
        )
    )


def place_hold(
    session: Session,
    *,
    batch_id: int,
    reason: HoldReason,
    note: str | None,
    by_id: int | None,
    now: datetime,
) -> HoldEffects:
    """Blocks a whole batch and takes its goods out of planning and undeparted routes.

    `by_id` None marks an automatic hold. Raises BatchNotFound.
    """
    batch = stock.get_batch(session, batch_id)
    hold = Hold(batch_id=batch.id, reason=reason, note=note, placed_by_id=by_id, placed_at=now)
    session.add(hold)
    session.flush()
    session.add(
        HoldEvent(
            hold_id=hold.id, kind=HoldEventKind.PLACED, by_id=by_id, happened_at=now, note=note
        )
    )
    return _take_out(session, hold, batch, now=now)


def _take_out(session: Session, hold: Hold, batch: StockBatch, *, now: datetime) -> HoldEffects:
    by_order: dict[int, list[BatchAllocation]] = defaultdict(list)
    for allocation in session.scalars(
        select(BatchAllocation)
        .where(BatchAllocation.batch_id == batch.id, BatchAllocation.released_at.is_(None))
        .order_by(BatchAllocation.id)
    ):
        line = session.get(OrderLine, allocation.order_line_id)
        assert line is not None  # a foreign key
        by_order[line.order_id].append(allocation)
    kept: list[int] = []
    held: list[int] = []
    departed: list[int] = []
    removed: list[StopRemoval] = []
    why = _why(batch, hold)
    for order_id, allocations in sorted(by_order.items()):
        order = session.get(Order, order_id)
        assert order is not None  # a foreign key
        if order.status not in stock.ALLOCATABLE_STATUSES:
            if order.status is OrderStatus.OUT_FOR_DELIVERY:
                departed.append(order_id)
            continue
        if _reallocate(session, order, allocations, now=now):
            kept.append(order_id)
            continue
        _hold_order(session, hold, order, now=now)
        removed += _remove_from_routes(session, hold, order, why, now=now)
        _notify_held(session, order, why, now=now)
        held.append(order_id)
    session.flush()
    return HoldEffects(hold, tuple(kept), tuple(held), tuple(removed), tuple(departed))


def _why(batch: StockBatch, hold: Hold) -> str:
    return f"batch {batch.lot_number} of {batch.sku} is on hold ({hold.reason.value})"


def _reallocate(
    session: Session, order: Order, allocations: list[BatchAllocation], *, now: datetime
) -> bool:
    lines = []
    for allocation in allocations:
        line = session.get(OrderLine, allocation.order_line_id)
        assert line is not None  # a foreign key
        lines.append((line, allocation.quantity))
    takes = stock.plan_takes(session, lines, depot_id=order.depot_id, day=order.service_date)
    if takes is None:
        return False
    for allocation in allocations:
        allocation.released_at = now
        allocation.release_reason = "reallocated"
    stock.write_takes(session, takes, order_id=order.id, why="reallocated", now=now)
    return True


def _active_order_holds(session: Session, order_id: int) -> list[OrderHold]:
    return list(
        session.scalars(
            select(OrderHold)
            .where(OrderHold.order_id == order_id, OrderHold.lifted_at.is_(None))
            .order_by(OrderHold.id)
        )
    )


def _hold_order(session: Session, hold: Hold, order: Order, *, now: datetime) -> None:
    earlier = _active_order_holds(session, order.id)
    previous = earlier[0].previous_status if earlier else order.status
    session.add(
        OrderHold(hold_id=hold.id, order_id=order.id, previous_status=previous, held_at=now)
    )
    order.status = OrderStatus.HELD
    timeline.record(
        session,
        order.id,
        timeline.HELD,
        {"hold_id": hold.id, "batch_id": hold.batch_id, "reason": hold.reason.value},
        at=now,
        actor_id=hold.placed_by_id,
    )


def _remove_from_routes(
    session: Session, hold: Hold, order: Order, why: str, *, now: datetime
) -> list[StopRemoval]:
    stops = session.scalars(
        select(Stop)
        .join(Route, Stop.route_id == Route.id)
        .join(Plan, Route.plan_id == Plan.id)
        .where(
            Stop.order_id == order.id,
            Route.status == RouteStatus.PLANNED,
            Plan.status.in_(_LIVE_PLANS),
        )
    )
    removed = []
    for stop in list(stops):
        route = stop.route
        removal = StopRemoval(
            route_id=route.id,
            plan_id=route.plan_id,
            order_id=order.id,
            hold_id=hold.id,
            sequence=stop.sequence,
            reason_text=why[:500],
            removed_at=now,
        )
        session.add(removal)
        removed.append(removal)
        _drop_stop(session, route, stop, order)
        _mark_unserved(session, route.plan, order.id, why)
    return removed


def _drop_stop(session: Session, route: Route, stop: Stop, order: Order) -> None:
    """Removes the stop, renumbers the rest and takes its goods off the carried loads.

    Planned times stay as they were: without the stop nothing arrives later, and the route is
    listed for re-timing through its StopRemoval.
    """
    weight_g = sum(p.weight_g * p.count for p in order.parcels)
    volume_cm3 = sum(p.volume_cm3 * p.count for p in order.parcels)
    parcels = sum(p.count for p in order.parcels)
    removed_at = stop.sequence
    route.stops.remove(stop)
    session.flush()
    for other in route.stops:
        # Deliveries ride from the depot to their stop; pickups from their stop to the end.
        carried = (
            other.sequence < removed_at
            if order.kind is OrderKind.DELIVERY
            else other.sequence > removed_at
        )
        if carried:
            other.load_weight_g_after = max(0, other.load_weight_g_after - weight_g)
            other.load_volume_cm3_after = max(0, other.load_volume_cm3_after - volume_cm3)
            other.load_parcels_after = max(0, other.load_parcels_after - parcels)
        # Out of the way of the unique (route, sequence) pair before renumbering.
        other.sequence = -other.sequence
    session.flush()
    for position, other in enumerate(sorted(route.stops, key=lambda s: -s.sequence), start=1):
        other.sequence = position
    session.flush()


def _mark_unserved(session: Session, plan: Plan, order_id: int, why: str) -> None:
    existing = session.scalar(
        select(PlanUnserved).where(
            PlanUnserved.plan_id == plan.id, PlanUnserved.order_id == order_id
        )
    )
    if existing is None:
        session.add(
            PlanUnserved(
                plan_id=plan.id,
                order_id=order_id,
                reason_code=HELD_REASON_CODE,
                reason_text=why[:500],
            )
        )
        plan.orders_unserved += 1
    plan.orders_planned = max(0, plan.orders_planned - 1)


def _notify_held(session: Session, order: Order, why: str, *, now: datetime) -> None:
    notifications.notify_customer(
        session, order, notifications.HELD, now=now, details={"reason": why}
    )


def _active(session: Session, hold_id: int, verb: str) -> Hold:
    hold = get_hold(session, hold_id)
    if hold.status is not HoldStatus.ACTIVE:
        raise HoldNotActive(
            f"hold {hold_id} is {hold.status.value} and cannot be {verb}",
            hold_id=hold_id,
            status=hold.status.value,
        )
    return hold


def release_hold(
    session: Session, hold_id: int, *, note: str | None, by_id: int | None, now: datetime
) -> HoldClosed:
    """Lets the batch travel again; orders no other hold blocks become plannable again.

    Raises HoldNotFound, HoldNotActive.
    """
    hold = _active(session, hold_id, "released")
    hold.status = HoldStatus.RELEASED
    hold.closed_at, hold.closed_by_id = now, by_id
    session.add(
        HoldEvent(
            hold_id=hold.id, kind=HoldEventKind.RELEASED, by_id=by_id, happened_at=now, note=note
        )
    )
    session.flush()
    freed, still = _lift(session, hold, now=now)
    return HoldClosed(hold, freed, still)


def return_to_supplier(
    session: Session,
    hold_id: int,
    *,
    quantity: int | None,
    reason: str,
    by_id: int | None,
    now: datetime,
) -> HoldClosed:
    """Closes a hold by sending the goods back; the batch is written off in full.

    `quantity` (default: all that is left) is what goes back; units not sent back are
    disposed of. Orders still on the batch are re-allocated where stock allows and otherwise
    stay held. Raises HoldNotFound, HoldNotActive, InvalidReturn.
    """
    hold = _active(session, hold_id, "closed")
    batch = stock.get_batch(session, hold.batch_id)
    left = batch.quantity - batch.written_off_quantity
    quantity = left if quantity is None else quantity
    if not 1 <= quantity <= left:
        raise InvalidReturn(
            f"batch {batch.lot_number} has {left} units left; cannot return {quantity}",
            [FieldProblem("quantity", f"must be between 1 and {left}")],
            hold_id=hold_id,
            batch_id=batch.id,
        )
    returned = SupplierReturn(
        batch_id=batch.id,
        hold_id=hold.id,
        supplier=batch.supplier,
        quantity=quantity,
        reason=reason,
        returned_by_id=by_id,
        returned_at=now,
    )
    session.add(returned)
    batch.written_off_quantity = batch.quantity
    hold.status = HoldStatus.RETURNED
    hold.closed_at, hold.closed_by_id = now, by_id
    session.add(
        HoldEvent(
            hold_id=hold.id, kind=HoldEventKind.RETURNED, by_id=by_id, happened_at=now, note=reason
        )
    )
    by_order: dict[int, list[BatchAllocation]] = defaultdict(list)
    for allocation in session.scalars(
        select(BatchAllocation).where(
            BatchAllocation.batch_id == batch.id, BatchAllocation.released_at.is_(None)
        )
    ):
        allocation.released_at = now
        allocation.release_reason = "returned_to_supplier"
        line = session.get(OrderLine, allocation.order_line_id)
        assert line is not None  # a foreign key
        by_order[line.order_id].append(allocation)
    session.flush()
    unstocked: set[int] = set()
    for order_id, allocations in by_order.items():
        order = session.get(Order, order_id)
        assert order is not None  # a foreign key
        if order.status not in stock.ALLOCATABLE_STATUSES:
            continue
        lines = []
        for allocation in allocations:
            line = session.get(OrderLine, allocation.order_line_id)
            assert line is not None  # a foreign key
            lines.append((line, allocation.quantity))
        takes = stock.plan_takes(session, lines, depot_id=order.depot_id, day=order.service_date)
        if takes is None:
            unstocked.add(order_id)
        else:
            stock.write_takes(
                session, takes, order_id=order_id, why="returned_to_supplier", now=now
            )
    freed, still = _lift(session, hold, now=now, unstocked=unstocked)
    return HoldClosed(hold, freed, still, returned)


def _lift(
    session: Session, hold: Hold, *, now: datetime, unstocked: set[int] | None = None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    freed: list[int] = []
    still: list[int] = []
    for order_hold in session.scalars(
        select(OrderHold).where(OrderHold.hold_id == hold.id, OrderHold.lifted_at.is_(None))
    ):
        order_hold.lifted_at = now
        session.flush()
        order = session.get(Order, order_hold.order_id)
        assert order is not None  # a foreign key
        if order.status is not OrderStatus.HELD:
            continue
        if _active_order_holds(session, order.id) or order.id in (unstocked or set()):
            still.append(order.id)
            continue
        # Its stops were removed: an order that was on a route has to be planned again.
        previous = order_hold.previous_status
        order.status = OrderStatus.PLANNABLE if previous is OrderStatus.PLANNED else previous
        timeline.record(
            session,
            order.id,
            timeline.HOLD_RELEASED,
            {"hold_id": hold.id, "hold_status": hold.status.value},
            at=now,
            actor_id=hold.closed_by_id,
        )
        freed.append(order.id)
    session.flush()
    return tuple(freed), tuple(still)


def list_stop_removals(
    session: Session,
    *,
    plan_id: int | None = None,
    route_id: int | None = None,
    depot_id: int | None = None,
) -> list[StopRemoval]:
    query = select(StopRemoval).order_by(StopRemoval.id)
    if depot_id is not None:
        query = query.join(Plan, Plan.id == StopRemoval.plan_id).where(Plan.depot_id == depot_id)
    if plan_id is not None:
        query = query.where(StopRemoval.plan_id == plan_id)
    if route_id is not None:
        query = query.where(StopRemoval.route_id == route_id)
    return list(session.scalars(query))
