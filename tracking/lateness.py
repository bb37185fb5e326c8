"""Lateness on the road: a departed route's ETAs refreshed after each report from it, and the
stops that become late, or stop being late, recorded once per change.

Whether a stop is late now is read from the log itself (its latest `late` or `late_cleared`
event), so a change is recorded once whichever process saw it, a repeated or replayed report
records nothing new, and a rolled-back report leaves no trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from infra.models import LiveEvent, Order, OrderStatus, Route, RouteStatus, Stop
from infra.settings import TrackingSettings
from tracking import etas, live_feed

ETAS = "etas"
LATE = "late"
LATE_CLEARED = "late_cleared"
# Why a stop is no longer late.
ON_TIME = "on_time"
DONE = "done"

_FINISHED = (OrderStatus.DELIVERED, OrderStatus.FAILED, OrderStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class LateStop:
    """A stop projected to arrive after its window's end by more than the threshold."""

    order_id: int
    stop_id: int
    route_id: int
    sequence: int
    reference: str
    eta_at: datetime
    window_end_at: datetime | None
    late_by_s: int
    # When it became late (the projection has moved since; the `etas` events follow it).
    since: datetime


@dataclass(frozen=True, slots=True)
class LatenessChange:
    """What one refresh changed; replanning may propose a new plan for `became_late`."""

    became_late: tuple[LateStop, ...] = ()
    # Order ids of the stops that are late no longer.
    cleared: tuple[int, ...] = ()


def refresh_route(
    session: Session,
    route: Route,
    *,
    now: datetime,
    settings: TrackingSettings,
    context: live_feed.RouteContext | None = None,
    reported_at: datetime | None = None,
) -> LatenessChange:
    """Projects the ETAs of a departed (or just finished) route and tells the live pages: the
    ETAs when one moved by `live_eta_change_s` or the remaining stops changed, a `late` event
    for each stop that became late, a `late_cleared` event for each that is late no longer
    (back on time, or done). A route that has not departed changes nothing. `context` is the
    route's, when the caller has it already. `reported_at` is the device time of the report
    that asked: one older than `report_backlog_s` marks nothing late, only clears."""
    if route.status is RouteStatus.PLANNED or route.departed_at is None:
        return LatenessChange()
    projected = etas.route_etas(session, route.id, as_courier=None, now=now, settings=settings)
    context = context or live_feed.route_context(session, route)
    late_before = _late_events(session, [s.order_id for s in route.stops])
    remaining = {item.order.id for item in projected.stops}
    backlog = reported_at is not None and reported_at < now - timedelta(
        seconds=settings.report_backlog_s
    )
    became: list[LateStop] = []
    cleared: list[int] = []
    for item in projected.stops:
        order_id = item.order.id
        if item.eta.projected_late and order_id not in late_before and not backlog:
            payload = _late_payload(item)
            context.record(session, LATE, payload, order_id=order_id)
            became.append(_late_stop(route.id, payload, now))
        elif not item.eta.projected_late and order_id in late_before:
            _clear(context, session, order_id, ON_TIME)
            cleared.append(order_id)
    for order_id in late_before.keys() - remaining:
        _clear(context, session, order_id, DONE)
        cleared.append(order_id)
    stops = [_eta_payload(item) for item in projected.stops]
    if _etas_moved(session, route.id, stops, settings.live_eta_change_s):
        context.record(
            session,
            ETAS,
            {
                "computed_at": now.isoformat(),
                "delay_factor": round(projected.delay_factor, 3),
                "origin": projected.origin.value,
                "stops": stops,
            },
        )
    return LatenessChange(tuple(became), tuple(cleared))


