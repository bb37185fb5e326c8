"""What the KPIs are computed from: the period's rows read once into pandas frames.

Every frame carries the three grouping columns `day` (the operating day), `depot` (its code)
and `courier` (the name), so a KPI groups by any of them the same way. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import ColumnElement, Executable, Select, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from infra.errors import FieldProblem
from infra.models import (
    Courier,
    Depot,
    Feedback,
    Hold,
    Inspection,
    LiveEvent,
    Order,
    OrderHold,
    OrderKind,
    OrderWindow,
    Parcel,
    Plan,
    PlanStatus,
    PlanUnserved,
    PositionPing,
    Route,
    Shift,
    StockBatch,
    Stop,
    StopEvent,
    StopEventKind,
    Vehicle,
)
from reports.errors import InvalidPeriod

# Stop events that end a visit: the work done, and the failed attempt.
SUCCESS = (StopEventKind.DELIVERED, StopEventKind.PICKUP_DONE)
OUTCOMES = (*SUCCESS, StopEventKind.FAILED)
# The live event kind that carries a route's projected ETAs (tracking.lateness writes it).
ETAS_EVENT = "etas"
# Longer periods are refused: the frames are read whole into memory.
MAX_PERIOD_DAYS = 366

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class Period:
    """Operating days from `first` to `last`, both included, in the operation's time zone."""

    first: date
    last: date
    zone: ZoneInfo

    @classmethod
    def of(cls, first: date, last: date, zone: ZoneInfo) -> Period:
        """The period from `first` to `last`. Raises InvalidPeriod."""
        if first > last:
            raise InvalidPeriod(
                f"the period starts on {first}, after its end on {last}",
                [FieldProblem("from", f"must not be after 'to' ({last})")],
            )
        if (last - first).days >= MAX_PERIOD_DAYS:
            raise InvalidPeriod(
                f"the period {first} to {last} is longer than {MAX_PERIOD_DAYS} days",
                [FieldProblem("to", f"at most {MAX_PERIOD_DAYS} days after 'from'")],
            )
        return cls(first, last, zone)

    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=self.zone).astimezone(UTC)

    def ends_at(self) -> datetime:
        next_day = self.last + timedelta(days=1)
        return datetime.combine(next_day, time(), tzinfo=self.zone).astimezone(UTC)


def frame(session: Session, query: Executable, *, instants: tuple[str, ...] = ()) -> pd.DataFrame:
    """The query's rows as a frame; `instants` are made UTC datetimes even when no row came."""
    result = session.execute(query)
    data = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in instants:
        data[column] = pd.to_datetime(data[column], utc=True)
    return data


def in_depot(
    query: Query, depot: ColumnElement[Any] | InstrumentedAttribute[Any], depot_id: int | None
) -> Query:
    """The query's rows of depot `depot_id` only (None: of every depot). `depot` must be the
    depot each row is grouped under, so that one depot's report is its group of the whole."""
    return query if depot_id is None else query.where(depot == depot_id)


def day_plan_ids(
    session: Session,
    period: Period,
    *,
    as_first_published: bool = False,
    depot_id: int | None = None,
) -> list[int]:
    """The plan each day and depot ran on: the published one, else the newest draft that is
    not a proposed replan (the demo leaves its day a draft); with `depot_id`, only the plans
    made for that depot.

    `as_first_published` takes the day's plan as it was first published instead (the morning's
    promise, before replans superseded it), the yardstick of planned against driven.
    """
    first_published = (Plan.status == PlanStatus.SUPERSEDED) & Plan.base_plan_id.is_(None)
    query = select(Plan.id, Plan.service_date, Plan.depot_id, Plan.status, Plan.base_plan_id).where(
        Plan.service_date.between(period.first, period.last),
        or_(
            Plan.status == PlanStatus.PUBLISHED,
            (Plan.status == PlanStatus.DRAFT) & Plan.base_plan_id.is_(None),
            first_published if as_first_published else false(),
        ),
    )
    plans = frame(session, in_depot(query, Plan.depot_id, depot_id))
    if plans.empty:
        return []
    # Ranked lowest to highest; the day keeps its highest-ranked plan, the newest among equals.
    plans["rank"] = (plans["status"] != PlanStatus.DRAFT).astype(int)
    if as_first_published:
        plans["rank"] += plans["base_plan_id"].isna().astype(int) * (plans["rank"] > 0)
    plans = plans.sort_values(["rank", "id"]).fillna({"depot_id": 0})
    chosen = plans.groupby(["service_date", "depot_id"]).tail(1)
    return [int(plan_id) for plan_id in chosen["id"]]


