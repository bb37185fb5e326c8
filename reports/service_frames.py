"""What the customer-service KPIs are computed from: complaints and compensation of a period.

Both are grouped by their order: its depot (else the depot of the vehicle that served it) and
the courier of the route that served it, which is the route of its last visit (a delivery,
pickup or failed attempt); an order never visited has no courier. The day is the day the row
happened on (a complaint opened or closed, a compensation issued) in the operation's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from infra.models import (
    Compensation,
    CompensationStatus,
    Complaint,
    Courier,
    Depot,
    Order,
    Route,
    StopEvent,
    Vehicle,
)
from reports.frames import OUTCOMES, Period, frame, in_depot


def _by_order(
    order_id: InstrumentedAttribute[int], *columns: Any, depot_id: int | None
) -> Select[*tuple[Any, ...]]:
    """The columns, with `depot` and `courier` of the order `order_id` points to; only the
    rows of depot `depot_id` unless it is None."""
    last_visit = (
        select(StopEvent.order_id, func.max(StopEvent.id).label("event_id"))
        .where(StopEvent.kind.in_(OUTCOMES))
        .group_by(StopEvent.order_id)
        .subquery()
    )
    order_depot = aliased(Depot)
    route_depot = aliased(Depot)
    query = (
        select(
            *columns,
            func.coalesce(order_depot.code, route_depot.code).label("depot"),
            Courier.name.label("courier"),
        )
        .join(Order, order_id == Order.id)
        .outerjoin(last_visit, last_visit.c.order_id == Order.id)
        .outerjoin(StopEvent, StopEvent.id == last_visit.c.event_id)
        .outerjoin(Route, StopEvent.route_id == Route.id)
        .outerjoin(Vehicle, Route.vehicle_id == Vehicle.id)
        .outerjoin(order_depot, Order.depot_id == order_depot.id)
        .outerjoin(route_depot, Vehicle.depot_id == route_depot.id)
        .outerjoin(Courier, Route.courier_id == Courier.id)
    )
    return in_depot(query, func.coalesce(Order.depot_id, Vehicle.depot_id), depot_id)


def _local_day(instants: pd.Series, period: Period) -> pd.Series:
    days: pd.Series = instants.dt.tz_convert(period.zone).dt.date
    return days


def complaints(
    session: Session, period: Period, as_of: datetime, *, depot_id: int | None = None
) -> pd.DataFrame:
    """Complaints opened or closed in the period, with `opened` and `closed` (in the period),
    the days they were opened and closed on, and `overdue`: opened in the period and, at
    `as_of`, still open past their due time."""
    starts_at, ends_at = period.starts_at(), period.ends_at()
    query = _by_order(
        Complaint.order_id,
        Complaint.id,
        Complaint.created_at,
        Complaint.closed_at,
        Complaint.due_at,
        depot_id=depot_id,
    ).where(
        or_(
            Complaint.created_at.between(starts_at, ends_at),
            Complaint.closed_at.between(starts_at, ends_at),
        )
    )
    data = frame(session, query, instants=("created_at", "closed_at", "due_at"))
    data["opened"] = (data["created_at"] >= starts_at) & (data["created_at"] < ends_at)
    data["closed"] = (data["closed_at"] >= starts_at) & (data["closed_at"] < ends_at)
    still_open = data["closed_at"].isna() | (data["closed_at"] > as_of)
    data["overdue"] = data["opened"] & (data["due_at"] < as_of) & still_open
    data["opened_day"] = _local_day(data["created_at"], period)
    data["closed_day"] = _local_day(data["closed_at"], period)
    return data


def compensations(session: Session, period: Period, *, depot_id: int | None = None) -> pd.DataFrame:
    """Compensation issued in the period and not voided, on the day it was issued."""
    query = _by_order(
        Compensation.order_id,
        Compensation.id,
        Compensation.kind,
        Compensation.points,
        Compensation.amount_cents,
        Compensation.issued_at,
        depot_id=depot_id,
    ).where(
        Compensation.status == CompensationStatus.ISSUED,
        Compensation.issued_at >= period.starts_at(),
        Compensation.issued_at < period.ends_at(),
    )
    data = frame(session, query, instants=("issued_at",))
    data["day"] = _local_day(data["issued_at"], period)
    return data