def late_stops(
    session: Session,
    *,
    route_id: int | None = None,
    day: date | None = None,
    depot_id: int | None = None,
) -> list[LateStop]:
    """The stops late now, as last recorded (no projection is made): those of one route, or of
    one day (and depot). Cheap enough to ask after every report, e.g. to decide whether to
    propose a replan; `refresh_route` keeps it current."""
    if route_id is not None:
        order_ids = list(session.scalars(select(Stop.order_id).where(Stop.route_id == route_id)))
        found = _late_events(session, order_ids)
    else:
        query = select(LiveEvent).where(LiveEvent.kind.in_((LATE, LATE_CLEARED)))
        if day is not None:
            query = query.where(LiveEvent.service_date == day)
        if depot_id is not None:
            query = query.where(or_(LiveEvent.depot_id == depot_id, LiveEvent.depot_id.is_(None)))
        found = _latest_late(session.scalars(query.order_by(LiveEvent.id)))
    if not found:
        return []
    # A stop done by a report that refreshed no ETAs (an older client, a script) is not late.
    finished = set(
        session.scalars(
            select(Order.id).where(Order.id.in_(found.keys()), Order.status.in_(_FINISHED))
        )
    )
    stops = [
        _late_stop(event.route_id or 0, event.payload, event.created_at)
        for order_id, event in found.items()
        if order_id not in finished
    ]
    return sorted(stops, key=lambda s: (s.route_id, s.sequence))


def _late_events(session: Session, order_ids: Sequence[int]) -> dict[int, LiveEvent]:
    if not order_ids:
        return {}
    query = select(LiveEvent).where(
        LiveEvent.order_id.in_(order_ids), LiveEvent.kind.in_((LATE, LATE_CLEARED))
    )
    return _latest_late(session.scalars(query.order_by(LiveEvent.id)))


def _latest_late(events: Iterable[LiveEvent]) -> dict[int, LiveEvent]:
    """The `late` event of each order whose latest lateness event is one (oldest first in)."""
    latest: dict[int, LiveEvent] = {}
    for event in events:
        if event.order_id is not None:
            latest[event.order_id] = event
    return {order_id: e for order_id, e in latest.items() if e.kind == LATE}


def _clear(context: live_feed.RouteContext, session: Session, order_id: int, reason: str) -> None:
    context.record(
        session, LATE_CLEARED, {"order_id": order_id, "reason": reason}, order_id=order_id
    )


def _late_payload(item: etas.StopEta) -> dict[str, Any]:
    return _eta_payload(item) | {
        "reference": item.order.reference or item.order.tracking_code,
        "recipient_name": item.order.recipient_name,
    }


def _eta_payload(item: etas.StopEta) -> dict[str, Any]:
    window_end = item.eta.window_end_at
    return {
        "stop_id": item.stop.id,
        "order_id": item.order.id,
        "sequence": item.stop.sequence,
        "eta_at": item.eta.arrival_at.isoformat(),
        "window_end_at": window_end.isoformat() if window_end else None,
        "late_by_s": item.eta.late_by_s,
        "late": item.eta.projected_late,
    }


def _late_stop(route_id: int, payload: Any, since: datetime) -> LateStop:
    window_end = payload.get("window_end_at")
    return LateStop(
        order_id=payload["order_id"],
        stop_id=payload["stop_id"],
        route_id=route_id,
        sequence=payload["sequence"],
        reference=payload.get("reference", ""),
        eta_at=datetime.fromisoformat(payload["eta_at"]),
        window_end_at=datetime.fromisoformat(window_end) if window_end else None,
        late_by_s=payload["late_by_s"],
        since=since,
    )


def _etas_moved(
    session: Session, route_id: int, stops: list[dict[str, Any]], min_change_s: int
) -> bool:
    """Whether the ETAs differ from the route's last recorded ones enough to tell the pages."""
    last = session.scalars(
        select(LiveEvent.payload)
        .where(LiveEvent.route_id == route_id, LiveEvent.kind == ETAS)
        .order_by(LiveEvent.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return True
    before = {s["stop_id"]: s for s in last["stops"]}
    if before.keys() != {s["stop_id"] for s in stops}:
        return True
    for stop in stops:
        old = before[stop["stop_id"]]
        if old["late"] != stop["late"]:
            return True
        moved = datetime.fromisoformat(stop["eta_at"]) - datetime.fromisoformat(old["eta_at"])
        if abs(moved.total_seconds()) >= min_change_s:
            return True
    return False