def stop_events(session: Session, period: Period, *, depot_id: int | None = None) -> pd.DataFrame:
    """Every stop event on a route of the period's plans, with the order's grouping."""
    route_depot = aliased(Depot)
    order_depot = aliased(Depot)
    query = (
        select(
            StopEvent.order_id,
            StopEvent.kind,
            StopEvent.occurred_at,
            StopEvent.failure_reason,
            Plan.service_date.label("day"),
            func.coalesce(order_depot.code, route_depot.code).label("depot"),
            Courier.name.label("courier"),
        )
        .join(Route, StopEvent.route_id == Route.id)
        .join(Plan, Route.plan_id == Plan.id)
        .join(Order, StopEvent.order_id == Order.id)
        .join(Vehicle, Route.vehicle_id == Vehicle.id)
        .outerjoin(order_depot, Order.depot_id == order_depot.id)
        .outerjoin(route_depot, Vehicle.depot_id == route_depot.id)
        .outerjoin(Courier, StopEvent.courier_id == Courier.id)
        .where(Plan.service_date.between(period.first, period.last))
        .order_by(StopEvent.occurred_at, StopEvent.id)
    )
    query = in_depot(query, func.coalesce(Order.depot_id, Vehicle.depot_id), depot_id)
    return frame(session, query, instants=("occurred_at",))


def windows(session: Session, order_ids: list[int]) -> pd.DataFrame:
    query = select(OrderWindow.order_id, OrderWindow.starts_at, OrderWindow.ends_at).where(
        OrderWindow.order_id.in_(order_ids)
    )
    return frame(session, query, instants=("starts_at", "ends_at"))


def routes(session: Session, plan_ids: list[int], *, depot_id: int | None = None) -> pd.DataFrame:
    """The routes of the day plans with their vehicle's capacity, the shift and the weight of
    the deliveries they carry out of the depot."""
    weight = (
        select(Stop.route_id, func.sum(Parcel.weight_g * Parcel.count).label("load_weight_g"))
        .join(Order, Stop.order_id == Order.id)
        .join(Parcel, Parcel.order_id == Order.id)
        .where(Order.kind == OrderKind.DELIVERY)
        .group_by(Stop.route_id)
        .subquery()
    )
    stops = (
        select(Stop.route_id, func.count(Stop.id).label("stops")).group_by(Stop.route_id).subquery()
    )
    query = (
        select(
            Route.id.label("route_id"),
            Route.courier_id,
            Route.distance_m,
            Route.duration_s,
            Route.departed_at,
            Route.finished_at,
            Plan.service_date.label("day"),
            Depot.code.label("depot"),
            Courier.name.label("courier"),
            Vehicle.max_weight_g,
            Vehicle.shift_start,
            Vehicle.shift_end,
            Shift.starts_at.label("shift_starts_at"),
            Shift.ends_at.label("shift_ends_at"),
            func.coalesce(weight.c.load_weight_g, 0).label("load_weight_g"),
            func.coalesce(stops.c.stops, 0).label("stops"),
        )
        .join(Plan, Route.plan_id == Plan.id)
        .join(Vehicle, Route.vehicle_id == Vehicle.id)
        .outerjoin(Depot, func.coalesce(Vehicle.depot_id, Plan.depot_id) == Depot.id)
        .outerjoin(Courier, Route.courier_id == Courier.id)
        .outerjoin(Shift, Route.shift_id == Shift.id)
        .outerjoin(weight, weight.c.route_id == Route.id)
        .outerjoin(stops, stops.c.route_id == Route.id)
        .where(Route.plan_id.in_(plan_ids))
    )
    query = in_depot(query, func.coalesce(Vehicle.depot_id, Plan.depot_id), depot_id)
    return frame(
        session,
        query,
        instants=("departed_at", "finished_at", "shift_starts_at", "shift_ends_at"),
    )


