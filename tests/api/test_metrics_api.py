"""GET /metrics and what every request leaves: its timing under the route template, its id."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.orm import sessionmaker

from infra.models import User
from infra.settings import MetricsSettings
from tests.factories import auth_headers, make_courier, make_user
from tests.log_lines import json_lines
from tests.tracking.routes import START

TOKEN = "scraper-token-0123456789"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scraped(app, settings, session):
    """The app with a metrics token configured; the job counts read the test's transaction."""
    app.state.settings = settings.model_copy(
        update={"metrics": MetricsSettings(token=SecretStr(TOKEN))}
    )
    app.state.session_factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint"
    )
    return app


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def request_count(found: Samples, route: str, method: str = "GET", status: str = "4xx") -> float:
    labels = frozenset({"method": method, "route": route, "status": status}.items())
    return found.get(("http_request_duration_seconds_count", labels), 0.0)


@pytest.mark.usefixtures("scraped")
def test_anonymous_callers_and_wrong_tokens_may_not_read_the_metrics(client):
    anonymous = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})

    for refused in (anonymous, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/metrics", headers=SCRAPER).status_code == 200


def test_without_a_token_configured_nobody_reads_the_metrics(client, settings):
    # Refused before anything is read.
    assert settings.metrics.token is None

    refused = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert refused.status_code == 401
    assert "SAMEDAY_METRICS_TOKEN" in refused.json()["detail"]


def test_public_metrics_are_open_to_anonymous_callers(scraped, client, settings):
    scraped.state.settings = settings.model_copy(update={"metrics": MetricsSettings(public=True)})

    assert client.get("/metrics").status_code == 200


@pytest.mark.usefixtures("scraped")
def test_requests_are_counted_under_their_route_template_not_the_raw_path(
    client, session, settings
):
    headers = auth_headers(settings, make_user(session))
    before = samples(client)

    for plan_id in (987_001, 987_002, 987_003):
        assert client.get(f"/plans/{plan_id}", headers=headers).status_code == 404
    client.get("/no/such/path/42")
    after = samples(client)

    assert request_count(after, "/plans/{plan_id}") - request_count(before, "/plans/{plan_id}") == 3
    assert request_count(after, "<unmatched>") - request_count(before, "<unmatched>") == 1
    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(route and "987" in route for route in routes)
    assert ("plan_jobs_queued", frozenset({("kind", "plan")})) in after


@pytest.mark.usefixtures("scraped")
def test_accepted_pings_move_the_counter(client, session, settings, clock):
    clock.now = START + timedelta(minutes=10)
    courier = make_courier(session)
    user = session.get_one(User, courier.user_id)
    batch = [
        {"device_at": (START + timedelta(seconds=s)).isoformat(), "lat": 52.5, "lng": 13.4}
        for s in (0, 60, 60)
    ]
    before = samples(client).get(("pings_accepted_total", frozenset()), 0.0)

    response = client.post(
        "/courier/me/pings", json={"pings": batch}, headers=auth_headers(settings, user)
    )

    assert response.json()["accepted"] == [0, 1]
    assert samples(client)[("pings_accepted_total", frozenset())] - before == 2


def test_a_valid_request_id_is_echoed_and_others_are_replaced(client):
    echoed = client.get("/health", headers={"X-Request-ID": "shop-7f3a.checkout:1"})
    generated = client.get("/health")
    unsafe = client.get("/health", headers={"X-Request-ID": "<script>" + "x" * 200})

    assert echoed.headers["X-Request-ID"] == "shop-7f3a.checkout:1"
    assert len(generated.headers["X-Request-ID"]) == 32
    assert unsafe.headers["X-Request-ID"] not in ("", "<script>" + "x" * 200)
    assert generated.headers["X-Request-ID"] != unsafe.headers["X-Request-ID"]


def test_lines_logged_while_serving_carry_the_request_id(app: FastAPI, client: TestClient) -> None:
    @app.get("/test/logs")
    def logs() -> dict[str, str]:
        # A plain function: it runs in a worker thread, which must see the request's id.
        logging.getLogger("tests.request_log").info("served", extra={"order_ref": "A-1"})
        return {}

    with json_lines("tests.request_log") as lines:
        response = client.get("/test/logs", headers={"X-Request-ID": "req-123"})

    assert response.headers["X-Request-ID"] == "req-123"
    [line] = lines
    assert line["request_id"] == "req-123"
    assert line["message"] == "served"
    assert line["logger"] == "tests.request_log"
    assert line["level"] == "INFO"
    assert line["order_ref"] == "A-1"
    assert str(line["timestamp"]).endswith("+00:00")


def test_an_unexpected_error_names_its_request_in_the_answer_and_the_log(app: FastAPI) -> None:
    @app.get("/test/fails")
    def fails() -> None:
        raise RuntimeError("boom")

    with (
        TestClient(app, raise_server_exceptions=False) as client,
        json_lines("api.errors") as lines,
    ):
        response = client.get("/test/fails", headers={"X-Request-ID": "req-500"})

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.json()["request_id"] == "req-500"
    [line] = lines
    assert line["request_id"] == "req-500"
    assert "RuntimeError: boom" in str(line["exception"])
