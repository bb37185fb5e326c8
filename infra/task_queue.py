"""The production profile's job queue: a Celery app on the Redis broker, built from Settings.

Only job ids (and the id of the request that queued the job, for its log lines) travel through
the queue; the plan_job table stays the record of truth. A message
is acknowledged after its task ran (late), one at a time per worker process, and given back to
the queue when the worker process dies; each task has a hard time limit from its job's.
"""

from __future__ import annotations

from celery import Celery

from infra.settings import PlanningSettings, Settings

PLAN_JOB_TASK = "sameday.run_plan_job"
# Building the problem and storing the plan, on top of the solve's own limit and margin.
STORE_MARGIN_S = 30


def make_celery(settings: Settings) -> Celery:
    """The Celery app of these settings; it connects on first use, never here."""
    if settings.redis_url is None:
        raise ValueError("the job queue needs SAMEDAY_REDIS_URL")
    app = Celery("sameday", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=f"{settings.redis_namespace}.plan-jobs",
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # Every key Celery keeps in Redis carries the namespace, so installations sharing one
        # server never take each other's messages.
        broker_transport_options={"global_keyprefix": f"{settings.redis_namespace}:"},
        broker_connection_retry_on_startup=True,
        # A request that queues a job must not hang on a broker that is down: the job stays
        # queued in the database and the next worker to start takes it.
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return app


def hard_time_limit_s(time_limit_s: int, planning: PlanningSettings) -> int:
    """When a plan job's task is killed, whatever it is doing."""
    return time_limit_s + planning.job_timeout_margin_s + STORE_MARGIN_S


def enqueue_plan_job(
    app: Celery,
    job_id: int,
    time_limit_s: int,
    planning: PlanningSettings,
    *,
    request_id: str | None = None,
) -> None:
    app.send_task(
        PLAN_JOB_TASK,
        args=[job_id],
        # A keyword the task defaults, so messages queued before it existed still run.
        kwargs={"request_id": request_id},
        time_limit=hard_time_limit_s(time_limit_s, planning),
    )
