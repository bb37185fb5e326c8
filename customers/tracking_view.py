"""What a customer sees by tracking code: only their order, never anyone else's data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, lazyload, sessionmaker

from customers import case_summaries
from customers.errors import FeedbackAlreadyGiven, FeedbackNotOpen, TrackingCodeUnknown
from infra.db import add_session_info
from infra.lru import Lru
from infra.models import (
    Feedback,
    Order,
    OrderEvent,
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
from tracking import etas as tracking_etas
from tracking import pings as tracking_pings
from tracking import public_etas
from tracking.stop_events import StopProgress, Visit, origin_of_stop, progress_of_visits
from tracking.stop_states import StopState, is_done

MAX_CODE_CHARS = 32
# Codes are made by `orders.service.new_tracking_code` from the base64url alphabet.
_CODE_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CODE_CHARS}}}")
# Looked up in place of a malformed code; no order has an empty code.
_NO_ORDER_HAS_THIS_CODE = ""
# Timelines (and visits' outcomes) kept per process: a few hundred bytes each.
MEMO_ENTRIES = 20_000
_MEMO = "sameday_tracking_memo"
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


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
    found = session.scalars(_ORDER_BY_CODE, _code_parameter(code)).unique().first()
    if found is None or not is_well_formed(code):
        raise TrackingCodeUnknown()
    return found


def _by_code(query: _Query) -> _Query:
    """`query` of the order the `code` parameter names, with its windows. Made once per query:
    a statement used again is not analysed again for the compiled-statement cache."""
    return query.where(Order.tracking_code == bindparam("code")).options(
        # Windows in the same query; parcels and lines only for a caller that reads them.
        joinedload(Order.windows),
        lazyload(Order.parcels),
        lazyload(Order.lines),
    )


def _code_parameter(code: str) -> dict[str, str]:
    """A malformed code is looked up as a code no order has (see `find_order`)."""
    return {"code": code if is_well_formed(code) else _NO_ORDER_HAS_THIS_CODE}


_ORDER_BY_CODE = _by_code(select(Order))


@dataclass(frozen=True, slots=True)
class _Found:
    order: Order
    # The order's stop on the latest published plan, with its route, and the visit of the
    # stop before it on the route (the page reads its progress too).
    stop: Stop | None
    previous: Visit | None
    # The latest event the customer's timeline, and the progress of these two visits, are
    # made from: what they were kept under (see `TrackingMemo`).
    timeline_mark: int | None
    progress_mark: int | None


def _with_visit() -> Select[Order, Stop, int, int | None, OrderKind, int | None, int | None]:
    """The query of `_find_with_visit` but for the code: made once (its aliases too)."""
    candidate, candidate_route = aliased(Stop), aliased(Route)
    latest_stop_id = (
        select(func.max(candidate.id))
        .join(candidate_route, candidate.route_id == candidate_route.id)
        .join(Plan, candidate_route.plan_id == Plan.id)
        .where(candidate.order_id == Order.id, Plan.status == PlanStatus.PUBLISHED)
        .scalar_subquery()
    )
    earlier = aliased(Stop)
    previous_stop_id = (
        select(earlier.id)
        .where(earlier.route_id == Stop.route_id, earlier.sequence < Stop.sequence)
        .order_by(earlier.sequence.desc())
        .limit(1)
        .scalar_subquery()
    )
    previous, previous_order = aliased(Stop), aliased(Order)
    timeline_mark = (
        select(func.max(OrderEvent.id))
        .where(OrderEvent.order_id == Order.id, OrderEvent.customer_visible.is_(True))
        .scalar_subquery()
    )
    # Every event of a visit carries its order: the latest of both orders covers both visits,
    # whichever plan version's stop row an event was reported against.
    progress_mark = (
        select(func.max(StopEvent.id))
        .where(StopEvent.order_id.in_([Order.id, previous.order_id]))
        .scalar_subquery()
    )
    return (
        select(
            Order,
            Stop,
            previous.id,
            previous.origin_stop_id,
            previous_order.kind,
            timeline_mark,
            progress_mark,
        )
        .select_from(Order)
        .outerjoin(Stop, Stop.id == latest_stop_id)
        .outerjoin(Route, Route.id == Stop.route_id)
        .outerjoin(previous, previous.id == previous_stop_id)
        .outerjoin(previous_order, previous_order.id == previous.order_id)
        .options(contains_eager(Stop.route))
    )


_WITH_VISIT = _by_code(_with_visit())


def _find_with_visit(session: Session, code: str) -> _Found:
    """`find_order`, with the order's current stop, its route and the stop before it, in one
    query: a tracking page is read far more often than anything on it changes."""
    row = session.execute(_WITH_VISIT, _code_parameter(code)).unique().first()
    if row is None or not is_well_formed(code):
        raise TrackingCodeUnknown()
    order, stop, previous_id, previous_origin, previous_kind, timeline_mark, progress_mark = row
    if stop is None:
        return _Found(order, None, None, timeline_mark, None)
    before = None
    if previous_id is not None:
        before = Visit(previous_id, previous_origin or previous_id, previous_kind)
    return _Found(order, stop, before, timeline_mark, progress_mark)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the page reads of a visit's progress."""

    state: StopState
    done_at: datetime | None
    proof: Proof | None


