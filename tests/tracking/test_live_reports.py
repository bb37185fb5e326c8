"""Reports from the road and their live events: recorded in the caller's transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from infra.models import LiveEvent
from tests.tracking.routes import DEPOT, START, make_tracked_route
from tracking import pings
from tracking.plausibility import Limits


def test_live_events_roll_back_with_the_report_that_caused_them(session, settings):
    setup = make_tracked_route(session, window_h=(9, 10))
    now = START + timedelta(minutes=70)
    report = session.begin_nested()

    result = pings.record_pings(
        session,
        setup.courier.id,
        [pings.PingIn(now, DEPOT[0] + 0.002, DEPOT[1])],
        now=now,
        limits=Limits.of(settings.tracking),
        eta_settings=settings.tracking,
    )
    recorded = session.scalars(
        select(LiveEvent.kind).where(LiveEvent.route_id == setup.route.id).order_by(LiveEvent.id)
    ).all()
    report.rollback()

    assert recorded == ["position", "late", "late", "late", "etas"]
    assert result.lateness is not None
    assert [s.order_id for s in result.lateness.became_late] == [o.id for o in setup.orders]
    left = session.scalar(
        select(func.count()).select_from(LiveEvent).where(LiveEvent.route_id == setup.route.id)
    )
    assert left == 0


def test_without_eta_settings_only_the_position_is_told(session, settings):
    setup = make_tracked_route(session, window_h=(9, 10))
    now = START + timedelta(minutes=70)

    result = pings.record_pings(
        session,
        setup.courier.id,
        [pings.PingIn(now, DEPOT[0] + 0.002, DEPOT[1])],
        now=now,
        limits=Limits.of(settings.tracking),
    )

    kinds = session.scalars(select(LiveEvent.kind).where(LiveEvent.route_id == setup.route.id))
    assert list(kinds) == ["position"]
    assert result.lateness is None
