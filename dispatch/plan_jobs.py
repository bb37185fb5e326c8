"""The plan job runner: claims queued jobs, solves each in its own process, stores the plan.

The plan_job row is the record of truth. A runner claims a job with a lease and renews it
with every heartbeat; the solve runs in a spawned process so a stuck search can be killed
(after its time limit plus a margin). Plan rows are written in one transaction at the end,
so a crash leaves a failed job and no half plan; a job whose lease ran out is failed by the
next runner that looks.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import routing
from dispatch import plans, replanning
from dispatch.errors import NothingToPlan
from dispatch.problem_builder import BuiltProblem, PlanScope, build_problem
from infra.models import JobStatus, Plan, PlanJob
from infra.models.planning import JobKind
from infra.settings import ReplanSettings
from tracking import live_replan

log = logging.getLogger(__name__)

# Share of the progress bar the search fills; the rest is checking and storing the plan.
SEARCH_SHARE_PERCENT = 95
HEARTBEAT_S = 0.5


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    zone: ZoneInfo
    timeout_margin_s: float = 60.0
    lease_s: float = 30.0
    poll_s: float = 0.5
    replanning: ReplanSettings = field(default_factory=ReplanSettings)


def solve_in_child(
    problem: routing.Problem,
    time_limit_s: float,
    results: Any,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
    explain_within_s: float | None = None,
) -> None:
    """Entry point of the solve process: sends progress, then the solution or a failure."""
    last = [-1]

    def progress(fraction: float, _cost: float | None) -> None:
        percent = int(fraction * 100)
        if percent > last[0]:
            last[0] = percent
            results.put(("progress", fraction))

    try:
        solution = routing.solve(
            problem,
            time_limit_s=time_limit_s,
            initial_routes=initial_routes,
            progress=progress,
            explain_within_s=explain_within_s,
        )
    except routing.InvalidProblem as exc:
        results.put(("failed", f"the planning problem is malformed: {exc}"))
        return
    results.put(("solution", solution))


def fail_expired_jobs(session: Session, *, now: datetime) -> list[int]:
    """Marks running jobs whose lease ran out as failed; returns their ids."""
    expired = list(
        session.scalars(
            select(PlanJob).where(
                PlanJob.status == JobStatus.RUNNING, PlanJob.lease_expires_at < now
            )
        )
    )
    for job in expired:
        job.status = JobStatus.FAILED
        job.error = (
            f"the planning process stopped before finishing (its lease expired at "
            f"{job.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC); no plan was stored, start it again"
        )
        plans.job_finished(job, now=now)
    session.flush()
    return [job.id for job in expired]


class PlanJobRunner:
    """Runs queued plan jobs one at a time in a background thread."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        config: RunnerConfig,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._factory = session_factory
        self._config = config
        self._now = now or (lambda: datetime.now(UTC))
        self.owner = f"runner-{uuid.uuid4().hex[:12]}"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: BaseProcess | None = None
        self._mp = multiprocessing.get_context("spawn")

    @property
    def solve_pid(self) -> int | None:
        """The process id of the solve under way, if any."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def start(self) -> None:
        with self._factory() as session, session.begin():
            failed = fail_expired_jobs(session, now=self._now())
        if failed:
            log.warning("plan jobs %s had lost their runner and are marked failed", failed)
        self._thread = threading.Thread(target=self._loop, name="plan-job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        process = self._process
        if process is not None and process.is_alive():
            process.kill()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = self.run_next()
                if ran is None:
                    with self._factory() as session, session.begin():
                        fail_expired_jobs(session, now=self._now())
            except Exception:
                # The runner thread must survive a database hiccup; the job row says the rest.
                log.exception("plan job runner iteration failed")
                ran = None
            if ran is None:
                self._stopping.wait(self._config.poll_s)

    def run_next(self) -> int | None:
        """Claims the oldest queued job and runs it to the end; None when nothing is queued."""
        job_id = self._claim()
        if job_id is not None:
            self._run(job_id)
        return job_id

    def _claim(self) -> int | None:
        with self._factory() as session, session.begin():
            candidate = session.scalar(
                select(PlanJob.id)
                .where(PlanJob.status == JobStatus.QUEUED)
                .order_by(PlanJob.id)
                .limit(1)
            )
            if candidate is None:
                return None
            now = self._now()
            claimed = session.execute(
                update(PlanJob)
                .where(PlanJob.id == candidate, PlanJob.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.RUNNING,
                    lease_owner=self.owner,
                    lease_expires_at=now + timedelta(seconds=self._config.lease_s),
                    heartbeat_at=now,
                    started_at=now,
                    attempts=PlanJob.attempts + 1,
                    progress_percent=0,
                )
            )
            # Another runner may have claimed it between the select and the update.
            return candidate if getattr(claimed, "rowcount", 0) == 1 else None

    def _run(self, job_id: int) -> None:
        with self._factory() as session, session.begin():
            job = plans.get_job(session, job_id)
            scope = PlanScope(job.service_date, job.depot_id)
            time_limit_s = job.time_limit_s
            kind = job.kind
            initial_routes: Mapping[str, Sequence[str]] | None = None
            replan: live_replan.ReplanInput | None = None
            try:
                if kind is JobKind.REPLAN:
                    replan = live_replan.build_replan(
                        session,
                        job,
                        zone=self._config.zone,
                        now=self._now(),
                        settings=self._config.replanning,
                    )
                    built, initial_routes = replan.built, replan.initial_routes
                else:
                    built = build_problem(session, scope, zone=self._config.zone)
            except NothingToPlan as exc:
                built = None
                error = exc.detail
        if built is None:
            self._fail(job_id, error)
            return
        explain_within_s = self._config.replanning.explain_within_s if replan else None
        outcome = self._solve(job_id, built, time_limit_s, initial_routes, explain_within_s)
        if isinstance(outcome, str):
            self._fail(job_id, outcome)
            return
        violations = routing.validate(built.problem, outcome)
        if violations:
            self._fail(
                job_id,
                f"the solver returned an infeasible plan: {plans.violations_text(violations)}",
            )
            return
        with self._factory() as session, session.begin():
            job = plans.get_job(session, job_id)
            if job.status is not JobStatus.RUNNING or job.lease_owner != self.owner:
                log.warning("plan job %s was taken from this runner; its result is dropped", job_id)
                return
            stored = self._store(session, job, built, outcome, replan)
            if isinstance(stored, str):
                failure = stored
            else:
                job.plan_id = stored.id
                job.status = JobStatus.SUCCEEDED
                job.progress_percent = 100
                plans.job_finished(job, now=self._now())
                return
        self._fail(job_id, failure)

    def _store(
        self,
        session: Session,
        job: PlanJob,
        built: BuiltProblem,
        solution: routing.Solution,
        replan: live_replan.ReplanInput | None,
    ) -> Plan | str:
        """The stored plan, or why it could not be stored (a replan's base changed meanwhile)."""
        if replan is None:
            return plans.store_plan(
                session,
                built,
                solution,
                depot_id=job.depot_id,
                created_by_id=job.requested_by_id,
            )
        try:
            return replanning.store_replan(
                session, job, replan, solution, now=self._now(), settings=self._config.replanning
            )
        except NothingToPlan as exc:
            return exc.detail

    def _solve(
        self,
        job_id: int,
        built: BuiltProblem,
        time_limit_s: float,
        initial_routes: Mapping[str, Sequence[str]] | None = None,
        explain_within_s: float | None = None,
    ) -> routing.Solution | str:
        """The solution, or why there is none (the process died, timed out or was stopped)."""
        results = self._mp.Queue()
        process = self._mp.Process(
            target=solve_in_child,
            args=(built.problem, time_limit_s, results, initial_routes, explain_within_s),
            name=f"plan-job-{job_id}",
            daemon=True,
        )
        started = time.monotonic()
        deadline = started + time_limit_s + self._config.timeout_margin_s
        process.start()
        self._process = process
        fraction = 0.0
        last_beat = 0.0
        try:
            while True:
                try:
                    message = results.get(timeout=HEARTBEAT_S / 2)
                except queue.Empty:
                    message = None
                if message is not None:
                    kind, payload = message
                    if kind == "solution":
                        assert isinstance(payload, routing.Solution)
                        return payload
                    if kind == "failed":
                        return str(payload)
                    fraction = max(fraction, float(payload))
                elif not process.is_alive():
                    return f"the solve process ended without a plan (exit code {process.exitcode})"
                now_mono = time.monotonic()
                if self._stopping.is_set():
                    return "the server stopped while planning; start the plan again"
                if now_mono > deadline:
                    return (
                        f"the solve did not finish within its time limit of {time_limit_s:g} s "
                        f"plus {self._config.timeout_margin_s:g} s and was stopped"
                    )
                if now_mono - last_beat >= HEARTBEAT_S:
                    last_beat = now_mono
                    elapsed = min(1.0, (now_mono - started) / max(time_limit_s, 1e-9))
                    percent = int(SEARCH_SHARE_PERCENT * max(fraction, elapsed))
                    if not self._heartbeat(job_id, percent):
                        return "this runner lost the job's lease"
        finally:
            if process.is_alive():
                process.kill()
            process.join(5)
            self._process = None
            results.close()

    def _heartbeat(self, job_id: int, percent: int) -> bool:
        now = self._now()
        with self._factory() as session, session.begin():
            renewed = session.execute(
                update(PlanJob)
                .where(
                    PlanJob.id == job_id,
                    PlanJob.lease_owner == self.owner,
                    PlanJob.status == JobStatus.RUNNING,
                )
                .values(
                    progress_percent=min(percent, SEARCH_SHARE_PERCENT),
                    heartbeat_at=now,
                    lease_expires_at=now + timedelta(seconds=self._config.lease_s),
                )
            )
            return getattr(renewed, "rowcount", 0) == 1

    def _fail(self, job_id: int, reason: str) -> None:
        log.warning("plan job %s failed: %s", job_id, reason)
        with self._factory() as session, session.begin():
            job = plans.get_job(session, job_id)
            if job.status is not JobStatus.RUNNING or job.lease_owner != self.owner:
                return
            job.status = JobStatus.FAILED
            job.error = reason
            plans.job_finished(job, now=self._now())
