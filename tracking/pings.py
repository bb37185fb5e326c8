"""Position pings: a batch recorded once each, implausible ones refused, read in device time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    bindparam,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from infra import position_cache
from infra.db import insert_unless_present
from infra.models import Courier, PositionPing
from infra.position_cache import LatestPosition
from infra.settings import TrackingSettings
from tracking import lateness, live_feed, refresh_pace
from tracking.errors import CourierNotFound
from tracking.plausibility import Fix, Limits, PingRejection, Timeline, static_problem

if TYPE_CHECKING:
    # tracking.lateness projects ETAs, which read pings: imported here for the type only.
    from tracking.lateness import LatenessChange

# Stored pings this far around a batch are the neighbours its pings are checked against.
NEIGHBOUR_SPAN = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class PingIn:
    device_at: datetime
    lat: float
    lng: float
    accuracy_m: float | None = None
    speed_m_s: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    reason: PingRejection


@dataclass(slots=True)
class PingBatchResult:
    """Indexes into the batch as sent."""

    accepted: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # What the batch changed about the lateness of the courier's route under way; None when
    # no ETAs were refreshed (the courier did not move, or is on no departed route).
    lateness: LatenessChange | None = None


def _fix(ping: PingIn | PositionPing) -> Fix:
    return Fix(ping.device_at, ping.lat, ping.lng, ping.accuracy_m or 0.0)


def record_pings(
    session: Session,
    courier_id: int,
    pings: Sequence[PingIn],
    *,
    now: datetime,
    limits: Limits,
    eta_settings: TrackingSettings | None = None,
) -> PingBatchResult:
    """Stores the batch's new, plausible pings; a ping already stored is counted as a duplicate.

    Pings are judged in device-time order against their neighbours, stored or just accepted,
    so a batch may arrive late or shuffled; refusals are listed per ping. When the batch moves
    the courier's latest position, the live pages are told once (however many pings it held),
    and with `eta_settings` the ETAs and lateness of the courier's route under way are
    refreshed (no more often than `tracking.refresh_pace` allows), all in the caller's
    transaction. Raises CourierNotFound.
    """
    # Kept while the batch is recorded: the live event names the courier.
    courier = session.get(Courier, courier_id)
    if courier is None:
        raise CourierNotFound(f"courier {courier_id} does not exist", courier_id=courier_id)
    result = PingBatchResult()
    candidates: dict[datetime, int] = {}
    for index, ping in enumerate(pings):
        problem = static_problem(_fix(ping), now=now, limits=limits)
        if problem is not None:
            result.rejected.append(Rejected(index, problem))
        elif ping.device_at in candidates:
            result.duplicates.append(index)
        else:
            candidates[ping.device_at] = index
    if not candidates:
        return result
    stored, latest_stored = _stored_around(session, courier_id, min(candidates), max(candidates))
    stored_times = {p.device_at for p in stored}
    timeline = Timeline([_fix(p) for p in stored])
    for device_at in sorted(candidates):
        index = candidates[device_at]
        if device_at in stored_times:
            result.duplicates.append(index)
            continue
        ping = pings[index]
        problem = timeline.admit(_fix(ping), limits)
        if problem is not None:
            result.rejected.append(Rejected(index, problem))
            continue
        # A concurrent request may store the same ping first: then it is a duplicate.
        inserted = insert_unless_present(
            session, PositionPing, _row_of(courier_id, ping, received_at=now)
        )
        if not inserted:
            result.duplicates.append(index)
            continue
        result.accepted.append(index)
    result.accepted.sort()
    result.duplicates.sort()
    result.rejected.sort(key=lambda r: r.index)
    if result.accepted:
        newest = max((pings[i] for i in result.accepted), key=lambda p: p.device_at)
        if latest_stored is None or latest_stored.device_at < newest.device_at:
            result.lateness = _tell_live_pages(
                session,
                # The row just stored, as read back (not added to the session: it is there).
                PositionPing(**_row_of(courier_id, newest, received_at=now)),
                now,
                eta_settings,
            )
        # Else a late upload of older pings: the courier is where they were.
    return result


def _row_of(courier_id: int, ping: PingIn, *, received_at: datetime) -> dict[str, Any]:
    """The stored row of `ping`."""
    return {
        "courier_id": courier_id,
        "device_at": ping.device_at,
        "lat": ping.lat,
        "lng": ping.lng,
        "accuracy_m": ping.accuracy_m,
        "speed_m_s": ping.speed_m_s,
        "heading_deg": ping.heading_deg,
        "received_at": received_at,
    }


def _tell_live_pages(
    session: Session,
    latest: PositionPing,
    now: datetime,
    eta_settings: TrackingSettings | None,
) -> LatenessChange | None:
    courier_id = latest.courier_id
    context = live_feed.courier_moved(session, courier_id, latest)
    # Before the ETAs are refreshed: from here on, this transaction reads the courier's
    # position from the database, where the new one is.
    position_cache.store_after_commit(
        session, _position_of(latest, route_id=context.route.id if context else None)
    )
    if context is None or eta_settings is None:
        return None
    if not refresh_pace.ping_may_refresh(session, context.route.id, now):
        return None
    return lateness.refresh_route(
        session,
        context.route,
        now=now,
        settings=eta_settings,
        context=context,
        reported_at=latest.device_at,
    )


def pings_between(
    session: Session,
    courier_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[PositionPing]:
    """The courier's pings in device-time order."""
    query = select(PositionPing).where(PositionPing.courier_id == courier_id)
    if since is not None:
        query = query.where(PositionPing.device_at >= since)
    if until is not None:
        query = query.where(PositionPing.device_at <= until)
    return list(session.scalars(query.order_by(PositionPing.device_at)))


