"""The notification outbox, read by dispatchers: newest first, filtered by status or order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import DispatchActor
from api.depot_scope import DepotFilter, OrderIdQuery
from api.deps import SessionDep
from api.schemas.notifications import NotificationOut
from infra.models import DeliveryStatus
from tracking import notifications

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("")
def list_notifications(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    status: DeliveryStatus | None = None,
    order_id: OrderIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=notifications.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[NotificationOut]:
    """Dispatchers and admins: queued, sent and failed customer messages."""
    found = notifications.list_notifications(
        session, status=status, order_id=order_id, depot_id=depot_id, limit=limit, offset=offset
    )
    return [NotificationOut.model_validate(row) for row in found]
