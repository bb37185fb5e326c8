"""Replanning a day under way: from where couriers are, loaded parcels kept, done stops fixed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dispatch import fleet, plans, publishing, replanning
from dispatch.errors import ReplanNotDecidable
from dispatch.fleet import VehicleChanges
from dispatch.plan_jobs import PlanJobRunner, RunnerConfig
from infra.models import (
    JobStatus,
    LiveEvent,
    NotificationOutbox,
    Order,
    OrderStatus,
    PlanJob,
    PlanStatus,
    ReplanDecision,
    ReplanTrigger,
    Route,
    RouteStatus,
    StopEventKind,
    VehicleStatus,
)
from infra.settings import ReplanSettings
from tests.dispatch.plan_days import SmallDay, seed_small_day
from tracking import notifications, pings, stop_events
from tracking.plausibility import Limits
from tracking.stop_events import StopReport, progress_of
from tracking.stop_states import StopState

pytestmark = pytest.mark.slow

ZONE = ZoneInfo("Europe/Berlin")
LIMITS = Limits(max_speed_m_s=50, max_future_skew_s=120)


def at(day: SmallDay, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.day, time(hour, minute), tzinfo=ZONE)


def run_job(committed_db, job_id: int, now: datetime, **settings: object) -> PlanJob:
    config = RunnerConfig(zone=ZONE, replanning=ReplanSettings.model_validate(settings))
    runner = PlanJobRunner(committed_db.sessions, config, now=lambda: now)
    assert runner.run_next() == job_id
    with committed_db.sessions() as session:
        job = plans.get_job(session, job_id)
    assert job.status is JobStatus.SUCCEEDED, job.error
    return job


@dataclass
class LiveDay:
    day: SmallDay
    plan_id: int
    # The route under way, its courier, and its stop ids in order.
    departed_route_id: int
    departed_vehicle_id: int
    courier_id: int
    stop_ids: list[int]
    order_ids: list[int]
    # A route still at the depot.
    waiting_vehicle_id: int
    waiting_order_ids: list[int]


def live_day(committed_db) -> LiveDay:
    """Four vans of five parcels, twelve orders: a published plan of three routes or more; one
    route departed at 09:00, its first stop delivered, the courier at the second stop."""
    day = seed_small_day(
        committed_db.sessions,
        orders=12,
        vehicles=4,
        vehicle_overrides={"max_parcels": 5},
        order_overrides={"recipient_email": "customer@example.org"},
    )
    with committed_db.sessions() as session, session.begin():
        job_id = plans.request_plan(
            session,
            service_date=day.day,
            depot_id=day.depot_id,
            requested_by_id=None,
            time_limit_s=1,
        ).id
    job = PlanJobRunner(
        committed_db.sessions, RunnerConfig(zone=ZONE), now=lambda: at(day, 7)
    ).run_next()
    assert job == job_id
    with committed_db.sessions() as session, session.begin():
        plan_id = plans.get_job(session, job_id).plan_id
        assert plan_id is not None
        plan = publishing.publish_plan(session, plan_id, now=at(day, 7))
        routes = sorted(plan.routes, key=lambda r: -len(r.stops))
        assert len(routes) >= 3, "the vans' capacity should need three routes"
        moving, waiting = routes[0], routes[1]
        assert moving.courier_id is not None
        moving.status = RouteStatus.DEPARTED
        moving.departed_at = at(day, 9)
        for order in session.scalars(
            select(Order).where(Order.id.in_([s.order_id for s in moving.stops]))
        ):
            order.status = OrderStatus.OUT_FOR_DELIVERY
        result = LiveDay(
            day,
            plan_id,
            moving.id,
            moving.vehicle_id,
            moving.courier_id,
            [s.id for s in moving.stops],
            [s.order_id for s in moving.stops],
            waiting.vehicle_id,
            [s.order_id for s in waiting.stops],
        )
    with committed_db.sessions() as session, session.begin():
        first, second = result.stop_ids[:2]
        for stop_id, kind, minute in [
            (first, StopEventKind.ARRIVED, 10),
            (first, StopEventKind.DELIVERED, 15),
            (second, StopEventKind.ARRIVED, 25),
        ]:
            report = StopReport(
                client_event_id=f"{stop_id}-{kind.value}",
                kind=kind,
                occurred_at=at(day, 9, minute),
                recipient_name="Ada" if kind is StopEventKind.DELIVERED else None,
            )
            stop_events.record_stop_event(
                session, result.courier_id, stop_id, report, now=at(day, 9, minute)
            )
        second_order = session.get(Order, result.order_ids[1])
        assert second_order is not None
        pings.record_pings(
            session,
            result.courier_id,
            [pings.PingIn(at(day, 9, 24), second_order.lat, second_order.lng)],
            now=at(day, 9, 24),
            limits=LIMITS,
        )
    return result


def queue_manual_replan(committed_db, plan_id: int, reason: str) -> int:
    """A dispatcher's replan of the plan, committed; its job id."""
    with committed_db.sessions() as session, session.begin():
        job = replanning.queue_replan(
            session,
            plans.get_plan(session, plan_id),
            trigger=ReplanTrigger.MANUAL,
            reason=reason,
            requested_by_id=None,
            time_limit_s=1,
        )
        assert job is not None
        return job.id


