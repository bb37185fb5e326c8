"""The plan job runner: claims queued jobs, solves each in its own process, stores the plan.

The plan_job row is the record of truth. A runner claims a job with a lease and renews it
with every heartbeat; the solve runs in a spawned process so a stuck search can be killed
(after its time limit plus a margin). Plan rows are written in one transaction at the end,
so a crash leaves a failed job and no half plan; a job whose lease ran out is failed by the
next runner that looks.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import queue
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import routing
from dispatch import plans, replanning
from dispatch.errors import NothingToPlan
from dispatch.plan_job_queue import JobRequestIds
from dispatch.problem_builder import BuiltProblem, PlanScope, build_problem
from dispatch.split_plans import SplitConfig, solve_split_job
from infra import metrics
from infra.models import JobStatus, Plan, PlanJob
from infra.models.planning import JobKind
from infra.settings import ReplanSettings, Settings
from infra.structured_logs import request_id_bound
from tracking import live_replan

log = logging.getLogger(__name__)

# Share of the progress bar the search fills; the rest is checking and storing the plan.
SEARCH_SHARE_PERCENT = 95
HEARTBEAT_S = 0.5
# prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    zone: ZoneInfo
    timeout_margin_s: float = 60.0
    lease_s: float = 30.0
    # How often an idle runner looks for queued jobs: a replan during the day should not wait.
    poll_s: float = 0.2
    replanning: ReplanSettings = field(default_factory=ReplanSettings)
    split: SplitConfig = field(default_factory=SplitConfig)


def runner_config(settings: Settings) -> RunnerConfig:
    return RunnerConfig(
        zone=settings.operation.zone,
        timeout_margin_s=settings.planning.job_timeout_margin_s,
        lease_s=settings.planning.job_lease_s,
        replanning=settings.replanning,
        split=SplitConfig.from_settings(settings.planning),
    )


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
    except routing.NoPlanInTime as exc:
        results.put(("failed", f"the solver found no plan in time: {exc}"))
        return
    except routing.InvalidProblem as exc:
        results.put(("failed", f"the planning problem is malformed: {exc}"))
        return
    results.put(("solution", solution))


class _Tagged:
    """A results queue whose messages carry the job they belong to, so the runner can tell a
    late message of an abandoned job from the one it waits for."""

    def __init__(self, results: Any, job_id: int) -> None:
        self._results = results
        self._job_id = job_id

    def put(self, message: tuple[str, Any]) -> None:
        self._results.put((self._job_id, *message))


def solver_loop(tasks: Any, results: Any) -> None:
    """Entry point of the solver process: solves one task after another until told to stop.

    The process outlives a job, so a replan during the day does not wait for a new process to
    start and import OR-Tools; it is killed (and replaced) only when a solve must be stopped.
    """
    _die_with_parent()
    _warm_up()
    while True:
        task = tasks.get()
        if task is None:
            return
        job_id, problem, time_limit_s, initial_routes, explain_within_s = task
        solve_in_child(
            problem, time_limit_s, _Tagged(results, job_id), initial_routes, explain_within_s
        )


def _die_with_parent() -> None:
    """Has Linux kill this process when the process that started it dies (a worker killed by
    its time limit or by hand): an orphaned search in a stuck solve would never end."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _warm_up() -> None:
    """One tiny solve, so the first real job does not pay for the solver library's first use."""
    matrix = routing.TravelMatrix(
        distance_m=np.array([[0, 1000], [1000, 0]]), duration_s=np.array([[0, 100], [100, 0]])
    )
    problem = routing.Problem(
        visits=(routing.Visit(id="warm-up", location=1),),
        vehicles=(
            routing.Vehicle(
                id="warm-up",
                start_location=0,
                end_location=0,
                shift=routing.TimeWindow(0, 3600),
            ),
        ),
        matrices={"car": matrix},
    )
    routing.solve(problem, time_limit_s=0.05, explain=False)


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
        request_ids: JobRequestIds | None = None,
    ) -> None:
        """`request_ids` names the request that queued each job, for the lines of its run."""
        self._factory = session_factory
        self._config = config
        self._now = now or (lambda: datetime.now(UTC))
        self._request_ids = request_ids
        self.owner = f"runner-{uuid.uuid4().hex[:12]}"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._mp = multiprocessing.get_context("spawn")
        # The solver process with its task and result queues; kept between jobs once started.
        self._solver: tuple[BaseProcess, Any, Any] | None = None
        self._keep_solver = False
        self._solving = False

    @property
    def solve_pid(self) -> int | None:
        """The process id of the solve under way, if any."""
        solver = self._solver
        if not self._solving or solver is None or not solver[0].is_alive():
            return None
        return solver[0].pid

    def _solver_process(self) -> tuple[BaseProcess, Any, Any]:
        if self._solver is not None and self._solver[0].is_alive():
            return self._solver
        self._close_solver()
        tasks, results = self._mp.Queue(), self._mp.Queue()
        process = self._mp.Process(
            target=solver_loop, args=(tasks, results), name="plan-solver", daemon=True
        )
        process.start()
        self._solver = (process, tasks, results)
        return self._solver

    def _close_solver(self) -> None:
        solver, self._solver = self._solver, None
        if solver is None:
            return
        process, tasks, results = solver
        if process.is_alive():
            process.kill()
        process.join(5)
        tasks.close()
        results.close()

    def start(self) -> None:
        with self._factory() as session, session.begin():
            failed = fail_expired_jobs(session, now=self._now())
        if failed:
            log.warning("plan jobs %s had lost their runner and are marked failed", failed)
        # A serving runner keeps its solver process warm between jobs.
        self._keep_solver = True
        self._solver_process()
        self._thread = threading.Thread(target=self._loop, name="plan-job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._close_solver()

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
            request_ids = self._request_ids
            request_id = request_ids.take(job_id) if request_ids is not None else None
            with request_id_bound(request_id):
                self._run(job_id)
        return job_id

    def _claim(self, job_id: int | None = None) -> int | None:
        """Takes the oldest queued job (or `job_id` if it is queued) with a lease; its id."""
        with self._factory() as session, session.begin():
            queued = select(PlanJob.id).where(PlanJob.status == JobStatus.QUEUED)
            if job_id is not None:
                queued = queued.where(PlanJob.id == job_id)
            candidate = session.scalar(queued.order_by(PlanJob.id).limit(1))
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
            log.info(
                "plan job %s (%s) started, attempt %s, time limit %s s",
                job_id,
                kind.value,
                job.attempts,
                time_limit_s,
            )
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
                log.info("plan job %s succeeded: plan %s", job_id, stored.id)
                metrics.observe_solve(
                    kind.value,
                    solve_s=outcome.wall_time_s,
                    cost=outcome.cost,
                    unserved=len(outcome.unassigned),
                )
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
        started = time.monotonic()
        deadline = started + time_limit_s + self._config.timeout_margin_s
        if initial_routes is None and self._config.split.applies(built.problem):
            return solve_split_job(
                built.problem,
                time_limit_s,
                self._config.split,
                lambda done: self._still_wanted(job_id, time_limit_s, started, deadline, done),
            )
        process, tasks, results = self._solver_process()
        tasks.put((job_id, built.problem, time_limit_s, initial_routes, explain_within_s))
        self._solving = True
        finished = False
        fraction = 0.0
        last_beat = 0.0
        try:
            while True:
                try:
                    message = results.get(timeout=HEARTBEAT_S / 2)
                except queue.Empty:
                    message = None
                if message is not None:
                    tag, kind, payload = message
                    if tag != job_id:
                        continue  # left over from a job this runner gave up on
                    if kind == "solution":
                        assert isinstance(payload, routing.Solution)
                        finished = True
                        return payload
                    if kind == "failed":
                        finished = True
                        return str(payload)
                    fraction = max(fraction, float(payload))
                elif not process.is_alive():
                    return f"the solve process ended without a plan (exit code {process.exitcode})"
                now_mono = time.monotonic()
                beat = now_mono - last_beat >= HEARTBEAT_S
                last_beat = now_mono if beat else last_beat
                stop = self._still_wanted(job_id, time_limit_s, started, deadline, fraction, beat)
                if stop is not None:
                    return stop
        finally:
            self._solving = False
            # A solve that did not finish is still running in the process: stop it there.
            if not finished or not self._keep_solver:
                self._close_solver()

    def _still_wanted(
        self,
        job_id: int,
        time_limit_s: float,
        started: float,
        deadline: float,
        fraction: float,
        beat: bool = True,
    ) -> str | None:
        """None while the solve should go on, else why it stops; with `beat` the lease is
        renewed and the progress (the search's, or the share of the time limit) stored."""
        now_mono = time.monotonic()
        if self._stopping.is_set():
            return "the server stopped while planning; start the plan again"
        if now_mono > deadline:
            return (
                f"the solve did not finish within its time limit of {time_limit_s:g} s "
                f"plus {self._config.timeout_margin_s:g} s and was stopped"
            )
        elapsed = min(1.0, (now_mono - started) / max(time_limit_s, 1e-9))
        percent = int(SEARCH_SHARE_PERCENT * max(fraction, elapsed))
        if beat and not self._heartbeat(job_id, percent):
            return "this runner lost the job's lease"
        return None

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
