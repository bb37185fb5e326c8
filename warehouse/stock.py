"""Stock on hand and allocation of order lines to batches, first-expiry-first-out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.models import (
    BatchAllocation,
    Hold,
    HoldStatus,
    Order,
    OrderLine,
    OrderStatus,
    StockBatch,
)
from orders import timeline
from warehouse import rules
from warehouse.errors import BatchNotFound, InsufficientStock, OrderNotAllocatable

# Orders whose goods are still in the depot: their allocations may change.
ALLOCATABLE_STATUSES = (
    OrderStatus.RECEIVED,
    OrderStatus.PLANNABLE,
    OrderStatus.PLANNED,
    OrderStatus.HELD,
)


def get_batch(session: Session, batch_id: int) -> StockBatch:
    """Raises BatchNotFound."""
    batch = session.get(StockBatch, batch_id)
    if batch is None:
        raise BatchNotFound(f"stock batch {batch_id} does not exist", batch_id=batch_id)
    return batch


def held_batch_ids(session: Session, batch_ids: Iterable[int] | None = None) -> set[int]:
    """The batches (of `batch_ids`, or all) that at least one active hold blocks."""
    query = select(Hold.batch_id).where(Hold.status == HoldStatus.ACTIVE)
    if batch_ids is not None:
        query = query.where(Hold.batch_id.in_(list(batch_ids)))
    return set(session.scalars(query))


def allocated_quantities(session: Session, batch_ids: Iterable[int]) -> dict[int, int]:
    ids = list(batch_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(BatchAllocation.batch_id, func.sum(BatchAllocation.quantity))
        .where(BatchAllocation.batch_id.in_(ids), BatchAllocation.released_at.is_(None))
        .group_by(BatchAllocation.batch_id)
    )
    return {batch_id: int(total or 0) for batch_id, total in rows}


def available_quantity(batch: StockBatch, allocated: Mapping[int, int]) -> int:
    return batch.quantity - batch.written_off_quantity - allocated.get(batch.id, 0)


def candidates(
    session: Session, *, sku: str, depot_id: int | None, taken: Mapping[int, int] | None = None
) -> list[rules.StockCandidate]:
    """Every batch of `sku` (in the depot, if given) as FEFO sees it, less what `taken` holds."""
    query = select(StockBatch).where(StockBatch.sku == sku)
    if depot_id is not None:
        query = query.where(StockBatch.depot_id == depot_id)
    batches = list(session.scalars(query))
    ids = [b.id for b in batches]
    allocated = allocated_quantities(session, ids)
    held = held_batch_ids(session, ids)
    taken = taken or {}
    return [
        rules.StockCandidate(
            batch_id=b.id,
            expires_on=b.expires_on,
            available=available_quantity(b, allocated) - taken.get(b.id, 0),
            on_hold=b.id in held,
        )
        for b in batches
    ]


@dataclass(frozen=True, slots=True)
class PlannedTake:
    order_line_id: int
    batch_id: int
    quantity: int


def plan_takes(
    session: Session, lines: Iterable[tuple[OrderLine, int]], *, depot_id: int | None, day: date
) -> list[PlannedTake] | None:
    """FEFO takes for (line, quantity) pairs together, or None when stock does not cover all."""
    taken: dict[int, int] = {}
    planned: list[PlannedTake] = []
    for line, quantity in lines:
        choice = rules.choose_fefo(
            quantity, candidates(session, sku=line.sku, depot_id=depot_id, taken=taken), day=day
        )
        if choice is None:
            return None
        for take in choice:
            taken[take.batch_id] = taken.get(take.batch_id, 0) + take.quantity
            planned.append(PlannedTake(line.id, take.batch_id, take.quantity))
    return planned


def write_takes(
    session: Session, takes: Iterable[PlannedTake], *, order_id: int, why: str, now: datetime
) -> None:
    """Stores the takes of one order's lines and puts them on the order's timeline."""
    takes = list(takes)
    timeline.record(
        session,
        order_id,
        timeline.ALLOCATED,
        {
            "why": why,
            "takes": [
                {"order_line_id": t.order_line_id, "batch_id": t.batch_id, "quantity": t.quantity}
                for t in takes
            ],
        },
        at=now,
    )
    for take in takes:
        session.add(
            BatchAllocation(
                order_line_id=take.order_line_id,
                batch_id=take.batch_id,
                quantity=take.quantity,
                allocated_at=now,
            )
        )
    session.flush()


def active_allocations(session: Session, *, order_id: int) -> list[BatchAllocation]:
    return list(
        session.scalars(
            select(BatchAllocation)
            .join(OrderLine, BatchAllocation.order_line_id == OrderLine.id)
            .where(OrderLine.order_id == order_id, BatchAllocation.released_at.is_(None))
            .order_by(BatchAllocation.id)
        )
    )


def allocate_order(session: Session, order_id: int, *, now: datetime) -> list[BatchAllocation]:
    """Reserves stock for every not yet allocated line of an order, FEFO, all or nothing.

    Batches come from the order's depot (any depot when it has none); held and expired
    batches are never used. Raises OrderNotAllocatable, InsufficientStock.
    """
    order = session.get(Order, order_id)
    if order is None or order.status not in ALLOCATABLE_STATUSES:
        status = order.status.value if order is not None else "unknown"
        raise OrderNotAllocatable(
            f"order {order_id} cannot be allocated (status {status})", order_id=order_id
        )
    allocated_lines = {a.order_line_id for a in active_allocations(session, order_id=order_id)}
    open_lines = [(line, line.quantity) for line in order.lines if line.id not in allocated_lines]
    takes = plan_takes(session, open_lines, depot_id=order.depot_id, day=order.service_date)
    if takes is None:
        short = ", ".join(sorted({line.sku for line, _ in open_lines}))
        raise InsufficientStock(
            f"order {order_id}: no shippable stock covers SKU {short}", order_id=order_id
        )
    write_takes(session, takes, order_id=order_id, why="allocated", now=now)
    return active_allocations(session, order_id=order_id)