def new_route(session, plan_id: int, vehicle_id: int) -> Route:
    plan = plans.get_plan(session, plan_id)
    return next(r for r in plan.routes if r.vehicle_id == vehicle_id)


def test_a_vehicle_out_mid_morning_moves_its_stops_and_keeps_the_road_as_it_is(committed_db):
    live = live_day(committed_db)
    with committed_db.sessions() as session, session.begin():
        fleet.change_vehicle(
            session, live.waiting_vehicle_id, VehicleChanges(status=VehicleStatus.OUT_OF_SERVICE)
        )
        [job] = replanning.queue_replans(
            session,
            live.waiting_vehicle_id,
            day=live.day.day,
            reason="flat tyre",
            requested_by_id=None,
            time_limit_s=1,
        )
        job_id = job.id

    job = run_job(committed_db, job_id, at(live.day, 9, 30))

    assert job.decision is ReplanDecision.APPLIED
    assert job.plan_id is not None
    assert job.diff is not None
    assert job.diff["summary"].startswith(f"{len(live.waiting_order_ids)} stops moved")
    with committed_db.sessions() as session:
        base = plans.get_plan(session, live.plan_id)
        plan = plans.get_plan(session, job.plan_id)
        assert base.status is PlanStatus.SUPERSEDED
        assert plan.status is PlanStatus.PUBLISHED
        assert plan.base_plan_id == base.id
        assert live.waiting_vehicle_id not in {r.vehicle_id for r in plan.routes}
        routed = {s.order_id for r in plan.routes for s in r.stops}
        reasons = {u.order_id: u.reason_text for u in plan.unserved}
        for order_id in live.waiting_order_ids:
            assert order_id in routed or reasons[order_id]

        # The route under way: the done stop first, the stop being served next, then the rest
        # of what is on board, all still on this vehicle and none before now.
        route = new_route(session, plan.id, live.departed_vehicle_id)
        assert route.status is RouteStatus.DEPARTED
        assert route.departed_at == at(live.day, 9)
        orders = [s.order_id for s in route.stops]
        assert orders[:2] == live.order_ids[:2]
        assert sorted(orders) == sorted(live.order_ids)
        assert [s.origin_stop_id for s in route.stops[:2]] == live.stop_ids[:2]
        assert all(s.planned_service_start_at >= at(live.day, 9, 30) for s in route.stops[2:])
        states = progress_of(session, [s.id for s in route.stops])
        assert [states[s.id].state for s in route.stops[:3]] == [
            StopState.DELIVERED,
            StopState.ARRIVED,
            StopState.PENDING,
        ]


