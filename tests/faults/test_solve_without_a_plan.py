"""Fault: a plan job whose solve finds no plan within its time limit."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

import routing
from api.app import create_app
from infra.models import Role
from routing.instances.city import city_problem, generate_city_day
from tests.celery_workers import workers_for
from tests.conftest import make_settings
from tests.dispatch.plan_days import seed_small_day
from tests.factories import auth_headers, make_order, make_user

pytestmark = pytest.mark.slow

# Far more orders than a first plan can be built for in one second (480 took about that long
# here); the job's day is not split, so one solve gets them all.
BIG_DAY_ORDERS = 1500


def wait_for(client: TestClient, job_id: int, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    job: dict[str, Any] = {"status": "queued"}
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = client.get(f"/plan-jobs/{job_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        job = answer.json()
    return job


def test_the_solver_says_it_ran_out_of_time_rather_than_blaming_the_problem():
    """Fault: a one-second limit on a city day of 1,000 orders (no fixed prefixes at all).

    Pass: routing.solve raises NoPlanInTime naming the time limit, not the fixed prefixes.
    """
    problem = city_problem(generate_city_day(1000, 60, seed=0))

    with pytest.raises(routing.NoPlanInTime, match="within the time limit of 1 s") as raised:
        routing.solve(problem, time_limit_s=1)

    assert "fixed prefixes" not in str(raised.value)


def test_a_job_without_a_plan_in_time_fails_with_the_reason_and_the_published_plan_stays(
    committed_db, tmp_path
):
    """Fault: a plan job for a day grown by 1,500 orders, with a 1 s limit, finds no plan.

    Pass: the job ends `failed` with an error saying no plan was found within the time limit;
    GET /plan-jobs/{id} answers it; the day's published plan is still the published one, with
    its routes, and no other plan was stored.
    """
    settings = make_settings(
        committed_db.settings.database.url,
        planning={"run_jobs_in_process": True, "solver_time_limit_s": 2, "split": False},
    )
    small = seed_small_day(committed_db.sessions, orders=8, vehicles=30)
    with committed_db.sessions() as session, session.begin():
        headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))
    day = {"service_date": small.day.isoformat(), "depot_id": small.depot_id}
    with TestClient(create_app(settings)) as client, workers_for(settings, tmp_path):
        first = wait_for(
            client, client.post("/plans", json=day, headers=headers).json()["id"], headers
        )
        assert first["status"] == "succeeded", first
        published = client.post(f"/plans/{first['plan_id']}/publish", headers=headers)
        assert published.status_code == 200, published.text
        with committed_db.sessions() as session, session.begin():
            for k in range(BIG_DAY_ORDERS):
                make_order(
                    session,
                    day=small.day,
                    window=(9, 13) if k % 2 else (12, 17),
                    depot_id=small.depot_id,
                    lat=52.45 + 0.1 * ((k * 37) % 101) / 101,
                    lng=13.30 + 0.2 * ((k * 53) % 103) / 103,
                )

        started = client.post("/plans", json=day | {"time_limit_s": 1}, headers=headers)
        assert started.status_code == 202, started.text
        job = wait_for(client, started.json()["id"], headers)
        listed = client.get(
            "/plans", params={"service_date": small.day.isoformat()}, headers=headers
        )
        still = client.get(f"/plans/{first['plan_id']}", headers=headers).json()

    assert job["status"] == "failed", job
    assert job["plan_id"] is None
    assert "no plan in time" in job["error"]
    assert "within the time limit of 1 s" in job["error"]
    assert [p["id"] for p in listed.json()] == [first["plan_id"]]
    assert still["status"] == "published"
    assert still["routes"]
