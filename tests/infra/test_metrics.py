"""The metrics: solve time and quality, plan job counts from the table, several processes, logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from dispatch import plans
from dispatch.plan_jobs import PlanJobRunner, RunnerConfig
from infra import metrics
from infra.models import Plan
from infra.settings import LogSettings
from infra.structured_logs import (
    JsonFormatter,
    TextFormatter,
    bind_request_id,
    configure_logging,
    unbind_request_id,
)
from tests.dispatch.plan_days import queue_plan_job, seed_small_day

ZONE = ZoneInfo("Europe/Berlin")


def job_counts(committed_db) -> dict[tuple[str, str], float]:
    collector = metrics.PlanJobQueueCollector(committed_db.sessions)
    return {
        (sample.name, sample.labels["kind"]): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def solves(kind: str) -> float:
    return REGISTRY.get_sample_value("plan_solve_seconds_count", {"kind": kind}) or 0.0


def test_a_finished_plan_job_records_its_solve_time_and_quality(committed_db):
    small = seed_small_day(committed_db.sessions, orders=6)
    job_id = queue_plan_job(committed_db.sessions, small, time_limit_s=1)
    before = solves("plan")
    assert job_counts(committed_db)[("plan_jobs_queued", "plan")] == 1

    assert PlanJobRunner(committed_db.sessions, RunnerConfig(zone=ZONE)).run_next() == job_id

    assert solves("plan") == before + 1
    assert (REGISTRY.get_sample_value("plan_solve_seconds_sum", {"kind": "plan"}) or 0) > 0
    assert REGISTRY.get_sample_value("plan_unserved_orders", {"kind": "plan"}) == 0
    with committed_db.sessions() as session:
        plan = session.get_one(Plan, plans.get_job(session, job_id).plan_id)
        cost = REGISTRY.get_sample_value("plan_solve_cost", {"kind": "plan"})
        assert cost is not None
        assert round(cost * 100) == plan.total_cost_cents
    counts = job_counts(committed_db)
    assert counts[("plan_jobs_queued", "plan")] == 0
    assert counts[("plan_jobs_running", "replan")] == 0


def test_requests_no_route_matched_share_one_series():
    labels = {"method": "OTHER", "route": metrics.UNMATCHED_ROUTE, "status": "4xx"}
    before = REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0

    metrics.observe_request("BREW", None, 418, 0.01)

    assert REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) == before + 1


RECORD_IN_A_PROCESS = """
from infra import metrics
metrics.PINGS_ACCEPTED.inc(3)
metrics.observe_solve("replan", solve_s=1.5, cost=42.0, unserved=2)
"""

SCRAPE_IN_A_PROCESS = """
import sys
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from infra import metrics
sessions = sessionmaker(create_engine(sys.argv[1]))
sys.stdout.write(metrics.exposition(sessions).decode())
"""


def test_with_a_multiprocess_directory_one_process_scrapes_what_others_recorded(
    committed_db, tmp_path
):
    environment = {**os.environ, metrics.MULTIPROC_DIR_VARIABLE: str(tmp_path)}
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", RECORD_IN_A_PROCESS], env=environment, check=True, timeout=60
        )

    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE_IN_A_PROCESS, committed_db.settings.database.url],
        env=environment,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout

    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
    }
    assert found[("pings_accepted_total", ())] == 6
    assert found[("plan_solve_seconds_count", (("kind", "replan"),))] == 2
    assert found[("plan_solve_cost", (("kind", "replan"),))] == 42
    assert found[("plan_jobs_queued", (("kind", "plan"),))] == 0


def record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("sameday.test", logging.WARNING, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_holds_the_fields_the_request_id_and_the_extras():
    token = bind_request_id("req-json")
    try:
        line = json.loads(JsonFormatter().format(record("refused %s", order_ref="A-7")))
    finally:
        unbind_request_id(token)

    assert line["level"] == "WARNING"
    assert line["logger"] == "sameday.test"
    assert line["message"] == "refused %s"
    assert line["request_id"] == "req-json"
    assert line["order_ref"] == "A-7"
    assert set(line) == {"timestamp", "level", "logger", "message", "request_id", "order_ref"}


def test_an_access_line_is_split_into_its_fields():
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/health", "1.1", 200),
        None,
    )
    access.color_message = "coloured"

    line = json.loads(JsonFormatter().format(access))

    assert line["message"] == '127.0.0.1:5000 - "GET /health HTTP/1.1" 200'
    assert (line["method"], line["path"], line["status"]) == ("GET", "/health", 200)
    assert "color_message" not in line


def test_a_text_line_names_the_request_or_a_dash():
    token = bind_request_id("req-text")
    try:
        assert "[req-text] hello" in TextFormatter().format(record("hello"))
    finally:
        unbind_request_id(token)

    assert "[-] hello" in TextFormatter().format(record("hello"))


def test_configuring_logging_twice_keeps_one_handler():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        configure_logging(LogSettings(format="json"))
        configure_logging(LogSettings(format="json", level="WARNING"))

        added = [h for h in root.handlers if h not in handlers]
        assert len(added) == 1
        assert isinstance(added[0].formatter, JsonFormatter)
        assert root.level == logging.WARNING
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
