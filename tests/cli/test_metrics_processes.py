"""Metrics of several API processes summed through PROMETHEUS_MULTIPROC_DIR, logs as JSON."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import postgres_url
from tests.serving import serve_environment, serve_processes

TOKEN = "scraper-token-0123456789"


@pytest.mark.production
@pytest.mark.slow
@pytest.mark.skipif(postgres_url() is None, reason="several API processes need PostgreSQL")
def test_any_api_process_serves_the_requests_of_all_of_them(committed_db, tmp_path):
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = serve_environment(
        committed_db.settings,
        SAMEDAY_METRICS_TOKEN=TOKEN,
        SAMEDAY_LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(shared),
    )
    log_path = tmp_path / "serve.log"
    with serve_processes(env, tmp_path, workers=2) as base:
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
