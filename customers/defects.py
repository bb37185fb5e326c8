"""Defects counted per batch: repeated ones hold the batch automatically, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.models import (
    BatchAllocation,
    Complaint,
    ComplaintCategory,
    Hold,
    HoldReason,
    OrderLine,
    ReturnReason,
    ReturnRequest,
)
from warehouse import holds, stock


def batch_ids_of(session: Session, order_id: int) -> list[int]:
    """The batches the order's goods came from."""
    return sorted({a.batch_id for a in stock.active_allocations(session, order_id=order_id)})


def defect_count(session: Session, batch_id: int) -> int:
    """Damaged complaints on orders from the batch, plus faulty returns not raised by one."""
    orders_of_batch = (
        select(OrderLine.order_id)
        .join(BatchAllocation, BatchAllocation.order_line_id == OrderLine.id)
        .where(BatchAllocation.batch_id == batch_id, BatchAllocation.released_at.is_(None))
    )
    complaints = session.scalar(
        select(func.count(Complaint.id)).where(
            Complaint.category == ComplaintCategory.DAMAGED,
            Complaint.order_id.in_(orders_of_batch),
        )
    )
    returns = session.scalar(
        select(func.count(ReturnRequest.id)).where(
            ReturnRequest.batch_id == batch_id,
            ReturnRequest.reason == ReturnReason.FAULTY_GOODS,
            ReturnRequest.complaint_id.is_(None),
        )
    )
    return int(complaints or 0) + int(returns or 0)


def hold_if_repeated(
    session: Session, order_id: int, *, threshold: int, now: datetime
) -> list[holds.HoldEffects]:
    """Holds each batch of the order whose defects reached `threshold`, unless a defect hold
    was placed automatically on it before (released or not: the count does not start over)."""
    placed = []
    for batch_id in batch_ids_of(session, order_id):
        count = defect_count(session, batch_id)
        if count < threshold or _auto_held_before(session, batch_id):
            continue
        note = f"{count} defect reports on this batch (threshold {threshold})"
        placed.append(
            holds.place_hold(
                session, batch_id=batch_id, reason=HoldReason.DEFECT, note=note, by_id=None, now=now
            )
        )
    return placed


def _auto_held_before(session: Session, batch_id: int) -> bool:
    found = session.scalar(
        select(Hold.id).where(
            Hold.batch_id == batch_id,
            Hold.reason == HoldReason.DEFECT,
            Hold.placed_by_id.is_(None),
        )
    )
    return found is not None