def pings(session: Session, courier_ids: list[int], period: Period) -> pd.DataFrame:
    query = (
        select(PositionPing.courier_id, PositionPing.device_at, PositionPing.lat, PositionPing.lng)
        .where(
            PositionPing.courier_id.in_(courier_ids),
            PositionPing.device_at >= period.starts_at(),
            PositionPing.device_at < period.ends_at(),
        )
        .order_by(PositionPing.courier_id, PositionPing.device_at)
    )
    return frame(session, query, instants=("device_at",))


def eta_predictions(session: Session, period: Period) -> pd.DataFrame:
    """One row per stop of each recorded `etas` event: when it was predicted and for when."""
    query = select(LiveEvent.payload).where(
        LiveEvent.kind == ETAS_EVENT,
        LiveEvent.service_date.between(period.first, period.last),
    )
    rows = [
        (stop["order_id"], payload["computed_at"], stop["eta_at"])
        for payload in session.scalars(query)
        for stop in payload.get("stops", [])
    ]
    data = pd.DataFrame(rows, columns=["order_id", "computed_at", "eta_at"])
    for column in ("computed_at", "eta_at"):
        data[column] = pd.to_datetime(data[column], utc=True, format="ISO8601")
    return data


def inspections(session: Session, period: Period, *, depot_id: int | None = None) -> pd.DataFrame:
    """The period's inspection logs that no later log corrects."""
    correcting = aliased(Inspection)
    query = (
        select(
            Inspection.id,
            Inspection.passed,
            Inspection.day,
            Depot.code.label("depot"),
            Courier.name.label("courier"),
        )
        .join(Vehicle, Inspection.vehicle_id == Vehicle.id)
        .outerjoin(Depot, Vehicle.depot_id == Depot.id)
        .outerjoin(Courier, Inspection.courier_id == Courier.id)
        .where(
            Inspection.day.between(period.first, period.last),
            ~select(correcting.id).where(correcting.corrects_id == Inspection.id).exists(),
        )
    )
    return frame(session, in_depot(query, Vehicle.depot_id, depot_id))


def holds(session: Session, period: Period, *, depot_id: int | None = None) -> pd.DataFrame:
    """Holds placed in the period, with how many orders each took out of planning."""
    affected = (
        select(OrderHold.hold_id, func.count(OrderHold.id).label("orders"))
        .group_by(OrderHold.hold_id)
        .subquery()
    )
    query = (
        select(
            Hold.id,
            Hold.reason,
            Hold.placed_at,
            Depot.code.label("depot"),
            func.coalesce(affected.c.orders, 0).label("orders"),
        )
        .join(StockBatch, Hold.batch_id == StockBatch.id)
        .join(Depot, StockBatch.depot_id == Depot.id)
        .outerjoin(affected, affected.c.hold_id == Hold.id)
        .where(Hold.placed_at >= period.starts_at(), Hold.placed_at < period.ends_at())
    )
    query = in_depot(query, StockBatch.depot_id, depot_id)
    data = frame(session, query, instants=("placed_at",))
    data["day"] = data["placed_at"].dt.tz_convert(period.zone).dt.date
    data["courier"] = None
    return data


def feedback(session: Session, order_ids: list[int]) -> pd.DataFrame:
    query = select(Feedback.order_id, Feedback.rating).where(Feedback.order_id.in_(order_ids))
    return frame(session, query)


def unserved(session: Session, plan_ids: list[int], *, depot_id: int | None = None) -> pd.DataFrame:
    query = (
        select(
            PlanUnserved.order_id,
            PlanUnserved.reason_code,
            Plan.service_date.label("day"),
            Depot.code.label("depot"),
        )
        .join(Plan, PlanUnserved.plan_id == Plan.id)
        .join(Order, PlanUnserved.order_id == Order.id)
        .outerjoin(Depot, func.coalesce(Order.depot_id, Plan.depot_id) == Depot.id)
        .where(PlanUnserved.plan_id.in_(plan_ids))
    )
    query = in_depot(query, func.coalesce(Order.depot_id, Plan.depot_id), depot_id)
    data = frame(session, query)
    data["courier"] = None
    return data