@dataclass(frozen=True, slots=True)
class TrackingMemo:
    """The parts of tracking pages made from the database's event logs, kept per process
    under the id of the latest event each was made from. Every read asks the database for
    that id (in the query that finds the order), so a part made before a change is never
    shown after it, whichever process recorded the change; a page is read far more often
    than anything on it changes."""

    timelines: Lru[tuple[int, int | None], tuple[Milestone, ...]] = field(
        default_factory=lambda: Lru(MEMO_ENTRIES)
    )
    outcomes: Lru[tuple[Visit, Visit | None, int | None], dict[int, _Outcome]] = field(
        default_factory=lambda: Lru(MEMO_ENTRIES)
    )


def install_memo(sessions: sessionmaker[Session], memo: TrackingMemo) -> None:
    """Gives the sessions of `sessions` the memo (without one, every read makes every part)."""
    add_session_info(sessions, _MEMO, memo)


def _memo_of(session: Session) -> TrackingMemo | None:
    memo: TrackingMemo | None = session.info.get(_MEMO)
    return memo


def _milestones(
    session: Session, order_id: int, mark: int | None, memo: TrackingMemo | None
) -> tuple[Milestone, ...]:
    if memo is not None and (kept := memo.timelines.get((order_id, mark))) is not None:
        return kept
    made = tuple(
        Milestone(entry.kind, entry.at, entry.payload.get("reason"), entry.payload)
        for entry in timeline.timeline_of(session, order_id, customer_view=True)
    )
    if memo is not None:
        memo.timelines.put((order_id, mark), made)
    return made


def _outcomes(
    session: Session,
    mine: Visit,
    previous: Visit | None,
    mark: int | None,
    memo: TrackingMemo | None,
) -> dict[int, _Outcome]:
    key = (mine, previous, mark)
    if memo is not None and (kept := memo.outcomes.get(key)) is not None:
        return kept
    progress = progress_of_visits(session, [mine] if previous is None else [previous, mine])
    made = {stop_id: _outcome(p) for stop_id, p in progress.items()}
    if memo is not None:
        memo.outcomes.put(key, made)
    return made


def _outcome(progress: StopProgress) -> _Outcome:
    final = progress.final_event
    proof = None
    if final is not None and final.kind in (StopEventKind.DELIVERED, StopEventKind.PICKUP_DONE):
        proof = Proof(
            recipient_first_name=_first_name(final.recipient_name),
            has_signature=final.signature_ref is not None,
            has_photo=final.photo_ref is not None,
            at=final.occurred_at,
        )
    return _Outcome(progress.state, progress.done_at, proof)


def tracking_view(
    session: Session, code: str, *, now: datetime, settings: TrackingSettings
) -> TrackingView:
    """The order's status, timeline, ETA window, courier position (only while the courier
    heads for this stop), proof summary and feedback state. Raises TrackingCodeUnknown."""
    found = _find_with_visit(session, code)
    order = found.order
    windows = sorted((w.starts_at, w.ends_at) for w in order.windows)
    memo = _memo_of(session)
    milestones = _milestones(session, order.id, found.timeline_mark, memo)
    # Feedback, complaints and compensation each put an entry on the customer's timeline:
    # an order without such an entry (nearly all of them) needs no query for them. (Read
    # afresh, not kept: a complaint's status can change without a timeline entry.)
    kinds = {milestone.kind for milestone in milestones}
    feedback = None
    if timeline.FEEDBACK in kinds:
        feedback = session.scalars(select(Feedback).where(Feedback.order_id == order.id)).first()
    view = TrackingView(
        tracking_code=order.tracking_code,
        status=order.status,
        service_date=order.service_date.isoformat(),
        timeline=list(milestones),
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
    stop = found.stop
    if stop is None:
        return view
    route = stop.route
    # The stop before this one matters only while the route is on the road: its courier's
    # position is shown once that stop is done.
    previous = found.previous if route.status is RouteStatus.DEPARTED else None
    this_visit = Visit(stop.id, origin_of_stop(stop), order.kind)
    outcomes = _outcomes(session, this_visit, previous, found.progress_mark, memo)
    mine = outcomes[stop.id]
    eta_from, eta_until, late = None, None, False
    if route.status is RouteStatus.DEPARTED and not is_done(mine.state):
        eta_from, eta_until, late = _eta_window(session, route, stop, now, settings, view)
    return replace(
        view,
        proof=mine.proof,
        eta_from=eta_from,
        eta_until=eta_until,
        running_late=late,
        courier_position=_position_if_heading_here(
            session, route, mine, outcomes[previous.stop_id] if previous else None, settings
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
    """The route's ETAs, shared by every customer of the route for a slice of the clock."""
    cache = public_etas.cache_of(session)
    if cache is None:
        return _project(session, route_id, now, settings)
    if (kept := cache.get(route_id, now)) is not None:
        return kept
    with cache.projecting(route_id):
        # Projected by another reader while this one waited.
        if (kept := cache.get(route_id, now)) is not None:
            return kept
        version = cache.version(route_id)
        projection = _project(session, route_id, now, settings)
        cache.put(route_id, now, projection, version=version)
        return projection


def _project(
    session: Session, route_id: int, now: datetime, settings: TrackingSettings
) -> public_etas.RouteProjection:
    projected = tracking_etas.route_etas(
        session, route_id, as_courier=None, now=now, settings=settings
    )
    return {
        s.stop.id: public_etas.StopEta(s.eta.arrival_at, s.eta.projected_late)
        for s in projected.stops
    }


def _position_if_heading_here(
    session: Session,
    route: Route,
    mine: _Outcome,
    previous: _Outcome | None,
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
