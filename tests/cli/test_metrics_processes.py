"""Metrics of several API processes summed through PROMETHEUS_MULTIPROC_DIR, logs as JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import postgres_url
from tests.serving import free_port

TOKEN = "scraper-token-0123456789"


@pytest.mark.production
@pytest.mark.slow
@pytest.mark.skipif(postgres_url() is None, reason="several API processes need PostgreSQL")
def test_any_api_process_serves_the_requests_of_all_of_them(committed_db, tmp_path):
    port = free_port()
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMEDAY_")} | {
        "SAMEDAY_ENVIRONMENT": "test",
        "SAMEDAY_DATABASE_URL": committed_db.settings.database.url,
        "SAMEDAY_SECURITY_SECRET_KEY": committed_db.settings.secret_key,
        "SAMEDAY_PLANNING_RUN_JOBS_IN_PROCESS": "false",
        "SAMEDAY_NOTIFICATIONS_SEND_IN_PROCESS": "false",
        "SAMEDAY_METRICS_TOKEN": TOKEN,
        "SAMEDAY_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    }
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve"]
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        healthy = 0
        while healthy < 20 or log_path.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                healthy += httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        # Each scrape may be answered by either process: both see every request.
        scrapes = [
            httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
            for _ in range(4)
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

    for scrape in scrapes:
        assert scrape.status_code == 200, scrape.text
        [count] = [
            sample.value
            for family in text_string_to_metric_families(scrape.text)
            for sample in family.samples
            if sample.name == "http_request_duration_seconds_count"
            and sample.labels == {"method": "GET", "route": "/health", "status": "2xx"}
        ]
        assert count == healthy
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert len(access) >= healthy + len(scrapes)
    assert all(len(line["request_id"]) == 32 for line in access)
