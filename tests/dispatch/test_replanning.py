"""A vehicle out of service after planning: a replan job moves its orders onto the others."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import routing
from dispatch import fleet, plans, publishing, replanning
from dispatch.fleet import VehicleChanges
from dispatch.plan_jobs import PlanJobRunner, RunnerConfig
from dispatch.problem_builder import PlanScope, build_problem
from infra.models import (
    JobStatus,
    Order,
    OrderStatus,
    PlanJob,
    PlanStatus,
    RouteStatus,
    VehicleStatus,
)
from infra.models.planning import JobKind
from tests.conftest import DEFAULT_NOW
from tests.dispatch.plan_days import seed_small_day

ZONE = ZoneInfo("Europe/Berlin")


def run_job(committed_db, job_id: int, day: date) -> PlanJob:
    # The runner's clock: early on the planned day, before any shift starts.
    early = datetime.combine(day, time(7), tzinfo=ZONE)
    runner = PlanJobRunner(committed_db.sessions, RunnerConfig(zone=ZONE), now=lambda: early)
    assert runner.run_next() == job_id
    with committed_db.sessions() as session:
        return plans.get_job(session, job_id)


def published_plan(committed_db, small) -> int:
    with committed_db.sessions() as session, session.begin():
        job = plans.request_plan(
            session,
            service_date=small.day,
            depot_id=small.depot_id,
            requested_by_id=None,
            time_limit_s=1,
        )
        job_id = job.id
    job = run_job(committed_db, job_id, small.day)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.plan_id is not None
    with committed_db.sessions() as session, session.begin():
        publishing.publish_plan(session, job.plan_id, now=DEFAULT_NOW)
    return job.plan_id


@pytest.mark.slow
def test_a_vehicle_out_of_service_is_replanned_onto_the_others_keeping_them_valid(committed_db):
    small = seed_small_day(committed_db.sessions, orders=12, vehicles=3)
    base_id = published_plan(committed_db, small)
    with committed_db.sessions() as session, session.begin():
        base = plans.get_plan(session, base_id)
        busiest = max(base.routes, key=lambda r: len(r.stops))
        broken_id, its_orders = busiest.vehicle_id, [s.order_id for s in busiest.stops]
        departed = next((r for r in base.routes if r.vehicle_id != broken_id), None)
        departed_stops: list[int] = []
        if departed is not None:
            # A route already on the road is not touched by the replan.
            departed.status = RouteStatus.DEPARTED
            departed.departed_at = DEFAULT_NOW
            departed_stops = [s.order_id for s in departed.stops]
            for order in session.scalars(select(Order).where(Order.id.in_(departed_stops))):
                order.status = OrderStatus.OUT_FOR_DELIVERY
        fleet.change_vehicle(
            session, broken_id, VehicleChanges(status=VehicleStatus.OUT_OF_SERVICE)
        )
        [job] = replanning.queue_replans(
            session,
            broken_id,
            day=small.day,
            reason="brakes",
            requested_by_id=None,
            time_limit_s=1,
        )
        assert job.kind is JobKind.REPLAN
        job_id = job.id
        again = replanning.queue_replans(
            session, broken_id, day=small.day, reason="brakes", requested_by_id=None, time_limit_s=1
        )
        assert again == []

    job = run_job(committed_db, job_id, small.day)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.outcome is not None
    assert job.plan_id is not None
    assert job.outcome.startswith(f"{len(its_orders)} of {len(its_orders)}") or "\n" in job.outcome
    with committed_db.sessions() as session:
        base = plans.get_plan(session, base_id)
        plan = plans.get_plan(session, job.plan_id)
        assert base.status is PlanStatus.SUPERSEDED
        assert plan.status is PlanStatus.PUBLISHED
        assert broken_id not in {r.vehicle_id for r in plan.routes}
        routed = {s.order_id for r in plan.routes for s in r.stops}
        unserved = {u.order_id: u for u in plan.unserved}
        for order_id in its_orders:
            assert order_id in routed or unserved[order_id].reason_text
        copied = [r for r in plan.routes if r.status is RouteStatus.DEPARTED]
        # A route on the road keeps what it has on board.
        assert [sorted(s.order_id for s in r.stops) for r in copied] == (
            [sorted(departed_stops)] if departed is not None else []
        )
        planned = [r for r in plan.routes if r.status is RouteStatus.PLANNED]
        built = build_problem(
            session,
            PlanScope(small.day, small.depot_id),
            zone=ZONE,
            order_ids=[s.order_id for r in planned for s in r.stops] + list(unserved),
            vehicle_ids=[r.vehicle_id for r in planned],
        )
        timed = routing.evaluate(
            built.problem,
            {
                built.solver_vehicle_id(r.vehicle_id): [built.visit_id(s.order_id) for s in r.stops]
                for r in planned
            },
        )
        assert routing.validate(built.problem, timed) == []


def test_a_vehicle_in_service_or_without_a_route_queues_no_replan(committed_db):
    small = seed_small_day(committed_db.sessions, orders=2, vehicles=1)
    with committed_db.sessions() as session, session.begin():
        queued = replanning.queue_replans(
            session,
            small.vehicle_ids[0],
            day=small.day,
            reason="none",
            requested_by_id=None,
            time_limit_s=1,
        )
        assert queued == []
        fleet.change_vehicle(
            session, small.vehicle_ids[0], VehicleChanges(status=VehicleStatus.OUT_OF_SERVICE)
        )
        assert (
            replanning.queue_replans(
                session,
                small.vehicle_ids[0],
                day=small.day,
                reason="none",
                requested_by_id=None,
                time_limit_s=1,
            )
            == []
        )
