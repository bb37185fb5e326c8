"""Stop events: what a courier reports at a stop, recorded once, only when the stop allows it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from infra.errors import FieldProblem
from infra.models import (
    FailureReason,
    Order,
    OrderKind,
    OrderStatus,
    Plan,
    PlanStatus,
    Route,
    RouteStatus,
    Stop,
    StopEvent,
    StopEventKind,
)
from infra.settings import TrackingSettings
from orders import timeline
from tracking import lateness, live_feed, notifications
from tracking.errors import (
    ClientEventIdReused,
    EventTimeInFuture,
    IllegalStopEvent,
    RouteNotUnderWay,
    StopNotFound,
)
from tracking.stop_states import StopState, is_done, next_state, state_after

if TYPE_CHECKING:
    # tracking.lateness projects ETAs, which read stop events: imported for the type only.
    from tracking.lateness import LatenessChange

ORDER_STATUS_AFTER: dict[StopState, OrderStatus] = {
    StopState.ARRIVED: OrderStatus.OUT_FOR_DELIVERY,
    StopState.DELIVERED: OrderStatus.DELIVERED,
    StopState.PICKED_UP: OrderStatus.DELIVERED,
    StopState.FAILED: OrderStatus.FAILED,
}
NOTICE_AFTER: dict[StopState, str] = {
    StopState.DELIVERED: notifications.DELIVERED,
    StopState.PICKED_UP: notifications.PICKED_UP,
    StopState.FAILED: notifications.DELIVERY_FAILED,
}


@dataclass(frozen=True, slots=True)
class StopReport:
    client_event_id: str
    kind: StopEventKind
    occurred_at: datetime
    lat: float | None = None
    lng: float | None = None
    recipient_name: str | None = None
    signature_ref: str | None = None
    photo_ref: str | None = None
    failure_reason: FailureReason | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    event: StopEvent
    # The stop's state right after this event.
    state: StopState
    # True when the event had been recorded before (a retry).
    replayed: bool
    # What the event changed about the route's lateness; None when no ETAs were refreshed.
    lateness: LatenessChange | None = None


@dataclass(frozen=True, slots=True)
class StopProgress:
    """What the events of one stop say so far."""

    state: StopState
    events: tuple[StopEvent, ...]

    @property
    def arrived_at(self) -> datetime | None:
        return next((e.occurred_at for e in self.events if e.kind is StopEventKind.ARRIVED), None)

    @property
    def done_at(self) -> datetime | None:
        if not is_done(self.state):
            return None
        return self.events[-1].occurred_at

    @property
    def final_event(self) -> StopEvent | None:
        return self.events[-1] if is_done(self.state) else None


# What a stop without events (or one that does not exist) has made so far.
_PENDING = StopProgress(StopState.PENDING, ())


def record_stop_event(
    session: Session,
    courier_id: int,
    stop_id: int,
    report: StopReport,
    *,
    now: datetime,
    eta_settings: TrackingSettings | None = None,
) -> RecordedEvent:
    """Records the courier's event at a stop of their own departed route.

    A retry with the same client event id returns the first outcome. The order's status
    follows, the customer is notified of a delivery or a failed attempt and the live pages
    are told, in the same transaction; with `eta_settings` the route's ETAs and lateness are
    refreshed too. An `occurred_at` further ahead of `now` than the pings' allowed clock skew
    is refused: it would date a delivery, and the lateness measured from it, in the future.
    Raises StopNotFound, RouteNotUnderWay, IllegalStopEvent, ClientEventIdReused,
    EventTimeInFuture.
    """
    earlier = _by_client_id(session, courier_id, report.client_event_id)
    if earlier is not None:
        return _replay(session, earlier, stop_id, report)
    stop, route, order = _own_stop(session, courier_id, stop_id)
    skew_s = (eta_settings or TrackingSettings()).max_future_skew_s
    if report.occurred_at > now + timedelta(seconds=skew_s):
        raise EventTimeInFuture(
            f"stop {stop_id}: occurred_at {report.occurred_at.isoformat()} is more than "
            f"{skew_s} s ahead of the server clock ({now.isoformat()})",
            [FieldProblem("occurred_at", "in the future: check the device's clock")],
            stop_id=stop_id,
        )
    stop_id = stop.id  # the current row, if a replan carried the stop over
    if route.status is not RouteStatus.DEPARTED:
        raise RouteNotUnderWay(
            f"route {route.id} is {route.status.value}; stop events are taken once it departed",
            route_id=route.id,
            stop_id=stop_id,
            route_status=route.status.value,
        )
    state = progress_of(session, [stop_id])[stop_id].state
    after = next_state(state, report.kind, order.kind)
    if after is None:
        raise IllegalStopEvent(
            f"stop {stop_id} is {state.value}; '{report.kind.value}' is not allowed "
            f"for a {order.kind.value} order now",
            stop_id=stop_id,
            current_state=state.value,
            attempted_event=report.kind.value,
        )
    event = StopEvent(
        stop_id=stop_id,
        route_id=route.id,
        order_id=order.id,
        courier_id=courier_id,
        client_event_id=report.client_event_id,
        kind=report.kind,
        occurred_at=report.occurred_at,
        recorded_at=now,
        lat=report.lat,
        lng=report.lng,
        recipient_name=report.recipient_name,
        signature_ref=report.signature_ref,
        photo_ref=report.photo_ref,
        failure_reason=report.failure_reason,
        note=report.note,
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        # The same report, sent twice at once: the other request recorded it.
        raced = _by_client_id(session, courier_id, report.client_event_id)
        if raced is None:
            raise
        return _replay(session, raced, stop_id, report)
    _follow(session, route, stop, order, after, report, now=now)
    _record_on_timeline(session, event)
    session.flush()
    context = live_feed.stop_changed(session, route, stop, order, event, after.value)
    change = None
    if eta_settings is not None:
        change = lateness.refresh_route(
            session,
            route,
            now=now,
            settings=eta_settings,
            context=context,
            reported_at=report.occurred_at,
        )
    return RecordedEvent(event, after, replayed=False, lateness=change)


_TIMELINE_KIND = {
    StopEventKind.ARRIVED: timeline.ARRIVED,
    StopEventKind.DELIVERED: timeline.DELIVERED,
    StopEventKind.FAILED: timeline.FAILED,
    StopEventKind.PICKUP_DONE: timeline.PICKED_UP,
}


def _record_on_timeline(session: Session, event: StopEvent) -> None:
    """The event and its proof (references to the signature and photo, not the files)."""
    proof = {
        "recipient_name": event.recipient_name,
        "signature_ref": event.signature_ref,
        "photo_ref": event.photo_ref,
        "reason": event.failure_reason.value if event.failure_reason else None,
        "note": event.note,
    }
    timeline.record(
        session,
        event.order_id,
        _TIMELINE_KIND[event.kind],
        {
            "stop_event_id": event.id,
            "stop_id": event.stop_id,
            "route_id": event.route_id,
            "courier_id": event.courier_id,
            **{key: value for key, value in proof.items() if value is not None},
        },
        at=event.occurred_at,
    )


@dataclass(frozen=True, slots=True)
class Visit:
    """A stop as its progress is read: the id its visit's events are filed under, and
    whether it delivers or picks up (which decides the states its events lead to)."""

    stop_id: int
    origin_id: int
    kind: OrderKind


def progress_of(session: Session, stop_ids: Iterable[int]) -> dict[int, StopProgress]:
    """Each stop's state and events (oldest first); stops without events are pending.

    A stop a replan carried over shares the events of every row of its visit (same origin).
    """
    ids = list(stop_ids)
    query = select(Stop.id, Stop.origin_stop_id, Order.kind).join(Order, Stop.order_id == Order.id)
    found = {
        row.id: Visit(row.id, row.origin_stop_id or row.id, row.kind)
        for row in session.execute(query.where(Stop.id.in_(ids)))
    }
    progress = progress_of_visits(session, found.values())
    return {stop_id: progress.get(stop_id, _PENDING) for stop_id in ids}


def progress_of_visits(session: Session, visits: Iterable[Visit]) -> dict[int, StopProgress]:
    """`progress_of` for a caller that has read its stops' visits already: one query."""
    visits = list(visits)
    by_origin: dict[int, list[StopEvent]] = defaultdict(list)
    if visits:
        origins = {v.origin_id for v in visits}
        origin = func.coalesce(Stop.origin_stop_id, Stop.id)
        # Said so that the indexes on stop.id and stop.origin_stop_id find the visits' rows (a
        # condition on `origin` itself read every stop event). A row this also finds of another
        # visit is filed under that visit's origin, which nobody reads.
        found = session.execute(
            select(StopEvent, origin.label("origin"))
            .join(Stop, StopEvent.stop_id == Stop.id)
            .where(or_(Stop.id.in_(origins), Stop.origin_stop_id.in_(origins)))
            .order_by(StopEvent.id)
        )
        for event, event_origin in found:
            by_origin[event_origin].append(event)
    progress = {}
    for visit in visits:
        events = by_origin[visit.origin_id]
        state = state_after((e.kind for e in events), visit.kind) if events else None
        progress[visit.stop_id] = StopProgress(state or StopState.PENDING, tuple(events))
    return progress


