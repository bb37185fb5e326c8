"""Hands plan jobs to the job queue once their rows are committed (the production profile)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from infra.models import PlanJob

log = logging.getLogger(__name__)

# (job id, time limit) of the jobs a transaction queued, to be enqueued when it commits.
_QUEUED = "sameday_plan_jobs_queued"

Enqueue = Callable[[int, int], None]


def enqueue_after_commit(sessions: sessionmaker[Session], enqueue: Enqueue) -> None:
    """Calls `enqueue(job_id, time_limit_s)` after each commit of a session from `sessions`
    that added queued plan jobs; never before, or a worker could look for a row it cannot see
    yet. A failing queue is logged: the job stays queued in the database."""

    @event.listens_for(sessions, "after_flush")
    def _collect(session: Session, _context: Any) -> None:
        for row in session.new:
            if isinstance(row, PlanJob):  # jobs are born queued
                session.info.setdefault(_QUEUED, []).append((row.id, row.time_limit_s))

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.in_nested_transaction():
            return
        for job_id, time_limit_s in session.info.pop(_QUEUED, []):
            try:
                enqueue(job_id, time_limit_s)
            except Exception:
                # Whatever the broker raised: the request has committed and must answer.
                log.exception("plan job %s could not be queued; a worker takes it on start", job_id)

    @event.listens_for(sessions, "after_soft_rollback")
    def _rolled_back(session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None:
            session.info.pop(_QUEUED, None)
