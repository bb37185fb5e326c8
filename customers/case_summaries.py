"""What the tracking page shows of an order's complaints and compensation: no internal names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.models import (
    Compensation,
    CompensationKind,
    CompensationStatus,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
)


@dataclass(frozen=True, slots=True)
class ComplaintSummary:
    category: ComplaintCategory
    status: ComplaintStatus
    response: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CompensationSummary:
    kind: CompensationKind
    points: int | None
    amount_cents: int | None
    discount_code: str | None
    reason: str
    issued_at: datetime


def complaints_of(session: Session, order_id: int) -> list[ComplaintSummary]:
    rows = session.scalars(
        select(Complaint).where(Complaint.order_id == order_id).order_by(Complaint.id)
    )
    return [ComplaintSummary(c.category, c.status, c.response, c.created_at) for c in rows]


def compensations_of(session: Session, order_id: int) -> list[CompensationSummary]:
    """The order's compensation still standing (voided ones are not shown)."""
    rows = session.scalars(
        select(Compensation)
        .where(
            Compensation.order_id == order_id,
            Compensation.status == CompensationStatus.ISSUED,
        )
        .order_by(Compensation.id)
    )
    return [
        CompensationSummary(
            c.kind, c.points, c.amount_cents, c.discount_code, c.reason, c.issued_at
        )
        for c in rows
    ]
