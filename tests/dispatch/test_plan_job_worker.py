"""Plan jobs on real Celery workers (`sameday worker` processes) with PostgreSQL and Redis:
solved once queued, taken over when a worker dies mid-solve, failed after their attempts."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks import process_cpu
from cli.worker_command import SOLVER_NICE
from dispatch import plans, publishing
from dispatch.plan_job_worker import queue_plan_jobs_through
from infra import metrics
from infra.db import make_session_factory
from infra.models import JobStatus, Plan, PlanJob, PlanStatus
from infra.settings import PlanningSettings
from tests.celery_workers import Workers
from tests.conftest import CommittedDatabase, postgres_url
from tests.dispatch.plan_days import SmallDay, queue_plan_job, seed_small_day
from tests.redis_service import REDIS_URL, fresh_namespace, requires_redis

pytestmark = [
    pytest.mark.production,
    pytest.mark.slow,
    requires_redis,
    pytest.mark.skipif(postgres_url() is None, reason="the production profile runs on PostgreSQL"),
]

LEASE_S = 5
MAX_ATTEMPTS = 2


class Profile:
    """The API side of one test (its sessions queue jobs through Redis) and its workers."""

    def __init__(self, db: CommittedDatabase, logs: Path) -> None:
        settings = db.settings.model_copy(
            update={
                "redis_url": REDIS_URL,
                "redis_namespace": fresh_namespace(),
                "planning": PlanningSettings(
                    executor="celery",
                    run_jobs_in_process=False,
                    job_lease_s=LEASE_S,
                    job_max_attempts=MAX_ATTEMPTS,
                ),
            }
        )
        self.sessions: sessionmaker[Session] = make_session_factory(db.engine)
        queue_plan_jobs_through(self.sessions, settings)
        self.workers = Workers(settings, logs)

    def queue(self, small: SmallDay, *, time_limit_s: int) -> int:
        return queue_plan_job(self.sessions, small, time_limit_s=time_limit_s)

    def job(self, job_id: int) -> PlanJob:
        with self.sessions() as session:
            return plans.get_job(session, job_id)

    def wait_for(self, job_id: int, done: Callable[[PlanJob], bool], timeout_s: float) -> PlanJob:
        deadline = time.monotonic() + timeout_s
        while not done(job := self.job(job_id)):
            assert time.monotonic() < deadline, (
                f"job {job_id} stayed {job.status}: {self.workers.logs()}"
            )
            time.sleep(0.1)
        return job


@pytest.fixture
def profile(committed_db, tmp_path) -> Iterator[Profile]:
    profile = Profile(committed_db, tmp_path)
    yield profile
    profile.workers.stop()


def solving(attempt: int) -> Callable[[PlanJob], bool]:
    """The job's `attempt` is past its start and into the search."""
    return lambda job: (
        job.status is JobStatus.RUNNING and job.attempts == attempt and job.progress_percent > 0
    )


def niceness_of_session(session_id: int) -> dict[int, int]:
    """Process id -> nice value of every process in the session."""
    return {p.pid: p.nice for p in process_cpu.processes() if p.session == session_id}


def finished(job: PlanJob) -> bool:
    return job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


def plans_stored(profile: Profile) -> int:
    with profile.sessions() as session:
        return session.scalar(select(func.count()).select_from(Plan)) or 0


def test_a_job_queued_by_a_commit_is_solved_by_a_worker(committed_db, profile):
    small = seed_small_day(committed_db.sessions, orders=6)
    profile.workers.start()

    job = profile.wait_for(profile.queue(small, time_limit_s=1), finished, timeout_s=90)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.attempts == 1
    assert job.lease_owner is None
    with profile.sessions() as session:
        plan = plans.get_plan(session, job.plan_id or 0)
        routed = sorted(s.order_id for r in plan.routes for s in r.stops)
        unserved = sorted(u.order_id for u in plan.unserved)
    assert sorted(routed + unserved) == sorted(small.order_ids)


def test_a_worker_killed_mid_solve_leaves_its_job_to_another_worker(committed_db, profile):
    small = seed_small_day(committed_db.sessions, orders=6)
    first = profile.workers.start()
    job_id = profile.queue(small, time_limit_s=4)
    profile.wait_for(job_id, solving(1), timeout_s=90)
    # The worker's own process keeps its priority; the processes that solve give way.
    niceness = niceness_of_session(first.pid)
    started_at = os.nice(0)  # the tests' own, which the worker inherited
    assert niceness[first.pid] == started_at
    assert set(niceness.values()) == {started_at, min(started_at + SOLVER_NICE, 19)}

    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    assert profile.job(job_id).status is JobStatus.RUNNING
    profile.workers.start()
    job = profile.wait_for(job_id, finished, timeout_s=90)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2
    assert job.plan_id is not None


def test_a_job_whose_worker_keeps_dying_fails_after_its_attempts_and_the_plan_stays(
    committed_db, profile
):
    small = seed_small_day(committed_db.sessions, orders=6)
    profile.workers.start()
    first = profile.wait_for(profile.queue(small, time_limit_s=1), finished, timeout_s=90)
    assert first.plan_id is not None
    with profile.sessions() as session, session.begin():
        publishing.publish_plan(session, first.plan_id, now=datetime.now(UTC))
    stored = plans_stored(profile)

    job_id = profile.queue(small, time_limit_s=30)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        running = profile.wait_for(job_id, solving(attempt), timeout_s=90)
        # The pool process that holds the lease; the worker gives it a successor.
        owner = re.fullmatch(r"worker-.+-(\d+)-[0-9a-f]+", running.lease_owner or "")
        assert owner is not None, running.lease_owner
        os.kill(int(owner.group(1)), signal.SIGKILL)
    job = profile.wait_for(job_id, finished, timeout_s=90)

    assert job.status is JobStatus.FAILED
    assert f"each of its {MAX_ATTEMPTS} attempts" in (job.error or "")
    assert job.plan_id is None
    assert plans_stored(profile) == stored
    with profile.sessions() as session:
        assert plans.get_plan(session, first.plan_id).status is PlanStatus.PUBLISHED


def test_a_workers_solve_reaches_the_api_metrics_through_the_shared_directory(
    committed_db, profile, tmp_path, monkeypatch
):
    shared = tmp_path / "metrics"
    shared.mkdir()
    # The workers inherit it; the scrape below reads the directory as an API process would.
    monkeypatch.setenv(metrics.MULTIPROC_DIR_VARIABLE, str(shared))
    small = seed_small_day(committed_db.sessions, orders=6)
    profile.workers.start()

    job = profile.wait_for(profile.queue(small, time_limit_s=1), finished, timeout_s=90)

    assert job.status is JobStatus.SUCCEEDED, job.error
    scraped = {
        (sample.name, tuple(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(metrics.exposition(profile.sessions).decode())
        for sample in family.samples
    }
    assert scraped[("plan_solve_seconds_count", (("kind", "plan"),))] == 1
    assert scraped[("plan_solve_seconds_sum", (("kind", "plan"),))] > 0
    with profile.sessions() as session:
        unserved = len(plans.get_plan(session, job.plan_id or 0).unserved)
    assert scraped[("plan_unserved_orders", (("kind", "plan"),))] == unserved
    assert scraped[("plan_jobs_queued", (("kind", "plan"),))] == 0
