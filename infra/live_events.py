"""The live event log: appending in the caller's transaction, reading by id, ringing on commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from infra.models import LiveEvent

# Set on a session whose transaction recorded live events, so its commit wakes the streams.
_RECORDED = "sameday_live_events_recorded"
# (route, kind) of the transaction's events, for `routes_changed_after_commit`.
_ROUTES = "sameday_live_events_routes"


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """One stored event, detached from any session (streams pass it between threads)."""

    id: int
    kind: str
    service_date: date | None
    depot_id: int | None
    route_id: int | None
    courier_id: int | None
    order_id: int | None
    payload: Any
    created_at: datetime


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
    event_row = LiveEvent(
        kind=kind,
        payload=dict(payload),
        service_date=service_date,
        depot_id=depot_id,
        route_id=route_id,
        courier_id=courier_id,
        order_id=order_id,
    )
    session.add(event_row)
    session.info[_RECORDED] = True
    if route_id is not None:
        session.info.setdefault(_ROUTES, set()).add((route_id, kind))
    return event_row


def events_after(
    session: Session,
    after_id: int,
    *,
    limit: int,
    until_id: int | None = None,
    service_date: date | None = None,
    depot_id: int | None = None,
) -> list[LiveRecord]:
    """Events with an id above `after_id` (up to `until_id`), oldest first.

    `service_date` and `depot_id` narrow them to one day and one depot; events of no depot
    in particular (a replan of a plan for all depots) belong to every depot.
    """
    query = select(LiveEvent).where(LiveEvent.id > after_id)
    if until_id is not None:
        query = query.where(LiveEvent.id <= until_id)
    if service_date is not None:
        query = query.where(LiveEvent.service_date == service_date)
    if depot_id is not None:
        query = query.where(or_(LiveEvent.depot_id == depot_id, LiveEvent.depot_id.is_(None)))
    rows = session.scalars(query.order_by(LiveEvent.id).limit(limit))
    return [
        LiveRecord(
            id=row.id,
            kind=row.kind,
            service_date=row.service_date,
            depot_id=row.depot_id,
            route_id=row.route_id,
            courier_id=row.courier_id,
            order_id=row.order_id,
            payload=row.payload,
            created_at=row.created_at,
        )
        for row in rows
    ]


def latest_event_id(session: Session) -> int:
    """The newest id committed so far (0 for an empty log)."""
    return session.scalar(select(func.max(LiveEvent.id))) or 0


def ring_after_commit(sessions: sessionmaker[Session], ring: Callable[[], None]) -> None:
    """Calls `ring` after each commit of a session from `sessions` that recorded live events
    (never before: a stream woken early would read nothing and wait for the next poll)."""

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        # Released savepoints report here too; only the outer commit makes rows visible.
        if not session.in_nested_transaction() and session.info.pop(_RECORDED, False):
            ring()

    @event.listens_for(sessions, "after_soft_rollback")
    def _rolled_back(session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None:
            session.info.pop(_RECORDED, None)


def routes_changed_after_commit(
    sessions: sessionmaker[Session],
    changed: Callable[[set[int]], None],
    *,
    ignoring: frozenset[str] = frozenset(),
) -> None:
    """Calls `changed` with the routes whose live events a commit of a session from
    `sessions` recorded (a courier moved, a stop was done, a route left or came back), leaving
    out events of the kinds in `ignoring`."""

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if not session.in_nested_transaction():
            recorded = session.info.pop(_ROUTES, None) or set()
            routes = {route_id for route_id, kind in recorded if kind not in ignoring}
            if routes:
                changed(routes)

    @event.listens_for(sessions, "after_soft_rollback")
    def _rolled_back(session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None:
            session.info.pop(_ROUTES, None)
