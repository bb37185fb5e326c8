"""What the customer's tracking page shows, and the feedback they may leave."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field

from api.schemas.common import Notes, RequestModel, ResponseModel
from customers.tracking_view import TrackingView
from infra.models import CompensationKind, ComplaintCategory, ComplaintStatus, OrderStatus


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class MilestoneOut(ResponseModel):
    kind: str
    at: datetime
    reason: str | None
    details: dict[str, Any]


class PositionOut(ResponseModel):
    # Rounded: an area, not an address.
    lat: float
    lng: float
    at: datetime


class ProofOut(ResponseModel):
    recipient_first_name: str | None
    has_signature: bool
    has_photo: bool
    at: datetime


class TrackedComplaintOut(ResponseModel):
    category: ComplaintCategory
    status: ComplaintStatus
    response: str | None
    created_at: datetime


class TrackedCompensationOut(ResponseModel):
    kind: CompensationKind
    points: int | None
    amount_cents: int | None
    discount_code: str | None
    reason: str
    issued_at: datetime


class TrackingOut(ResponseModel):
    tracking_code: str
    status: OrderStatus
    service_date: str
    timeline: list[MilestoneOut]
    promised_from: datetime | None
    promised_until: datetime | None
    eta_from: datetime | None
    eta_until: datetime | None
    running_late: bool
    courier_position: PositionOut | None
    proof: ProofOut | None
    feedback_open: bool
    feedback_rating: int | None
    complaints: list[TrackedComplaintOut]
    compensations: list[TrackedCompensationOut]

    @classmethod
    def of(cls, view: TrackingView) -> TrackingOut:
        position = view.courier_position
        proof = view.proof
        return cls(
            tracking_code=view.tracking_code,
            status=view.status,
            service_date=view.service_date,
            timeline=[
                MilestoneOut(
                    kind=m.kind, at=m.at.astimezone(UTC), reason=m.reason, details=m.details
                )
                for m in view.timeline
            ],
            promised_from=_utc(view.promised_from),
            promised_until=_utc(view.promised_until),
            eta_from=_utc(view.eta_from),
            eta_until=_utc(view.eta_until),
            running_late=view.running_late,
            courier_position=PositionOut(
                lat=position.lat, lng=position.lng, at=position.at.astimezone(UTC)
            )
            if position
            else None,
            proof=ProofOut(
                recipient_first_name=proof.recipient_first_name,
                has_signature=proof.has_signature,
                has_photo=proof.has_photo,
                at=proof.at.astimezone(UTC),
            )
            if proof
            else None,
            feedback_open=view.feedback_open,
            feedback_rating=view.feedback_rating,
            complaints=[
                TrackedComplaintOut(
                    category=c.category,
                    status=c.status,
                    response=c.response,
                    created_at=c.created_at.astimezone(UTC),
                )
                for c in view.complaints
            ],
            compensations=[
                TrackedCompensationOut(
                    kind=c.kind,
                    points=c.points,
                    amount_cents=c.amount_cents,
                    discount_code=c.discount_code,
                    reason=c.reason,
                    issued_at=c.issued_at.astimezone(UTC),
                )
                for c in view.compensations
            ],
        )


class FeedbackIn(RequestModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Notes | None = None


class FeedbackOut(ResponseModel):
    rating: int
    comment: str | None
    created_at: datetime
