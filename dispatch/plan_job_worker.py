"""Plan jobs on Celery workers (the production profile).

A task runs the one job it names through the runner's own steps (claim with a lease, solve in
a solver process with heartbeats, store in one transaction), so the plan_job row stays the
record of truth. A worker that dies mid-solve leaves a running job whose lease runs out; the
sweep of any live worker queues it again, or fails it with the reason once it used its
attempts. Nothing is stored for a job that did not finish, so the previous plan stays active.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import uuid
from datetime import UTC, datetime

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import plans
from dispatch.plan_job_queue import Enqueue, QueuedJob, enqueue_after_commit
from dispatch.plan_jobs import PlanJobRunner, RunnerConfig, runner_config
from infra import live_events
from infra.db import make_engine, make_session_factory
from infra.live_relay import LiveRelay
from infra.models import JobStatus, PlanJob
from infra.settings import Settings
from infra.structured_logs import request_id_bound
from infra.task_queue import PLAN_JOB_TASK, enqueue_plan_job, make_celery

log = logging.getLogger(__name__)

# The worker's main process as multiprocessing knows it, taken before Celery forks its pool.
_MAIN_PROCESS = multiprocessing.current_process()


class WorkerJobRunner(PlanJobRunner):
    """Runs the job a task names, keeping its solver process warm between tasks."""

    def __init__(self, session_factory: sessionmaker[Session], config: RunnerConfig) -> None:
        super().__init__(session_factory, config)
        # Names the process, so an operator can tell which one holds a job.
        self.owner = f"worker-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._keep_solver = True

    def run_job(self, job_id: int) -> bool:
        """Runs the job if it is queued; False when another worker holds it or it has ended
        (a message delivered twice, or one given back after its worker died)."""
        if self._claim(job_id) is None:
            log.info("plan job %s is not queued; nothing to do", job_id)
            return False
        try:
            self._run(job_id)
        except Exception as exc:
            # Ends the job now rather than when its lease runs out, and counts no attempt.
            self._fail(job_id, f"planning stopped on an unexpected error: {exc!r}")
            raise
        return True


def requeue_expired_jobs(
    session: Session, *, now: datetime, max_attempts: int
) -> tuple[list[int], list[int]]:
    """Running jobs whose lease ran out (their worker died): queued again, or failed with the
    reason once they used `max_attempts`. Returns the ids (queued again, failed)."""
    expired = session.scalars(
        select(PlanJob)
        .where(PlanJob.status == JobStatus.RUNNING, PlanJob.lease_expires_at < now)
        .with_for_update(skip_locked=True)
    )
    requeued, failed = [], []
    for job in expired:
        if job.attempts >= max_attempts:
            job.status = JobStatus.FAILED
            job.error = (
                f"the planning process stopped before finishing in each of its {job.attempts} "
                f"attempts (the last lease expired at {job.lease_expires_at:%Y-%m-%d %H:%M:%S} "
                "UTC); no plan was stored, start it again"
            )
            plans.job_finished(job, now=now)
            failed.append(job.id)
        else:
            job.status = JobStatus.QUEUED
            job.lease_owner = None
            job.lease_expires_at = None
            job.progress_percent = 0
            requeued.append(job.id)
    session.flush()
    return requeued, failed


class JobSweeper:
    """A thread of the worker's main process that queues again the jobs whose worker died.

    On start it also hands every queued job to the queue once: a request that could not reach
    the broker left its job queued in the database only.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        enqueue: Enqueue,
        *,
        max_attempts: int,
        interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._enqueue = enqueue
        self._max_attempts = max_attempts
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="plan-job-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        try:
            self._enqueue_waiting()
        except Exception:
            log.exception("queued plan jobs could not be handed to the queue")
        while not self._stopping.wait(self._interval_s):
            try:
                self.sweep()
            except Exception:
                # The sweep must survive a database or broker hiccup; it tries again shortly.
                log.exception("plan job sweep failed")

    def sweep(self) -> list[int]:
        """Queues again (and enqueues) the jobs whose lease ran out; their ids."""
        with self._sessions() as session, session.begin():
            requeued, failed = requeue_expired_jobs(
                session, now=datetime.now(UTC), max_attempts=self._max_attempts
            )
            limits = self._time_limits(session, requeued)
        if failed:
            log.warning("plan jobs %s failed: their workers died in every attempt", failed)
        for job_id in requeued:
            log.warning("plan job %s lost its worker and is queued again", job_id)
            self._enqueue(QueuedJob(job_id, limits[job_id]))
        return requeued

    def _enqueue_waiting(self) -> None:
        with self._sessions() as session:
            waiting = session.execute(
                select(PlanJob.id, PlanJob.time_limit_s).where(PlanJob.status == JobStatus.QUEUED)
            ).all()
        for job_id, time_limit_s in waiting:
            self._enqueue(QueuedJob(job_id, time_limit_s))

    @staticmethod
    def _time_limits(session: Session, job_ids: list[int]) -> dict[int, int]:
        query = select(PlanJob.id, PlanJob.time_limit_s).where(PlanJob.id.in_(job_ids))
        return dict(session.execute(query).tuples().all())


def queue_plan_jobs_through(sessions: sessionmaker[Session], settings: Settings) -> Celery:
    """Sends each plan job that a commit of `sessions` queued to the Celery workers."""
    app = make_celery(settings)
    enqueue_after_commit(sessions, enqueuer(app, settings))
    return app


def enqueuer(app: Celery, settings: Settings) -> Enqueue:
    def enqueue(job: QueuedJob) -> None:
        enqueue_plan_job(
            app, job.job_id, job.time_limit_s, settings.planning, request_id=job.request_id
        )

    return enqueue


def worker_sessions(settings: Settings, app: Celery) -> sessionmaker[Session]:
    """A worker process's sessions: the jobs and live events they commit are signalled."""
    sessions = make_session_factory(make_engine(settings))
    enqueue_after_commit(sessions, enqueuer(app, settings))
    if settings.redis_url is not None:
        relay = LiveRelay(settings.redis_url, settings.redis_namespace, lambda: None)
        live_events.ring_after_commit(sessions, relay.publish)
    return sessions


def adopt_pool_process() -> None:
    """Lets a Celery pool process start processes of its own (the solver, the parts of a split
    day): as its multiprocessing identity it has Celery's daemonic process object, which may
    have no children and whose key a spawned child cannot receive. Its own children die with
    it all the same (see solver_loop), so it takes a plain main-process identity."""
    multiprocessing.process._current_process = _MAIN_PROCESS  # type: ignore[attr-defined]


def register_plan_job_task(app: Celery, settings: Settings) -> None:
    """The task that runs one plan job; each worker process builds its runner on first use
    (after the fork: database connections and solver processes are not shared). The job's
    lines carry the id of the request that queued it."""
    runners: dict[int, WorkerJobRunner] = {}

    def run_plan_job(job_id: int, request_id: str | None = None) -> bool:
        with request_id_bound(request_id):
            runner = runners.get(os.getpid())
            if runner is None:
                runners.clear()
                runner = WorkerJobRunner(worker_sessions(settings, app), runner_config(settings))
                runners[os.getpid()] = runner
            return runner.run_job(job_id)

    app.task(name=PLAN_JOB_TASK)(run_plan_job)
