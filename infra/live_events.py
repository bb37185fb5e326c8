"""Appending to the live event log (read by the live pages' event streams)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from infra.models import LiveEvent


def record(
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    *,
    service_date: date | None = None,
    depot_id: int | None = None,
    route_id: int | None = None,
    courier_id: int | None = None,
    order_id: int | None = None,
) -> LiveEvent:
    """Adds one event in the caller's transaction: it is visible to streams once that commits,
    and gone with it when it rolls back, so a page never shows what did not happen."""
    event = LiveEvent(
        kind=kind,
        payload=dict(payload),
        service_date=service_date,
        depot_id=depot_id,
        route_id=route_id,
        courier_id=courier_id,
        order_id=order_id,
    )
    session.add(event)
    return event
