"""What a customer sees by tracking code: only their order, never anyone else's data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload, lazyload

from customers import case_summaries
from customers.errors import FeedbackAlreadyGiven, FeedbackNotOpen, TrackingCodeUnknown
from infra.models import (
    Feedback,
    Order,
    OrderStatus,
    Plan,
    PlanStatus,
    Route,
    RouteStatus,
    Stop,
    StopEventKind,
)
from infra.settings import TrackingSettings
from orders import timeline
from tracking import etas as tracking_etas
from tracking import pings as tracking_pings
from tracking import public_etas
from tracking.stop_events import StopProgress, progress_of
from tracking.stop_states import StopState, is_done

MAX_CODE_CHARS = 32
# Codes are made by `orders.service.new_tracking_code` from the base64url alphabet.
_CODE_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CODE_CHARS}}}")
# Looked up in place of a malformed code; no order has an empty code.
_NO_ORDER_HAS_THIS_CODE = ""


@dataclass(frozen=True, slots=True)
class Milestone:
    kind: str  # one of `orders.timeline.CUSTOMER_FIELDS`
    at: datetime
    reason: str | None = None
    # Only the fields `orders.timeline.CUSTOMER_FIELDS` lets the customer read.
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApproximatePosition:
    lat: float
    lng: float
    at: datetime


@dataclass(frozen=True, slots=True)
class Proof:
    recipient_first_name: str | None
    has_signature: bool
    has_photo: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class TrackingView:
    tracking_code: str
    status: OrderStatus
    service_date: str
    timeline: list[Milestone] = field(default_factory=list)
    promised_from: datetime | None = None
    promised_until: datetime | None = None
    eta_from: datetime | None = None
    eta_until: datetime | None = None
    running_late: bool = False
    courier_position: ApproximatePosition | None = None
    proof: Proof | None = None
    feedback_open: bool = False
    feedback_rating: int | None = None
    complaints: list[case_summaries.ComplaintSummary] = field(default_factory=list)
    compensations: list[case_summaries.CompensationSummary] = field(default_factory=list)


def is_well_formed(code: str) -> bool:
    """Could `code` be a tracking code at all (URL-safe characters, not too long)?"""
    return _CODE_PATTERN.fullmatch(code) is not None


def find_order(session: Session, code: str) -> Order:
    """Raises TrackingCodeUnknown, the same way for every code that finds nothing.

    A malformed code is looked up too, as a code no order has: a wrong code and an unknown one
    take the same path and the same time, so neither tells a guesser anything.
    """
    well_formed = is_well_formed(code)
    probe = code if well_formed else _NO_ORDER_HAS_THIS_CODE
    order = (
        session.scalars(
            select(Order)
            .where(Order.tracking_code == probe)
            # Windows in the same query; parcels and lines only for a caller that reads them.
            .options(joinedload(Order.windows), lazyload(Order.parcels), lazyload(Order.lines))
        )
        .unique()
        .first()
    )
    if order is None or not well_formed:
        raise TrackingCodeUnknown()
    return order


def tracking_view(
    session: Session, code: str, *, now: datetime, settings: TrackingSettings
) -> TrackingView:
    """The order's status, timeline, ETA window, courier position (only while the courier
    heads for this stop), proof summary and feedback state. Raises TrackingCodeUnknown."""
    order = find_order(session, code)
    windows = sorted((w.starts_at, w.ends_at) for w in order.windows)
    entries = timeline.timeline_of(session, order.id, customer_view=True)
    # Feedback, complaints and compensation each put an entry on the customer's timeline:
    # an order without such an entry (nearly all of them) needs no query for them.
    kinds = {entry.kind for entry in entries}
    feedback = None
    if timeline.FEEDBACK in kinds:
        feedback = session.scalars(select(Feedback).where(Feedback.order_id == order.id)).first()
    view = TrackingView(
        tracking_code=order.tracking_code,
        status=order.status,
        service_date=order.service_date.isoformat(),
        timeline=[
            Milestone(entry.kind, entry.at, entry.payload.get("reason"), entry.payload)
            for entry in entries
        ],
        promised_from=windows[0][0] if windows else None,
        promised_until=windows[-1][1] if windows else None,
        feedback_open=order.status is OrderStatus.DELIVERED and feedback is None,
        feedback_rating=feedback.rating if feedback else None,
        complaints=case_summaries.complaints_of(session, order.id)
        if timeline.COMPLAINT_OPENED in kinds
        else [],
        compensations=case_summaries.compensations_of(session, order.id)
        if timeline.COMPENSATION_ISSUED in kinds
        else [],
    )
    stop = _current_stop(session, order.id)
    if stop is None:
        return view
    route = stop.route
    # The stop before this one matters only while the route is on the road: its courier's
    # position is shown once that stop is done.
    previous = _previous_stop_id(session, stop) if route.status is RouteStatus.DEPARTED else None
    progress = progress_of(session, [stop.id] if previous is None else [previous, stop.id])
    mine = progress[stop.id]
    final = mine.final_event
    proof = None
    if final is not None and final.kind in (StopEventKind.DELIVERED, StopEventKind.PICKUP_DONE):
        proof = Proof(
            recipient_first_name=_first_name(final.recipient_name),
            has_signature=final.signature_ref is not None,
            has_photo=final.photo_ref is not None,
            at=final.occurred_at,
        )
    eta_from, eta_until, late = None, None, False
    if route.status is RouteStatus.DEPARTED and not is_done(mine.state):
        eta_from, eta_until, late = _eta_window(session, route, stop, now, settings, view)
    return replace(
        view,
        proof=proof,
        eta_from=eta_from,
        eta_until=eta_until,
        running_late=late,
        courier_position=_position_if_heading_here(
            session, route, mine, progress.get(previous) if previous else None, settings
        ),
    )


def give_feedback(
    session: Session, code: str, *, rating: int, comment: str | None, now: datetime
) -> Feedback:
    """Once per delivered order. Raises TrackingCodeUnknown, FeedbackNotOpen,
    FeedbackAlreadyGiven."""
    order = find_order(session, code)
    if order.status is not OrderStatus.DELIVERED:
        raise FeedbackNotOpen(
            f"feedback opens when the order is delivered; it is {order.status.value}",
            status=order.status.value,
        )
    if session.scalars(select(Feedback.id).where(Feedback.order_id == order.id)).first():
        raise FeedbackAlreadyGiven("feedback for this order was already given")
    feedback = Feedback(order_id=order.id, rating=rating, comment=comment, created_at=now)
    session.add(feedback)
    session.flush()
    timeline.record(
        session,
        order.id,
        timeline.FEEDBACK,
        {"feedback_id": feedback.id, "rating": rating, "comment": comment},
        at=now,
    )
    return feedback


def _current_stop(session: Session, order_id: int) -> Stop | None:
    """The order's stop on the latest published route, if it has one."""
    return session.scalars(
        select(Stop)
        .join(Route, Stop.route_id == Route.id)
        .join(Plan, Route.plan_id == Plan.id)
        .where(Stop.order_id == order_id, Plan.status == PlanStatus.PUBLISHED)
        .options(contains_eager(Stop.route))
        .order_by(Stop.id.desc())
        .limit(1)
    ).first()


