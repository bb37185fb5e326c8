"""Hands plan jobs on once their rows are committed: to the job queue (the production profile)
or, as request ids only, to the in-process runner (the embedded one). Each goes with the id of
the request that queued it, so the lines of its run name that request."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from infra.models import PlanJob
from infra.structured_logs import current_request_id

log = logging.getLogger(__name__)

# The QueuedJobs a transaction queued, to be enqueued when it commits.
_QUEUED = "sameday_plan_jobs_queued"


@dataclass(frozen=True)
class QueuedJob:
    job_id: int
    time_limit_s: int
    # The request that queued the job; None outside a request (a sweep queueing it again).
    request_id: str | None = None


Enqueue = Callable[[QueuedJob], None]


def enqueue_after_commit(sessions: sessionmaker[Session], enqueue: Enqueue) -> None:
    """Calls `enqueue(job)` after each commit of a session from `sessions` that added queued
    plan jobs; never before, or a worker could look for a row it cannot see yet. A failing
    queue is logged: the job stays queued in the database."""

    @event.listens_for(sessions, "after_flush")
    def _collect(session: Session, _context: Any) -> None:
        for row in session.new:
            if isinstance(row, PlanJob):  # jobs are born queued
                job = QueuedJob(row.id, row.time_limit_s, current_request_id())
                session.info.setdefault(_QUEUED, []).append(job)

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.in_nested_transaction():
            return
        for job in session.info.pop(_QUEUED, []):
            try:
                enqueue(job)
            except Exception:
                # Whatever the broker raised: the request has committed and must answer.
                log.exception(
                    "plan job %s could not be queued; a worker takes it on start", job.job_id
                )

    @event.listens_for(sessions, "after_soft_rollback")
    def _rolled_back(session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None:
            session.info.pop(_QUEUED, None)


class JobRequestIds:
    """Which request queued each plan job not yet run, for the in-process runner of the same
    process (the embedded profile has no broker message to carry it, and no column holds it).

    Bounded, since a job another process runs is never taken from here.
    """

    def __init__(self, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[int, str] = OrderedDict()
        # Requests note ids from the server's threads while the runner thread takes them.
        self._lock = threading.Lock()

    def note(self, job: QueuedJob) -> None:
        if job.request_id is None:
            return
        with self._lock:
            self._ids[job.job_id] = job.request_id
            while len(self._ids) > self._capacity:
                self._ids.popitem(last=False)

    def take(self, job_id: int) -> str | None:
        with self._lock:
            return self._ids.pop(job_id, None)
