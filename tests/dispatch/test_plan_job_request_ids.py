"""A plan job's Celery task carries the id of the request that queued it and binds it while
the job runs, so the worker's lines for the job name that request."""

from __future__ import annotations

import time

from celery import Celery
from celery.contrib.testing.worker import start_worker

from dispatch.plan_job_queue import JobRequestIds, QueuedJob
from dispatch.plan_job_worker import enqueuer, register_plan_job_task
from infra.structured_logs import current_request_id
from tests.log_lines import json_lines

# No row has this id: the task runs and says there is nothing to do, inside the job's context.
ABSENT_JOB_ID = 987_654


def test_a_queued_job_reaches_the_worker_with_its_request_id_bound_while_it_runs(committed_db):
    # The in-memory broker and a worker thread of this process: the real message path
    # (send_task, the kwargs in the message, the task's call) without Redis.
    app = Celery("sameday-test", broker="memory://", set_as_current=False)
    app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False)
    register_plan_job_task(app, committed_db.settings)

    with (
        json_lines("dispatch.plan_job_worker") as lines,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        enqueuer(app, committed_db.settings)(QueuedJob(ABSENT_JOB_ID, 5, "plan-click-7"))
        deadline = time.monotonic() + 20
        while not lines:
            assert time.monotonic() < deadline, "the worker did not run the task"
            time.sleep(0.05)

    [line] = lines
    assert line["message"] == f"plan job {ABSENT_JOB_ID} is not queued; nothing to do"
    assert line["request_id"] == "plan-click-7"
    assert current_request_id() is None


def test_the_in_process_runner_takes_each_jobs_request_id_once_and_old_ones_are_dropped():
    request_ids = JobRequestIds(capacity=2)
    for job_id, request_id in ((1, "a"), (2, None), (3, "c"), (4, "d")):
        request_ids.note(QueuedJob(job_id, 5, request_id))

    assert [request_ids.take(job_id) for job_id in (1, 2, 3, 4, 3)] == [None, None, "c", "d", None]