def origin_of_stop(stop: Stop) -> int:
    """The id shared by every row of a visit across plan versions."""
    return stop.origin_stop_id or stop.id


def _by_client_id(session: Session, courier_id: int, client_event_id: str) -> StopEvent | None:
    return session.scalars(
        select(StopEvent).where(
            StopEvent.courier_id == courier_id, StopEvent.client_event_id == client_event_id
        )
    ).first()


def _replay(
    session: Session, earlier: StopEvent, stop_id: int, report: StopReport
) -> RecordedEvent:
    same_visit = earlier.stop_id == stop_id or _origin_id(session, earlier.stop_id) == _origin_id(
        session, stop_id
    )
    if not same_visit or earlier.kind is not report.kind:
        raise ClientEventIdReused(
            f"client event id {report.client_event_id!r} was used for '{earlier.kind.value}' "
            f"at stop {earlier.stop_id}",
            stop_id=earlier.stop_id,
            client_event_id=report.client_event_id,
        )
    order = session.get(Order, earlier.order_id)
    assert order is not None  # a foreign key
    kinds = session.scalars(
        select(StopEvent.kind)
        .where(StopEvent.stop_id == earlier.stop_id, StopEvent.id <= earlier.id)
        .order_by(StopEvent.id)
    )
    return RecordedEvent(earlier, state_after(kinds, order.kind), replayed=True)


