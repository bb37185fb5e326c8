"""ETAs of a departed route from its stored state: pings, stop events, the plan's times."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from dispatch import problem_builder
from dispatch import routes as dispatch_routes
from infra.models import Depot, Order, Route, RouteStatus, Stop, Vehicle
from infra.settings import TrackingSettings
from routing.matrix import HaversineProvider
from tracking import eta, pings
from tracking.errors import RouteNotUnderWay
from tracking.stop_events import StopProgress, progress_of
from tracking.stop_states import StopState, is_done


class Origin(enum.StrEnum):
    POSITION = "position"  # the courier's latest ping
    STOP = "stop"  # the last stop finished (no newer ping)
    DEPOT = "depot"  # nothing reported since the departure
    AT_STOP = "at_stop"  # the courier has arrived at the next stop


@dataclass(frozen=True, slots=True)
class StopEta:
    stop: Stop
    order: Order
    eta: eta.Eta


@dataclass(frozen=True, slots=True)
class RouteEtas:
    route: Route
    computed_at: datetime
    delay_factor: float
    origin: Origin
    stops: list[StopEta]
    progress: dict[int, StopProgress]


def route_etas(
    session: Session,
    route_id: int,
    *,
    as_courier: int | None,
    now: datetime,
    settings: TrackingSettings,
) -> RouteEtas:
    """An ETA for every remaining stop of a departed route (none once it is done).

    A courier (`as_courier`) sees only their own routes. Raises RouteNotFound,
    RouteNotUnderWay.
    """
    route = dispatch_routes.get_route(session, route_id, as_courier=as_courier)
    if route.status is RouteStatus.PLANNED or route.departed_at is None:
        raise RouteNotUnderWay(
            f"route {route_id} has not departed; ETAs start with the departure",
            route_id=route_id,
            route_status=route.status.value,
        )
    stops = list(route.stops)
    progress = progress_of(session, [s.id for s in stops])
    # One query for the route's orders (and one per relationship they load eagerly): this runs
    # after every ping batch of a departed route.
    by_id = {
        o.id: o
        for o in session.scalars(
            select(Order)
            .where(Order.id.in_([s.order_id for s in stops]))
            # ETAs need the windows only.
            .options(lazyload(Order.parcels), lazyload(Order.lines))
        )
    }
    orders = {s.id: by_id[s.order_id] for s in stops}
    factor = eta.delay_factor(
        _samples(route, stops, progress),
        min_factor=settings.min_delay_factor,
        max_factor=settings.max_delay_factor,
    )
    remaining = [s for s in stops if not is_done(progress[s.id].state)]
    if not remaining:
        return RouteEtas(route, now, factor, Origin.STOP, [], progress)
    origin, origin_at, (lat, lng) = courier_origin(session, route, stops, progress)
    if progress[remaining[0].id].state is StopState.ARRIVED:
        origin = Origin.AT_STOP
    lats = [lat] + [orders[s.id].lat for s in remaining]
    lngs = [lng] + [orders[s.id].lng for s in remaining]
    vehicle = session.get(Vehicle, route.vehicle_id)
    assert vehicle is not None  # a foreign key
    profile = problem_builder.SPEED_PROFILES[vehicle.type]
    durations = HaversineProvider().matrix(lats, lngs, profile).duration_s
    travel_s = [int(durations[k, k + 1]) for k in range(len(remaining))]
    projected = eta.project(
        [
            eta.RemainingStop(
                stop_id=s.id,
                service_s=orders[s.id].service_s,
                windows=tuple((w.starts_at, w.ends_at) for w in orders[s.id].windows),
                arrived_at=progress[s.id].arrived_at,
            )
            for s in remaining
        ],
        travel_s,
        start_at=origin_at,
        now=now,
        factor=factor,
        lateness_threshold_s=settings.lateness_threshold_s,
    )
    return RouteEtas(
        route,
        now,
        factor,
        origin,
        [StopEta(s, orders[s.id], e) for s, e in zip(remaining, projected, strict=True)],
        progress,
    )


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    assert order is not None  # a foreign key
    return order


def _samples(
    route: Route, stops: list[Stop], progress: dict[int, StopProgress]
) -> list[eta.Sample]:
    """Planned and actual durations of the legs and services done so far, in route order."""
    samples: list[eta.Sample] = []
    left_at = route.departed_at
    planned_left_at = route.planned_start_at
    for stop in stops:
        done_at = progress[stop.id].done_at
        if done_at is None or left_at is None:
            break
        arrived_at = progress[stop.id].arrived_at
        planned_travel_s = (stop.planned_arrival_at - planned_left_at).total_seconds()
        if arrived_at is not None:
            samples.append(eta.Sample(planned_travel_s, (arrived_at - left_at).total_seconds()))
            planned_service_s = (
                stop.planned_departure_at - stop.planned_service_start_at
            ).total_seconds()
            samples.append(eta.Sample(planned_service_s, (done_at - arrived_at).total_seconds()))
        else:
            samples.append(eta.Sample(planned_travel_s, (done_at - left_at).total_seconds()))
        left_at, planned_left_at = done_at, stop.planned_departure_at
    return samples


def courier_origin(
    session: Session, route: Route, stops: list[Stop], progress: dict[int, StopProgress]
) -> tuple[Origin, datetime, tuple[float, float]]:
    """Where and since when the courier heads for the next stop."""
    assert route.departed_at is not None
    last_done = None
    for stop in stops:
        if is_done(progress[stop.id].state):
            last_done = stop
    latest = pings.latest_position(session, route.courier_id) if route.courier_id else None
    since = route.departed_at
    if last_done is not None:
        done_at = progress[last_done.id].done_at
        assert done_at is not None
        since = max(since, done_at)
    if latest is not None and latest.device_at >= since:
        return Origin.POSITION, latest.device_at, (latest.lat, latest.lng)
    if last_done is not None:
        order = _order(session, last_done.order_id)
        return Origin.STOP, since, (order.lat, order.lng)
    vehicle = session.get(Vehicle, route.vehicle_id)
    depot = session.get(Depot, vehicle.depot_id) if vehicle and vehicle.depot_id else None
    if depot is not None:
        return Origin.DEPOT, since, (depot.lat, depot.lng)
    first = _order(session, stops[0].order_id)
    return Origin.DEPOT, since, (first.lat, first.lng)
