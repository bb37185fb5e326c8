"""`sameday worker`: a Celery worker that solves plan jobs (the production profile)."""

from __future__ import annotations

import os
import socket
from typing import Annotated, Any

import typer
from celery import signals

from dispatch.plan_job_worker import (
    JobSweeper,
    adopt_pool_process,
    enqueuer,
    register_plan_job_task,
)
from infra.db import make_engine, make_session_factory
from infra.migrate import SchemaOutOfDate, ensure_schema_current
from infra.settings import Settings
from infra.structured_logs import configure_logging
from infra.task_queue import make_celery

# How often, as a share of the lease, the worker looks for jobs whose worker died.
SWEEPS_PER_LEASE = 3
# A ping waiting behind a solve on a shared core is late; a solve slowed by a ping is not.
SOLVER_NICE = 10


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs solved at once (one process each)")
    ] = 1,
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    nice: Annotated[
        int,
        typer.Option(
            min=0,
            max=19,
            help="How much lower the solving processes' CPU priority is than the API's (Unix "
            "nice). A solve keeps a core busy for its whole time limit; on a machine it shares "
            "with the API, requests then go first",
        ),
    ] = SOLVER_NICE,
) -> None:
    """Solve plan and replan jobs queued by the API (SAMEDAY_PLANNING_EXECUTOR=celery).

    Needs SAMEDAY_REDIS_URL (the broker) and the same database as the API. Each job gets a hard
    time limit (its own plus SAMEDAY_PLANNING_JOB_TIMEOUT_MARGIN_S); a job whose worker died is
    queued again, and failed after SAMEDAY_PLANNING_JOB_MAX_ATTEMPTS.
    """
    settings = Settings()
    if settings.redis_url is None:
        typer.echo("error: the worker needs SAMEDAY_REDIS_URL (its broker)", err=True)
        raise typer.Exit(1)
    configure_logging(settings.log)
    engine = make_engine(settings)
    try:
        ensure_schema_current(engine)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    app = make_celery(settings)
    register_plan_job_task(app, settings)
    sweeper = JobSweeper(
        make_session_factory(engine),
        enqueuer(app, settings),
        max_attempts=settings.planning.job_max_attempts,
        interval_s=settings.planning.job_lease_s / SWEEPS_PER_LEASE,
    )

    def start_sweeping(**_: Any) -> None:
        sweeper.start()

    def stop_sweeping(**_: Any) -> None:
        sweeper.stop()

    def init_pool_process(**_: Any) -> None:
        # A forked pool process must not touch the connections of the main process's sweeper.
        engine.dispose(close=False)
        adopt_pool_process()
        if nice:
            os.nice(nice)

    signals.worker_ready.connect(start_sweeping, weak=False)
    signals.worker_shutdown.connect(stop_sweeping, weak=False)
    signals.worker_process_init.connect(init_pool_process, weak=False)
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--hostname=sameday-{os.getpid()}@{socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