def latest_position(session: Session, courier_id: int) -> LatestPosition | None:
    """The courier's position of the latest device time, whenever it arrived: from the
    position cache when the session has one (the production profile), else, on a miss or with
    Redis down, from the database, and then cached for the next reader."""
    cache = position_cache.cache_of(session)
    if cache is None or position_cache.is_pending(session, courier_id):
        ping = latest_ping(session, courier_id)
        return None if ping is None else _position_of(ping)
    cached = cache.latest(courier_id)
    if cached is not None:
        return cached
    ping = latest_ping(session, courier_id)
    if ping is None:
        return None
    found = _position_of(ping)
    # Unless a later ping was cached meanwhile: the cache never goes back in time.
    cache.store(found)
    return found


def _stored_around_statement() -> Select[PositionPing, bool]:
    """The statement of `_stored_around`, built once: a ping is sent every few seconds by
    every courier on the road, and building it anew cost each ping about a millisecond of
    construction and cache-key analysis."""
    of_courier = PositionPing.courier_id == bindparam("courier_id")
    at = PositionPing.device_at
    first, last = bindparam("first", type_=at.type), bindparam("last", type_=at.type)
    within = select(PositionPing.id, literal(False).label("latest")).where(
        of_courier, at >= first, at <= last
    )

    def first_of(
        *where: ColumnElement[bool], order: UnaryExpression[datetime], latest: bool = False
    ) -> Select[int, bool]:
        one = select(PositionPing.id).where(of_courier, *where).order_by(order).limit(1)
        found = one.subquery()
        return select(found.c.id, literal(latest).label("latest"))

    earliest = bindparam("earliest", type_=at.type)
    latest_bound = bindparam("latest_bound", type_=at.type)
    before = first_of(at < first, at >= earliest, order=at.desc())
    after = first_of(at > last, at <= latest_bound, order=at.asc())
    latest = first_of(order=at.desc(), latest=True)
    # One round trip.
    ids = union_all(within, before, after, latest).subquery()
    return select(PositionPing, ids.c.latest).join(ids, PositionPing.id == ids.c.id).order_by(at)


_STORED_AROUND = _stored_around_statement()


def _stored_around(
    session: Session, courier_id: int, first: datetime, last: datetime
) -> tuple[list[PositionPing], PositionPing | None]:
    """The courier's stored pings from `first` to `last` and the nearest one on either side
    (within NEIGHBOUR_SPAN): every neighbour a batch's pings can have. Loading the whole span
    instead cost each ping a courier's whole day of pings by the evening. And the courier's
    latest stored ping, whenever it was: whether the batch moves the courier."""
    parameters = {
        "courier_id": courier_id,
        "first": first,
        "last": last,
        "earliest": first - NEIGHBOUR_SPAN,
        "latest_bound": last + NEIGHBOUR_SPAN,
    }
    neighbours: dict[int, PositionPing] = {}
    newest = None
    for ping, is_latest in session.execute(_STORED_AROUND, parameters):
        if is_latest:
            newest = ping
        else:
            neighbours[ping.id] = ping
    return list(neighbours.values()), newest


def latest_ping(session: Session, courier_id: int) -> PositionPing | None:
    """The stored ping with the latest device time, whenever it arrived."""
    return session.scalars(
        select(PositionPing)
        .where(PositionPing.courier_id == courier_id)
        .order_by(PositionPing.device_at.desc())
        .limit(1)
    ).first()


def _position_of(ping: PositionPing, *, route_id: int | None = None) -> LatestPosition:
    return LatestPosition(
        courier_id=ping.courier_id,
        lat=ping.lat,
        lng=ping.lng,
        device_at=ping.device_at,
        received_at=ping.received_at,
        route_id=route_id,
    )
