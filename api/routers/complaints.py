"""Complaints and returns: customers by tracking code (public, rate-limited like the tracking
page), dispatchers by order."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import DispatchActor
from api.depot_scope import ComplaintId, DepotFilter, OrderId, OrderIdQuery, ReturnId
from api.deps import NowDep, SessionDep, SettingsDep
from api.routers.track_page import LimiterDep, answer_by_code
from api.schemas.customer_service import (
    ComplaintIn,
    ComplaintOut,
    ComplaintPatch,
    PublicComplaintOut,
    PublicReturnIn,
    PublicReturnOut,
    ReceiveIn,
    ReturnIn,
    ReturnOut,
)
from customers import complaints, returns
from infra.models import ComplaintStatus, ReturnStatus
from orders import service as orders

PUBLIC_PATHS = frozenset({"/track/{code}/complaints", "/track/{code}/returns"})

router = APIRouter(tags=["complaints and returns"])


@router.post("/track/{code}/complaints", status_code=201, response_model=PublicComplaintOut)
def post_customer_complaint(
    code: str,
    body: ComplaintIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    limiter: LimiterDep,
) -> Response:
    """Anyone with the code: a complaint about that order; the answer shows on its page."""

    def answer() -> PublicComplaintOut:
        complaint = complaints.complain_by_code(
            session, code, body.to_domain(), now=now, settings=settings.service
        )
        return PublicComplaintOut.of(complaint)

    return answer_by_code(request, limiter, now, answer, status=201)


@router.post("/track/{code}/returns", status_code=201, response_model=PublicReturnOut)
def post_customer_return(
    code: str,
    body: PublicReturnIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    limiter: LimiterDep,
) -> Response:
    """Anyone with the code of a delivered order: send it back (faulty goods, wrong item)."""

    def answer() -> PublicReturnOut:
        returned = returns.return_by_code(
            session,
            code,
            body.to_domain(),
            now=now,
            operation=settings.operation,
            settings=settings.service,
        )
        pickup = orders.get_order(session, returned.pickup_order_id)
        return PublicReturnOut(
            pickup_tracking_code=pickup.tracking_code, pickup_date=pickup.service_date.isoformat()
        )

    return answer_by_code(request, limiter, now, answer, status=201)


@router.post("/orders/{order_id}/complaints", status_code=201)
def post_complaint(
    order_id: OrderId,
    body: ComplaintIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: DispatchActor,
) -> ComplaintOut:
    """Dispatchers and admins: a complaint taken on the customer's behalf."""
    complaint = complaints.complain_about_order(
        session, order_id, body.to_domain(), by_id=actor.user_id, now=now, settings=settings.service
    )
    return ComplaintOut.of(complaint, now=now)


@router.get("/complaints")
def list_complaints(
    session: SessionDep,
    now: NowDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    status: ComplaintStatus | None = None,
    overdue: bool | None = None,
    order_id: OrderIdQuery = None,
) -> list[ComplaintOut]:
    """Dispatchers and admins: complaints, the oldest due first."""
    found = complaints.list_complaints(
        session, now=now, status=status, overdue=overdue, order_id=order_id, depot_id=depot_id
    )
    return [ComplaintOut.of(c, now=now) for c in found]


@router.get("/complaints/{complaint_id}")
def get_complaint(
    complaint_id: ComplaintId, session: SessionDep, now: NowDep, _actor: DispatchActor
) -> ComplaintOut:
    """Dispatchers and admins."""
    return ComplaintOut.of(complaints.get_complaint(session, complaint_id), now=now)


@router.patch("/complaints/{complaint_id}")
def patch_complaint(
    complaint_id: ComplaintId,
    body: ComplaintPatch,
    session: SessionDep,
    now: NowDep,
    _actor: DispatchActor,
) -> ComplaintOut:
    """Dispatchers and admins: owner, status (legal moves only, else 409) and response."""
    complaint = complaints.change_complaint(session, complaint_id, body.to_domain(), now=now)
    return ComplaintOut.of(complaint, now=now)


@router.post("/orders/{order_id}/returns", status_code=201)
def post_return(
    order_id: OrderId,
    body: ReturnIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: DispatchActor,
) -> ReturnOut:
    """Dispatchers and admins: a pickup of the delivered goods, planned like any stop."""
    returned = returns.request_return(
        session,
        order_id,
        body.to_domain(),
        by_id=actor.user_id,
        now=now,
        operation=settings.operation,
        settings=settings.service,
    )
    return ReturnOut.of(returned)


@router.get("/returns")
def list_returns(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    status: ReturnStatus | None = None,
    order_id: OrderIdQuery = None,
) -> list[ReturnOut]:
    """Dispatchers and admins."""
    return [
        ReturnOut.of(r)
        for r in returns.list_returns(session, status=status, order_id=order_id, depot_id=depot_id)
    ]


@router.get("/returns/{return_id}")
def get_return(return_id: ReturnId, session: SessionDep, _actor: DispatchActor) -> ReturnOut:
    """Dispatchers and admins."""
    return ReturnOut.of(returns.get_return(session, return_id))


@router.post("/returns/{return_id}/receive")
def receive_return(
    return_id: ReturnId, body: ReceiveIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> ReturnOut:
    """Dispatchers and admins: the picked-up goods are in the returns area; a defect holds
    their batch."""
    returned, _hold = returns.receive_return(
        session, return_id, defect=body.defect, note=body.note, by_id=actor.user_id, now=now
    )
    return ReturnOut.of(returned)