def _origin_id(session: Session, stop_id: int) -> int | None:
    stop = session.get(Stop, stop_id)
    return origin_of_stop(stop) if stop is not None else None


def _current_row(session: Session, stop: Stop) -> Stop:
    """The row of the stop's visit in the published plan version, when a replan superseded the
    plan the courier's app still shows (its events then go to the current route)."""
    if stop.route.plan.status is not PlanStatus.SUPERSEDED:
        return stop
    origin = origin_of_stop(stop)
    current = session.scalars(
        select(Stop)
        .join(Route, Stop.route_id == Route.id)
        .join(Plan, Route.plan_id == Plan.id)
        .where(
            or_(Stop.origin_stop_id == origin, Stop.id == origin),
            Plan.status == PlanStatus.PUBLISHED,
        )
        .order_by(Stop.id.desc())
    ).first()
    return current or stop


def _own_stop(session: Session, courier_id: int, stop_id: int) -> tuple[Stop, Route, Order]:
    stop = session.get(Stop, stop_id)
    if stop is not None:
        stop = _current_row(session, stop)
    route = stop.route if stop is not None else None
    if (
        stop is None
        or route is None
        or route.courier_id != courier_id
        or route.plan.status is not PlanStatus.PUBLISHED
    ):
        raise StopNotFound(f"stop {stop_id} is not on a route of yours", stop_id=stop_id)
    order = session.get(Order, stop.order_id)
    assert order is not None  # a foreign key
    return stop, route, order


def _follow(
    session: Session,
    route: Route,
    stop: Stop,
    order: Order,
    state: StopState,
    report: StopReport,
    *,
    now: datetime,
) -> None:
    """The order's status, the customers' notices and the route's end follow the event."""
    order.status = ORDER_STATUS_AFTER[state]
    notice = NOTICE_AFTER.get(state)
    if notice is None:
        return
    details = {"failure_reason": report.failure_reason.value} if report.failure_reason else {}
    notifications.notify_customer(session, order, notice, now=now, details=details)
    stops: Sequence[Stop] = route.stops
    progress = progress_of(session, [s.id for s in stops])
    progress_done = {s.id for s in stops if s.id == stop.id or is_done(progress[s.id].state)}
    upcoming = next((s for s in stops if s.id not in progress_done), None)
    if upcoming is None:
        route.status = RouteStatus.DONE
        route.finished_at = report.occurred_at
        return
    if progress[upcoming.id].state is StopState.PENDING:
        next_order = session.get(Order, upcoming.order_id)
        assert next_order is not None  # a foreign key
        notifications.notify_customer(
            session, next_order, notifications.COURIER_ON_THE_WAY, now=now
        )
