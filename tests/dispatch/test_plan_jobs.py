"""The plan job runner on a committed database: solve, progress, kill, lease expiry."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import routing
from dispatch import plans
from dispatch.plan_jobs import PlanJobRunner, RunnerConfig, fail_expired_jobs
from dispatch.problem_builder import (
    PlanScope,
    VehicleOverride,
    build_problem,
    solver_vehicle_id,
    visit_id,
)
from infra.models import JobStatus, Plan, PlanJob, Route, Stop
from tests.dispatch.plan_days import progress_while, queue_plan_job, seed_small_day

ZONE = ZoneInfo("Europe/Berlin")


def make_runner(committed_db, **config) -> PlanJobRunner:
    return PlanJobRunner(committed_db.sessions, RunnerConfig(zone=ZONE, **config))


def queue_job(committed_db, small, *, time_limit_s: int = 2) -> int:
    return queue_plan_job(committed_db.sessions, small, time_limit_s=time_limit_s)


def job_row(committed_db, job_id: int) -> PlanJob:
    with committed_db.sessions() as session:
        return plans.get_job(session, job_id)


def test_the_builder_turns_the_day_into_a_problem_in_local_seconds(committed_db):
    small = seed_small_day(committed_db.sessions, orders=4)

    with committed_db.sessions() as session:
        built = build_problem(session, PlanScope(small.day, small.depot_id), zone=ZONE)

    problem = built.problem
    assert len(problem.visits) == 4
    assert problem.dimensions == ("weight_g", "volume_cm3", "parcels")
    assert problem.visits[0].windows == (routing.TimeWindow(9 * 3600, 13 * 3600),)
    assert problem.visits[0].demand == (2000, 5000, 1)
    assert {v.shift for v in problem.vehicles} == {routing.TimeWindow(8 * 3600, 18 * 3600)}
    assert built.clock.instant(9 * 3600) == datetime.combine(
        small.day, datetime.min.time(), tzinfo=ZONE
    ) + timedelta(hours=9)


@pytest.mark.slow
def test_a_plan_job_solves_the_day_and_stores_a_valid_plan(committed_db):
    small = seed_small_day(committed_db.sessions, orders=10)
    job_id = queue_job(committed_db, small)
    runner = make_runner(committed_db)
    seen = progress_while(committed_db.sessions, job_id, runner.run_next)

    job = job_row(committed_db, job_id)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.progress_percent == 100
    assert any(0 < p < 100 for p in seen), seen
    assert job.plan_id is not None
    with committed_db.sessions() as session:
        plan = plans.get_plan(session, job.plan_id)
        routed = [s.order_id for r in plan.routes for s in r.stops]
        unserved = [u.order_id for u in plan.unserved]
        assert sorted(routed + unserved) == sorted(small.order_ids)
        assert plan.orders_planned == len(routed) > 0
        for route in plan.routes:
            times = [s.planned_arrival_at for s in route.stops]
            assert times == sorted(times)
            assert route.planned_start_at <= times[0]


@pytest.mark.slow
def test_a_killed_solve_fails_the_job_and_keeps_the_previous_plan(committed_db):
    small = seed_small_day(committed_db.sessions, orders=10)
    first = queue_job(committed_db, small)
    runner = make_runner(committed_db)
    runner.run_next()
    previous_plan = job_row(committed_db, first).plan_id
    assert previous_plan is not None
    with committed_db.sessions() as session:
        plans_before = session.scalar(select(func.count()).select_from(Plan))
        stops_before = session.scalar(select(func.count()).select_from(Stop))

    second = queue_job(committed_db, small, time_limit_s=60)
    thread = threading.Thread(target=runner.run_next)
    thread.start()
    deadline = time.monotonic() + 30
    while runner.solve_pid is None and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = runner.solve_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    thread.join(30)

    job = job_row(committed_db, second)
    assert job.status is JobStatus.FAILED
    assert "ended without a plan" in (job.error or "")
    assert job.plan_id is None
    with committed_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == plans_before
        assert session.scalar(select(func.count()).select_from(Stop)) == stops_before
        assert plans.get_plan(session, previous_plan).routes


@pytest.mark.slow
def test_a_solve_past_its_hard_timeout_is_killed(committed_db):
    small = seed_small_day(committed_db.sessions, orders=6)
    # The deadline falls 0.2 s after the start: before the solve process has even started up.
    job_id = queue_job(committed_db, small, time_limit_s=30)
    runner = make_runner(committed_db, timeout_margin_s=-29.8)

    runner.run_next()

    job = job_row(committed_db, job_id)
    assert job.status is JobStatus.FAILED
    assert "did not finish within its time limit" in (job.error or "")


def test_a_running_job_whose_lease_expired_is_failed_on_startup(committed_db):
    small = seed_small_day(committed_db.sessions, orders=1)
    job_id = queue_job(committed_db, small)
    past = datetime.now(UTC) - timedelta(minutes=5)
    with committed_db.sessions() as session, session.begin():
        job = plans.get_job(session, job_id)
        job.status = JobStatus.RUNNING
        job.lease_owner = "a-runner-that-crashed"
        job.lease_expires_at = past
    runner = make_runner(committed_db)

    runner.start()
    runner.stop()

    job = job_row(committed_db, job_id)
    assert job.status is JobStatus.FAILED
    assert "lease expired" in (job.error or "")
    assert job.plan_id is None


def test_a_job_with_a_live_lease_is_left_alone(committed_db):
    small = seed_small_day(committed_db.sessions, orders=1)
    job_id = queue_job(committed_db, small)
    with committed_db.sessions() as session, session.begin():
        job = plans.get_job(session, job_id)
        job.status = JobStatus.RUNNING
        job.lease_owner = "a-busy-runner"
        job.lease_expires_at = datetime.now(UTC) + timedelta(minutes=5)

    with committed_db.sessions() as session, session.begin():
        assert job_id not in fail_expired_jobs(session, now=datetime.now(UTC))

    assert job_row(committed_db, job_id).status is JobStatus.RUNNING


def test_a_day_without_orders_fails_the_job_with_a_reason(committed_db):
    small = seed_small_day(committed_db.sessions, orders=0)
    job_id = queue_job(committed_db, small)

    make_runner(committed_db).run_next()

    job = job_row(committed_db, job_id)
    assert job.status is JobStatus.FAILED
    assert "no order is plannable" in (job.error or "")
    with committed_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Route)) is not None


def test_replanning_overrides_start_position_ready_time_loaded_and_fixed_orders(committed_db):
    small = seed_small_day(committed_db.sessions, orders=3)
    van = small.vehicle_ids[0]
    ready = datetime.combine(small.day, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=11)
    override = VehicleOverride(
        start_lat=52.53,
        start_lng=13.41,
        ready_at=ready,
        loaded_order_ids=frozenset({small.order_ids[0]}),
        fixed_order_ids=(small.order_ids[1],),
        can_load_at_start=False,
    )

    with committed_db.sessions() as session:
        built = build_problem(
            session, PlanScope(small.day, small.depot_id), zone=ZONE, overrides={van: override}
        )

    vehicle = built.problem.vehicle(solver_vehicle_id(van))
    assert vehicle.ready_at_s == 11 * 3600
    assert vehicle.start_location == len(built.problem.location_names) - 1
    assert vehicle.end_location == 0
    assert vehicle.fixed_prefix == (visit_id(small.order_ids[1]),)
    assert vehicle.can_load_at_start is False
    assert built.problem.visit(visit_id(small.order_ids[0])).loaded_on == vehicle.id