def test_an_evening_replan_finishes_what_is_on_board_after_the_shifts_end(committed_db):
    # 19:30: every shift (08:00-18:00) is over and every window is past its allowed lateness,
    # the courier still at the stop reached at 09:25 with the rest of the parcels on board.
    live = live_day(committed_db)
    job_id = queue_manual_replan(committed_db, live.plan_id, "evening")

    done = run_job(committed_db, job_id, at(live.day, 19, 30), max_lateness_s=3600)

    with committed_db.sessions() as session:
        plan = plans.get_plan(session, done.plan_id or 0)
        route = new_route(session, plan.id, live.departed_vehicle_id)
        orders = [s.order_id for s in route.stops]
        assert orders[:2] == live.order_ids[:2]
        assert sorted(orders) == sorted(live.order_ids), "what is on board stays on board"
        rest = route.stops[1:]
        assert all(s.planned_service_start_at >= at(live.day, 19, 30) for s in rest)
        assert route.planned_end_at <= at(live.day, 21, 30)
        # The vans at the depot have no shift left: their stops wait for another day.
        assert [r.vehicle_id for r in plan.routes if r.stops] == [live.departed_vehicle_id]
        unserved = {u.order_id for u in plan.unserved}
        assert set(live.waiting_order_ids) <= unserved


def test_an_event_sent_for_a_superseded_stop_lands_on_its_current_row(committed_db):
    live = live_day(committed_db)
    job_id = queue_manual_replan(committed_db, live.plan_id, "check")
    job = run_job(committed_db, job_id, at(live.day, 9, 30))
    with committed_db.sessions() as session, session.begin():
        replanning.accept_replan(session, job_id, by_id=None, now=at(live.day, 9, 31))
    with committed_db.sessions() as session, session.begin():
        # The courier's app still shows the old plan's stop id of the stop being served.
        report = StopReport(
            "late-tap", StopEventKind.DELIVERED, at(live.day, 9, 33), recipient_name="Bo"
        )
        recorded = stop_events.record_stop_event(
            session, live.courier_id, live.stop_ids[1], report, now=at(live.day, 9, 33)
        )
        current = new_route(session, job.plan_id or 0, live.departed_vehicle_id).stops[1]
        assert recorded.event.stop_id == current.id
        assert recorded.state is StopState.DELIVERED
        # The retry with the old id is recognised as the same event.
        again = stop_events.record_stop_event(
            session, live.courier_id, live.stop_ids[1], report, now=at(live.day, 9, 34)
        )
        assert again.replayed


def test_a_proposal_waits_for_the_dispatcher_and_accepting_it_tells_moved_customers(
    committed_db,
):
    live = live_day(committed_db)
    with committed_db.sessions() as session, session.begin():
        base = plans.get_plan(session, live.plan_id)
        job = replanning.queue_replan(
            session,
            base,
            trigger=ReplanTrigger.LATE,
            reason="stop late",
            requested_by_id=None,
            time_limit_s=1,
            now=at(live.day, 9, 30),
            min_interval_s=120,
        )
        assert job is not None
        job_id = job.id
    # Only the first late signal of the interval asks for a replan.
    with committed_db.sessions() as session, session.begin():
        base = plans.get_plan(session, live.plan_id)
        assert (
            replanning.queue_replan(
                session,
                base,
                trigger=ReplanTrigger.LATE,
                reason="stop late",
                requested_by_id=None,
                time_limit_s=1,
                now=at(live.day, 9, 31),
                min_interval_s=120,
            )
            is None
        )

    job = run_job(committed_db, job_id, at(live.day, 9, 30), eta_change_notice_s=60)

    assert job.decision is None
    with committed_db.sessions() as session, session.begin():
        proposal = plans.get_plan(session, job.plan_id or 0)
        assert proposal.status is PlanStatus.DRAFT
        assert plans.get_plan(session, live.plan_id).status is PlanStatus.PUBLISHED
        proposed = session.scalars(
            select(LiveEvent).where(LiveEvent.kind == "replan_proposed")
        ).all()
        assert job_id in [e.payload["job_id"] for e in proposed]
        outbox_before = session.scalar(
            select(NotificationOutbox.id).order_by(NotificationOutbox.id.desc())
        )

        replanning.accept_replan(session, job_id, by_id=None, now=at(live.day, 9, 32))

        assert plans.get_plan(session, proposal.id).status is PlanStatus.PUBLISHED
        assert plans.get_job(session, job_id).decision is ReplanDecision.ACCEPTED
        told = session.scalars(
            select(NotificationOutbox).where(
                NotificationOutbox.id > (outbox_before or 0),
                NotificationOutbox.template_code == notifications.ETA_CHANGED,
            )
        ).all()
        assert job.diff is not None
        assert len(told) == len(job.diff["eta_changes"])
        with pytest.raises(ReplanNotDecidable):
            replanning.accept_replan(session, job_id, by_id=None, now=at(live.day, 9, 33))


