"""Complaints, returns and compensation as the API takes and shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from api.schemas.common import Id, Notes, RequestModel, ResponseModel
from customers.compensation import Award
from customers.complaints import ComplaintChange, ComplaintText, is_overdue
from customers.returns import ReturnAsk
from infra.models import (
    Compensation,
    CompensationKind,
    CompensationStatus,
    Complaint,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    LedgerEntry,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)

PhotoRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class ComplaintIn(RequestModel):
    category: ComplaintCategory
    description: Notes
    photo_ref: PhotoRef | None = None

    def to_domain(self) -> ComplaintText:
        return ComplaintText(self.category, self.description, self.photo_ref)


class ComplaintPatch(RequestModel):
    status: ComplaintStatus | None = None
    owner_id: Id | None = None
    response: Notes | None = None

    def to_domain(self) -> ComplaintChange:
        return ComplaintChange(self.status, self.owner_id, self.response)


class PublicComplaintOut(ResponseModel):
    """What the customer sees of the complaint they just opened."""

    category: ComplaintCategory
    status: ComplaintStatus
    due_at: datetime

    @classmethod
    def of(cls, complaint: Complaint) -> PublicComplaintOut:
        return cls(
            category=complaint.category,
            status=complaint.status,
            due_at=complaint.due_at.astimezone(UTC),
        )


class ComplaintOut(ResponseModel):
    id: int
    order_id: int
    category: ComplaintCategory
    description: str
    photo_ref: str | None
    source: ComplaintSource
    status: ComplaintStatus
    owner_id: int | None
    response: str | None
    due_at: datetime
    overdue: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, complaint: Complaint, *, now: datetime) -> ComplaintOut:
        return cls(
            id=complaint.id,
            order_id=complaint.order_id,
            category=complaint.category,
            description=complaint.description,
            photo_ref=complaint.photo_ref,
            source=complaint.source,
            status=complaint.status,
            owner_id=complaint.owner_id,
            response=complaint.response,
            due_at=complaint.due_at.astimezone(UTC),
            overdue=is_overdue(complaint, now),
            created_at=complaint.created_at.astimezone(UTC),
            updated_at=complaint.updated_at.astimezone(UTC),
            closed_at=_utc(complaint.closed_at),
        )


class ReturnIn(RequestModel):
    reason: ReturnReason
    note: Notes | None = None
    complaint_id: Id | None = None

    def to_domain(self) -> ReturnAsk:
        return ReturnAsk(self.reason, self.note, self.complaint_id)


class PublicReturnIn(RequestModel):
    reason: ReturnReason
    note: Notes | None = None

    def to_domain(self) -> ReturnAsk:
        return ReturnAsk(self.reason, self.note)


class PublicReturnOut(ResponseModel):
    # The pickup has a tracking page of its own.
    pickup_tracking_code: str
    pickup_date: str


class ReceiveIn(RequestModel):
    defect: bool = False
    note: Notes | None = None


class ReturnOut(ResponseModel):
    id: int
    order_id: int
    pickup_order_id: int
    complaint_id: int | None
    batch_id: int | None
    reason: ReturnReason
    status: ReturnStatus
    note: str | None
    created_at: datetime
    received_at: datetime | None
    defect: bool | None
    hold_id: int | None

    @classmethod
    def of(cls, returned: ReturnRequest) -> ReturnOut:
        return cls(
            id=returned.id,
            order_id=returned.order_id,
            pickup_order_id=returned.pickup_order_id,
            complaint_id=returned.complaint_id,
            batch_id=returned.batch_id,
            reason=returned.reason,
            status=returned.status,
            note=returned.note,
            created_at=returned.created_at.astimezone(UTC),
            received_at=_utc(returned.received_at),
            defect=returned.defect,
            hold_id=returned.hold_id,
        )


class CompensationIn(RequestModel):
    kind: CompensationKind
    points: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    amount_cents: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    reason: Reason

    @model_validator(mode="after")
    def _value_for_kind(self) -> Self:
        if self.kind is CompensationKind.BONUS_POINTS and self.points is None:
            raise ValueError("bonus points need 'points'")
        if self.kind is CompensationKind.DISCOUNT_CODE and self.amount_cents is None:
            raise ValueError("a discount code needs 'amount_cents'")
        return self

    def to_domain(self) -> Award:
        return Award(self.kind, self.points, self.amount_cents)


class VoidIn(RequestModel):
    reason: Reason


class CompensationOut(ResponseModel):
    id: int
    order_id: int
    customer_key: str
    rule: str | None
    kind: CompensationKind
    points: int | None
    amount_cents: int | None
    discount_code: str | None
    reason: str
    status: CompensationStatus
    issued_by_id: int | None
    issued_at: datetime
    voided_at: datetime | None
    void_reason: str | None

    @classmethod
    def of(cls, compensation: Compensation) -> CompensationOut:
        out = cls.model_validate(compensation)
        return out.model_copy(
            update={
                "issued_at": compensation.issued_at.astimezone(UTC),
                "voided_at": _utc(compensation.voided_at),
            }
        )


class LedgerEntryOut(ResponseModel):
    compensation_id: int
    points: int
    amount_cents: int
    note: str
    booked_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls(
            compensation_id=entry.compensation_id,
            points=entry.points,
            amount_cents=entry.amount_cents,
            note=entry.note,
            booked_at=entry.booked_at.astimezone(UTC),
        )


class LedgerOut(ResponseModel):
    customer_key: str
    points: int
    amount_cents: int
    entries: list[LedgerEntryOut]

    @classmethod
    def of(cls, key: str, entries: list[LedgerEntry]) -> LedgerOut:
        return cls(
            customer_key=key,
            points=sum(e.points for e in entries),
            amount_cents=sum(e.amount_cents for e in entries),
            entries=[LedgerEntryOut.of(e) for e in entries],
        )
