"""A courier's pings project their route's ETAs again at most once per interval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra.db import make_session_factory
from infra.settings import TrackingSettings
from tests.conftest import CommittedDatabase
from tests.tracking.routes import DEPOT, START, make_tracked_route, projections_counted
from tracking import refresh_pace
from tracking.pings import PingIn, record_pings
from tracking.plausibility import Limits

NOW = START + timedelta(minutes=5)


def test_a_route_is_due_once_per_interval_and_again_when_the_clock_goes_back():
    pace = refresh_pace.RefreshPace(30)

    assert pace.claim(1, NOW)
    assert not pace.claim(1, NOW + timedelta(seconds=29))
    assert pace.claim(2, NOW + timedelta(seconds=29))  # each route has its own pace
    assert pace.claim(1, NOW + timedelta(seconds=30))
    assert pace.claim(1, NOW - timedelta(hours=1))


def test_the_oldest_routes_are_forgotten_first():
    pace = refresh_pace.RefreshPace(30, max_routes=2)
    for route_id in (1, 2, 3):
        assert pace.claim(route_id, NOW)

    assert pace.claim(1, NOW)  # forgotten, so due
    assert not pace.claim(3, NOW)


@pytest.mark.slow
def test_pings_within_the_interval_project_the_route_once(
    committed_db: CommittedDatabase, monkeypatch: pytest.MonkeyPatch
):
    settings = TrackingSettings()
    with committed_db.sessions() as session, session.begin():
        setup = make_tracked_route(session, stops=3)
    # A factory of its own: the pace is not left on the shared one.
    sessions = make_session_factory(committed_db.engine)
    refresh_pace.install(sessions, refresh_pace.RefreshPace(30))
    projections = projections_counted(monkeypatch)

    def ping(after_s: int) -> None:
        at = NOW + timedelta(seconds=after_s)
        with sessions() as session, session.begin():
            result = record_pings(
                session,
                setup.courier.id,
                [PingIn(device_at=at, lat=DEPOT[0] + 0.0001 * after_s, lng=DEPOT[1])],
                now=at,
                limits=Limits.of(settings),
                eta_settings=settings,
            )
            assert result.accepted == [0]

    ping(0)
    ping(10)
    ping(20)
    assert projections == [setup.route.id]
    ping(30)
    assert projections == [setup.route.id] * 2
