"""Complaints about an order: opened by its customer (by code) or a dispatcher, answered by an
owner within a due time, through legal status changes only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from customers import defects, tracking_view
from customers.errors import ComplaintNotFound, ComplaintOwnerUnknown, IllegalComplaintTransition
from infra.errors import FieldProblem
from infra.models import (
    Complaint,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    Order,
    Role,
    User,
)
from infra.settings import ServiceSettings
from orders import service as orders
from orders import timeline
from tracking import notifications

STILL_OPEN = (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS)
# Categories that speak of a fault in the goods themselves: counted against their batch.
DEFECT_CATEGORIES = frozenset({ComplaintCategory.DAMAGED})
_NEXT: Mapping[ComplaintStatus, frozenset[ComplaintStatus]] = {
    ComplaintStatus.OPEN: frozenset(
        {ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED}
    ),
    ComplaintStatus.IN_PROGRESS: frozenset({ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED}),
    ComplaintStatus.RESOLVED: frozenset(),
    ComplaintStatus.REJECTED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class ComplaintText:
    category: ComplaintCategory
    description: str
    photo_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ComplaintChange:
    """What a dispatcher changes; None leaves a field as it is."""

    status: ComplaintStatus | None = None
    owner_id: int | None = None
    response: str | None = None


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    return complaint.status in STILL_OPEN and complaint.due_at < now


def complain_by_code(
    session: Session,
    code: str,
    text: ComplaintText,
    *,
    now: datetime,
    settings: ServiceSettings,
) -> Complaint:
    """The customer's complaint about their own order. Raises TrackingCodeUnknown."""
    order = tracking_view.find_order(session, code)
    return _open(session, order, text, ComplaintSource.CUSTOMER, None, now, settings)


def complain_about_order(
    session: Session,
    order_id: int,
    text: ComplaintText,
    *,
    by_id: int,
    now: datetime,
    settings: ServiceSettings,
) -> Complaint:
    """A dispatcher's complaint on the customer's behalf. Raises OrderNotFound."""
    order = orders.get_order(session, order_id)
    return _open(session, order, text, ComplaintSource.DISPATCHER, by_id, now, settings)


def _open(
    session: Session,
    order: Order,
    text: ComplaintText,
    source: ComplaintSource,
    by_id: int | None,
    now: datetime,
    settings: ServiceSettings,
) -> Complaint:
    complaint = Complaint(
        order_id=order.id,
        category=text.category,
        description=text.description,
        photo_ref=text.photo_ref,
        source=source,
        status=ComplaintStatus.OPEN,
        due_at=now + timedelta(hours=settings.complaint_due_h),
        created_by_id=by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    session.flush()
    timeline.record(
        session,
        order.id,
        timeline.COMPLAINT_OPENED,
        {"complaint_id": complaint.id, "category": text.category.value, "source": source.value},
        at=now,
        actor_id=by_id,
    )
    if text.category in DEFECT_CATEGORIES:
        defects.hold_if_repeated(
            session, order.id, threshold=settings.defect_hold_threshold, now=now
        )
    return complaint


def get_complaint(session: Session, complaint_id: int) -> Complaint:
    """Raises ComplaintNotFound."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFound(
            f"complaint {complaint_id} does not exist", complaint_id=complaint_id
        )
    return complaint


def list_complaints(
    session: Session,
    *,
    now: datetime,
    status: ComplaintStatus | None = None,
    overdue: bool | None = None,
    order_id: int | None = None,
    depot_id: int | None = None,
) -> list[Complaint]:
    """Oldest due first; `overdue` True keeps only open or in-progress ones past their due
    time, False only the others."""
    query = select(Complaint).order_by(Complaint.due_at, Complaint.id)
    if depot_id is not None:
        query = query.join(Order, Order.id == Complaint.order_id).where(Order.depot_id == depot_id)
    if status is not None:
        query = query.where(Complaint.status == status)
    if order_id is not None:
        query = query.where(Complaint.order_id == order_id)
    late = Complaint.status.in_(STILL_OPEN) & (Complaint.due_at < now)
    if overdue is True:
        query = query.where(late)
    elif overdue is False:
        query = query.where(~late)
    return list(session.scalars(query))


def change_complaint(
    session: Session, complaint_id: int, change: ComplaintChange, *, now: datetime
) -> Complaint:
    """Assigns an owner, moves the status along (open -> in progress -> resolved or
    rejected; closed ones stay closed) and sets the response the customer reads, who is told
    when it changes. Raises ComplaintNotFound, IllegalComplaintTransition,
    ComplaintOwnerUnknown."""
    complaint = get_complaint(session, complaint_id)
    if change.status is not None and change.status is not complaint.status:
        if change.status not in _NEXT[complaint.status]:
            raise IllegalComplaintTransition(
                f"complaint {complaint.id} is {complaint.status.value} and cannot become "
                f"{change.status.value}",
                complaint_id=complaint.id,
                current_status=complaint.status.value,
                attempted_status=change.status.value,
            )
        complaint.status = change.status
        if change.status not in STILL_OPEN:
            complaint.closed_at = now
            timeline.record(
                session,
                complaint.order_id,
                timeline.COMPLAINT_CLOSED,
                {"complaint_id": complaint.id, "status": change.status.value},
                at=now,
            )
    if change.owner_id is not None:
        _check_owner(session, change.owner_id)
        complaint.owner_id = change.owner_id
    if change.response is not None and change.response != complaint.response:
        complaint.response = change.response
        order = orders.get_order(session, complaint.order_id)
        timeline.record(
            session,
            order.id,
            timeline.COMPLAINT_ANSWERED,
            {
                "complaint_id": complaint.id,
                "status": complaint.status.value,
                "response": change.response,
            },
            at=now,
        )
        notifications.notify_customer(
            session,
            order,
            notifications.COMPLAINT_ANSWERED,
            now=now,
            details={"response": change.response, "status": complaint.status.value},
        )
    complaint.updated_at = now
    session.flush()
    return complaint


def _check_owner(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role not in (Role.DISPATCHER, Role.ADMIN):
        raise ComplaintOwnerUnknown(
            f"user {user_id} is not an active dispatcher",
            [FieldProblem("owner_id", "must be an active dispatcher or admin")],
            owner_id=user_id,
        )