def test_a_proposal_overtaken_by_a_departure_is_stale_and_a_rejected_one_is_discarded(
    committed_db,
):
    live = live_day(committed_db)
    job_ids = []
    for _ in range(2):
        job_ids.append(queue_manual_replan(committed_db, live.plan_id, "check"))
        run_job(committed_db, job_ids[-1], at(live.day, 9, 30))
    rejected, overtaken = job_ids

    with committed_db.sessions() as session, session.begin():
        replanning.reject_replan(session, rejected, by_id=None, now=at(live.day, 9, 31))
        job = plans.get_job(session, rejected)
        assert job.decision is ReplanDecision.REJECTED
        assert plans.get_plan(session, job.plan_id or 0).status is PlanStatus.DISCARDED
        # The waiting route leaves the depot before the dispatcher decides on the other one.
        base = plans.get_plan(session, live.plan_id)
        waiting = next(r for r in base.routes if r.vehicle_id == live.waiting_vehicle_id)
        waiting.status = RouteStatus.DEPARTED
        waiting.departed_at = at(live.day, 9, 35)
    with committed_db.sessions() as session:
        with pytest.raises(ReplanNotDecidable) as refused:
            replanning.accept_replan(session, overtaken, by_id=None, now=at(live.day, 9, 40))
        assert refused.value.detail.endswith("ask for a new one")
        session.commit()
    with committed_db.sessions() as session:
        job = plans.get_job(session, overtaken)
        assert job.decision is ReplanDecision.STALE
        assert plans.get_plan(session, job.plan_id or 0).status is PlanStatus.DISCARDED
        assert plans.get_plan(session, live.plan_id).status is PlanStatus.PUBLISHED


def test_goods_on_a_vehicle_that_breaks_down_on_its_route_are_reported_stranded(committed_db):
    live = live_day(committed_db)
    with committed_db.sessions() as session, session.begin():
        fleet.change_vehicle(
            session, live.departed_vehicle_id, VehicleChanges(status=VehicleStatus.OUT_OF_SERVICE)
        )
        [job] = replanning.queue_replans(
            session,
            live.departed_vehicle_id,
            day=live.day.day,
            reason="engine",
            requested_by_id=None,
            time_limit_s=1,
        )
        job_id = job.id

    job = run_job(committed_db, job_id, at(live.day, 9, 30) + timedelta(minutes=5))

    with committed_db.sessions() as session:
        plan = plans.get_plan(session, job.plan_id or 0)
        route = new_route(session, plan.id, live.departed_vehicle_id)
        assert [s.order_id for s in route.stops] == live.order_ids[:1]  # the delivered one
        assert route.status is RouteStatus.DEPARTED
        stranded = {u.order_id for u in plan.unserved if u.reason_code == replanning.STRANDED}
        assert stranded == set(live.order_ids[1:])