def _previous_stop_id(session: Session, stop: Stop) -> int | None:
    return session.scalar(
        select(Stop.id)
        .where(Stop.route_id == stop.route_id, Stop.sequence < stop.sequence)
        .order_by(Stop.sequence.desc())
        .limit(1)
    )


def _first_name(name: str | None) -> str | None:
    if not name:
        return None
    return name.split()[0]


def _eta_window(
    session: Session,
    route: Route,
    stop: Stop,
    now: datetime,
    settings: TrackingSettings,
    view: TrackingView,
) -> tuple[datetime | None, datetime | None, bool]:
    mine = _projection(session, route.id, now, settings).get(stop.id)
    if mine is None:
        return None, None, False
    margin = timedelta(seconds=settings.eta_margin_s)
    start, end = mine.arrival_at - margin, mine.arrival_at + margin
    if view.promised_from is not None and view.promised_until is not None:
        clipped = (max(start, view.promised_from), min(end, view.promised_until))
        if clipped[0] <= clipped[1]:
            start, end = clipped
    return start, end, mine.projected_late


def _projection(
    session: Session, route_id: int, now: datetime, settings: TrackingSettings
) -> public_etas.RouteProjection:
    """The route's ETAs, shared by every customer of the route for a few seconds."""
    cache = public_etas.cache_of(session)
    if cache is not None and (kept := cache.get(route_id, now)) is not None:
        return kept
    version = cache.version(route_id) if cache is not None else 0
    projected = tracking_etas.route_etas(
        session, route_id, as_courier=None, now=now, settings=settings
    )
    projection = {
        s.stop.id: public_etas.StopEta(s.eta.arrival_at, s.eta.projected_late)
        for s in projected.stops
    }
    if cache is not None:
        cache.put(route_id, now, projection, version=version)
    return projection


def _position_if_heading_here(
    session: Session,
    route: Route,
    mine: StopProgress,
    previous: StopProgress | None,
    settings: TrackingSettings,
) -> ApproximatePosition | None:
    """Only while the previous stop (`None`: this is the first) is done, or the route just
    left, and this one is not."""
    if route.status is not RouteStatus.DEPARTED or route.departed_at is None:
        return None
    if mine.state is not StopState.PENDING or route.courier_id is None:
        return None
    since = route.departed_at
    if previous is not None:
        if previous.done_at is None:
            return None
        since = max(since, previous.done_at)
    latest = tracking_pings.latest_position(session, route.courier_id)
    if latest is None or latest.device_at < since:
        return None
    digits = settings.public_position_decimals
    return ApproximatePosition(
        round(latest.lat, digits), round(latest.lng, digits), latest.device_at
    )
