"""The Prometheus metrics: every metric object, and the exposition a scrape reads.

One process keeps its values in memory. Several processes (`sameday serve --workers N`, Celery
workers) share them through files when PROMETHEUS_MULTIPROC_DIR names a directory: the
variable must be set before the processes start, and the directory emptied then.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from infra.models import JobStatus, PlanJob
from infra.models.planning import JobKind

log = logging.getLogger(__name__)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
EXPOSITION_MEDIA_TYPE = CONTENT_TYPE_LATEST
# The route label of a request no route matched: raw paths would make a series per path.
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template",
    ["method", "route", "status"],
)
PLAN_SOLVE_SECONDS = Histogram(
    "plan_solve_seconds",
    "Search time of a plan job that stored a plan",
    ["kind"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600),
)
# The most recent solve's quality, whichever process ran it.
PLAN_SOLVE_COST = Gauge(
    "plan_solve_cost",
    "Objective cost of the last plan job that stored a plan",
    ["kind"],
    multiprocess_mode="mostrecent",
)
PLAN_UNSERVED_ORDERS = Gauge(
    "plan_unserved_orders",
    "Visits the last stored plan left unassigned",
    ["kind"],
    multiprocess_mode="mostrecent",
)
PINGS_ACCEPTED = Counter("pings_accepted", "Position pings accepted and stored")

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str | None, status: int, duration_s: float) -> None:
    """Times one HTTP request; `route` is its template (`/plans/{plan_id}`), None if unmatched."""
    HTTP_REQUEST_DURATION.labels(
        method=method if method in HTTP_METHODS else "OTHER",
        route=route or UNMATCHED_ROUTE,
        status=f"{status // 100}xx",
    ).observe(duration_s)


def observe_solve(kind: str, *, solve_s: float, cost: float, unserved: int) -> None:
    """Records a plan job's solve once its plan is stored (`kind` is plan or replan)."""
    PLAN_SOLVE_SECONDS.labels(kind=kind).observe(solve_s)
    PLAN_SOLVE_COST.labels(kind=kind).set(cost)
    PLAN_UNSERVED_ORDERS.labels(kind=kind).set(unserved)


class PlanJobQueueCollector:
    """Queued and running plan jobs, counted in the job table at each scrape: the database
    is the truth whichever process queued or runs them."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def collect(self) -> Iterator[Metric]:
        try:
            with self._factory() as session:
                counts = {
                    (status, kind): count
                    for status, kind, count in session.execute(
                        select(PlanJob.status, PlanJob.kind, func.count())
                        .where(PlanJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
                        .group_by(PlanJob.status, PlanJob.kind)
                    )
                }
        except SQLAlchemyError as exc:
            # The other metrics still matter when the database is unreachable.
            log.warning("plan job counts are left out of the metrics: %s", exc)
            return
        for status in (JobStatus.QUEUED, JobStatus.RUNNING):
            family = GaugeMetricFamily(
                f"plan_jobs_{status.value}", f"Plan jobs {status.value} now", labels=["kind"]
            )
            for kind in JobKind:
                family.add_metric([kind.value], counts.get((status, kind), 0))
            yield family


class _Scrape:
    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def process_values() -> Collector:
    """This process's metrics, or in multi-process mode those of every process sharing the
    directory (read from its files at each call)."""
    directory = os.environ.get(MULTIPROC_DIR_VARIABLE)
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


def exposition(session_factory: sessionmaker[Session]) -> bytes:
    """The text exposition of a scrape: the processes' metrics and the plan job counts."""
    return generate_latest(_Scrape(process_values(), PlanJobQueueCollector(session_factory)))
