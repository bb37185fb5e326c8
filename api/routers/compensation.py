"""Compensation issued by hand or voided by dispatchers, and each customer's ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import DispatchActor
from api.depot_scope import CompensationId, DepotFilter, OrderId, OrderIdQuery
from api.deps import NowDep, SessionDep
from api.schemas.customer_service import CompensationIn, CompensationOut, LedgerOut, VoidIn
from customers import compensation

router = APIRouter(tags=["compensation"])

CustomerKey = Annotated[str, Path(min_length=1, max_length=254)]


@router.post("/orders/{order_id}/compensations", status_code=201)
def post_compensation(
    order_id: OrderId, body: CompensationIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> CompensationOut:
    """Dispatchers and admins: bonus points or a discount code, with a reason."""
    issued = compensation.issue_by_hand(
        session, order_id, body.to_domain(), reason=body.reason, by_id=actor.user_id, now=now
    )
    return CompensationOut.of(issued)


@router.post("/compensations/{compensation_id}/void")
def void_compensation(
    compensation_id: CompensationId,
    body: VoidIn,
    session: SessionDep,
    now: NowDep,
    actor: DispatchActor,
) -> CompensationOut:
    """Dispatchers and admins: take one back, with a reason; the ledger books the reverse."""
    voided = compensation.void(
        session, compensation_id, reason=body.reason, by_id=actor.user_id, now=now
    )
    return CompensationOut.of(voided)


@router.get("/compensations")
def list_compensations(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    order_id: OrderIdQuery = None,
    customer_key: Annotated[str | None, Query(max_length=254)] = None,
) -> list[CompensationOut]:
    """Dispatchers and admins."""
    found = compensation.list_compensations(
        session, order_id=order_id, customer_key=customer_key, depot_id=depot_id
    )
    return [CompensationOut.of(c) for c in found]


@router.get("/customers/{customer_key}/ledger")
def get_ledger(customer_key: CustomerKey, session: SessionDep, _actor: DispatchActor) -> LedgerOut:
    """Dispatchers and admins: the customer's movements and balance (voids count negative)."""
    return LedgerOut.of(customer_key, compensation.ledger(session, customer_key))
