"""The tracking page's ETAs kept per route for a few seconds, forgotten when the route moves."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from customers import tracking_view
from infra.db import make_session_factory, read_only_session
from infra.models import StopEventKind
from infra.settings import TrackingSettings
from tests.conftest import CommittedDatabase
from tests.tracking.routes import (
    DEPOT,
    START,
    RouteSetup,
    make_tracked_route,
    projections_counted,
)
from tracking import etas, public_etas
from tracking.pings import PingIn, record_pings
from tracking.plausibility import Limits
from tracking.stop_events import StopReport, record_stop_event

NOW = START + timedelta(minutes=5)
# The app's slices last the ETA refresh interval.
SLICE_S = TrackingSettings().eta_refresh_s
AT_NINE = public_etas.StopEta(START, False)


def test_a_projection_is_kept_for_the_rest_of_its_slice_of_the_clock():
    cache = public_etas.PublicEtas(slice_s=5)
    at = START + timedelta(seconds=1)
    cache.put(7, at, {1: AT_NINE}, version=cache.version(7))
    kept_until = _end_of_slice(cache, 7, at)

    assert timedelta(0) < kept_until - at <= timedelta(seconds=5)
    assert cache.get(7, kept_until - timedelta(seconds=0.1)) == {1: AT_NINE}
    assert cache.get(7, kept_until) is None  # the next slice
    assert cache.get(8, at) is None


def test_the_routes_slices_end_at_instants_of_their_own():
    # Were they to end together, every route would be projected again at once.
    cache = public_etas.PublicEtas(slice_s=5)
    ends = set()
    for route_id in range(1, 11):
        cache.put(route_id, START, {1: AT_NINE}, version=0)
        ends.add(_end_of_slice(cache, route_id, START))

    assert len(ends) == 10


def _end_of_slice(cache: public_etas.PublicEtas, route_id: int, at: datetime) -> datetime:
    """The first tenth of a second from `at` at which the route's projection is gone."""
    step = timedelta(seconds=0.1)
    while cache.get(route_id, at) is not None:
        at += step
    return at


def test_a_forgotten_route_is_projected_again_and_a_projection_older_than_a_forget_not_kept():
    cache = public_etas.PublicEtas(slice_s=SLICE_S)
    cache.put(7, NOW, {1: AT_NINE}, version=cache.version(7))
    read_before = cache.version(7)
    cache.forget([7])

    assert cache.get(7, NOW) is None
    cache.put(7, NOW, {1: AT_NINE}, version=read_before)
    assert cache.get(7, NOW) is None
    cache.put(7, NOW, {1: AT_NINE}, version=cache.version(7))
    assert cache.get(7, NOW) == {1: AT_NINE}


def test_the_least_recently_used_route_goes_first():
    cache = public_etas.PublicEtas(slice_s=SLICE_S, max_routes=2)
    for route_id in (1, 2):
        cache.put(route_id, NOW, {route_id: AT_NINE}, version=0)
    assert cache.get(1, NOW) is not None
    cache.put(3, NOW, {3: AT_NINE}, version=0)

    assert cache.get(2, NOW) is None
    assert cache.get(1, NOW) is not None
    assert cache.get(3, NOW) is not None


@pytest.mark.slow
def test_customers_of_a_route_share_its_projection_until_a_stop_is_done(
    committed_db: CommittedDatabase, monkeypatch: pytest.MonkeyPatch
):
    settings = TrackingSettings()
    setup, codes, sessions = tracked_route_with_cache(committed_db)
    projections = projections_counted(monkeypatch)

    def views(at: datetime = NOW) -> list[tracking_view.TrackingView]:
        with sessions() as session, session.begin():
            return [
                tracking_view.tracking_view(session, c, now=at, settings=settings) for c in codes
            ]

    first = views()
    again = views()
    assert projections == [setup.route.id]
    assert [v.eta_from for v in again] == [v.eta_from for v in first]
    assert all(v.eta_from is not None for v in first)

    with sessions() as session, session.begin():
        ping = PingIn(device_at=NOW, lat=DEPOT[0] + 0.005, lng=DEPOT[1])
        record_pings(
            session,
            setup.courier.id,
            [ping],
            now=NOW,
            limits=Limits.of(settings),
            eta_settings=settings,
        )
    projections.clear()
    views()
    # The courier's movement waits for the slice to end ...
    assert projections == []
    views(NOW + timedelta(seconds=SLICE_S))
    assert projections == [setup.route.id]

    with sessions() as session, session.begin():
        record_stop_event(
            session,
            setup.courier.id,
            setup.stops[0].id,
            StopReport("arrived-1", StopEventKind.ARRIVED, occurred_at=NOW),
            now=NOW,
            eta_settings=settings,
        )
    projections.clear()
    after_stop = views()
    # ... a stop's progress does not: the next reader projects again.
    assert projections == [setup.route.id]
    assert after_stop[1].eta_from is not None


def tracked_route_with_cache(
    committed_db: CommittedDatabase,
) -> tuple[RouteSetup, list[str], sessionmaker[Session]]:
    """A departed route of 3 stops, its orders' codes, and sessions that keep projections
    (of a factory of their own: the cache's commit hook is not left on the shared one)."""
    with committed_db.sessions() as session, session.begin():
        setup = make_tracked_route(session, stops=3)
    sessions = make_session_factory(committed_db.engine)
    public_etas.install(sessions, public_etas.PublicEtas(slice_s=SLICE_S))
    return setup, [o.tracking_code for o in setup.orders], sessions


@pytest.mark.slow
def test_readers_missing_a_projection_at_once_wait_for_one_projection(
    committed_db: CommittedDatabase, monkeypatch: pytest.MonkeyPatch
):
    settings = TrackingSettings()
    setup, codes, sessions = tracked_route_with_cache(committed_db)
    projections = projections_counted(monkeypatch)
    counted = etas.route_etas

    def slow(session: Session, route_id: int, **kwargs: Any) -> etas.RouteEtas:
        # Long enough that every reader misses the projection while it is being made.
        time.sleep(0.3)
        return counted(session, route_id, **kwargs)

    monkeypatch.setattr(etas, "route_etas", slow)
    start = threading.Barrier(len(codes))

    def read(code: str) -> datetime | None:
        # Read-only: on SQLite, sessions that may write take turns for the whole transaction.
        with read_only_session(sessions) as session:
            start.wait(10)
            view = tracking_view.tracking_view(session, code, now=NOW, settings=settings)
            return view.eta_from

    with ThreadPoolExecutor(len(codes)) as pool:
        windows = list(pool.map(read, codes))

    assert projections == [setup.route.id]
    assert all(window is not None for window in windows)
