"""The whole planning path over HTTP, with the app's own job runner on a committed database."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.models import Role
from tests.celery_workers import workers_for
from tests.conftest import make_settings
from tests.dispatch.plan_days import seed_small_day
from tests.factories import PASSWORD, auth_headers, make_user

pytestmark = pytest.mark.slow


@pytest.fixture
def live_client(committed_db, tmp_path):
    # In the production profile (SAMEDAY_PLANNING_EXECUTOR=celery), a real worker solves.
    settings = make_settings(
        committed_db.settings.database.url,
        planning={"run_jobs_in_process": True, "solver_time_limit_s": 2},
    )
    with TestClient(create_app(settings)) as client, workers_for(settings, tmp_path):
        client.app_settings = settings  # type: ignore[attr-defined]
        yield client


def test_a_planning_job_runs_in_the_background_and_its_plan_can_be_read(committed_db, live_client):
    small = seed_small_day(committed_db.sessions, orders=8)
    with committed_db.sessions() as session, session.begin():
        user = make_user(session, role=Role.DISPATCHER)
    headers = auth_headers(live_client.app_settings, user)

    started = live_client.post(
        "/plans",
        json={"service_date": small.day.isoformat(), "depot_id": small.depot_id},
        headers=headers,
    )
    assert started.status_code == 202, started.text
    job_url = f"/plan-jobs/{started.json()['id']}"
    deadline = time.monotonic() + 60
    job = started.json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = live_client.get(job_url, headers=headers).json()

    assert job["status"] == "succeeded", job
    assert job["progress_percent"] == 100
    plan = live_client.get(f"/plans/{job['plan_id']}", headers=headers).json()
    routed = [s["order_id"] for r in plan["routes"] for s in r["stops"]]
    unserved = [u["order_id"] for u in plan["unserved"]]
    assert sorted(routed + unserved) == sorted(small.order_ids)
    listed = live_client.get(
        "/plans", params={"service_date": small.day.isoformat()}, headers=headers
    ).json()
    assert [p["id"] for p in listed] == [plan["id"]]


def test_the_dispatcher_page_signs_in_with_a_strict_http_only_cookie(committed_db, live_client):
    with committed_db.sessions() as session, session.begin():
        user = make_user(session, role=Role.DISPATCHER)

    assert live_client.get("/dispatch", follow_redirects=False).headers["location"] == "/login"
    wrong = live_client.post("/login", data={"username": user.username, "password": "nope-nope"})
    response = live_client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )

    assert wrong.status_code == 401
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    page = live_client.get("/dispatch")
    assert page.status_code == 200
    assert "Plan the day" in page.text
    # The API accepts the cookie as well as a bearer token.
    assert live_client.get("/auth/me").json()["username"] == user.username
    assert live_client.get("/static/leaflet/leaflet.js").status_code == 200
