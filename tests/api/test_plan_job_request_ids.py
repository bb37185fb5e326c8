"""One request id from the click to the solve: the lines of a plan job's run name the request
that queued it (the embedded profile's in-process runner)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.models import Role
from tests.conftest import make_settings
from tests.dispatch.plan_days import seed_small_day
from tests.factories import auth_headers, make_user
from tests.log_lines import json_lines

pytestmark = pytest.mark.slow


def test_the_lines_of_a_plan_job_run_in_process_carry_the_id_of_the_request_that_queued_it(
    committed_db,
):
    settings = make_settings(
        committed_db.settings.database.url,
        planning={"executor": "in_process", "run_jobs_in_process": True, "solver_time_limit_s": 1},
    )
    small = seed_small_day(committed_db.sessions, orders=4)
    with committed_db.sessions() as session, session.begin():
        user = make_user(session, role=Role.DISPATCHER)

    with TestClient(create_app(settings)) as client, json_lines("dispatch.plan_jobs") as lines:
        headers = auth_headers(settings, user)
        started = client.post(
            "/plans",
            json={"service_date": small.day.isoformat(), "depot_id": small.depot_id},
            headers={**headers, "X-Request-ID": "plan-click-42"},
        )
        assert started.status_code == 202, started.text
        job_url = f"/plan-jobs/{started.json()['id']}"
        deadline = time.monotonic() + 60
        while client.get(job_url, headers=headers).json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.1)

    job_id = started.json()["id"]
    job_lines = [line for line in lines if str(line["message"]).startswith(f"plan job {job_id} ")]
    messages = [str(line["message"]) for line in job_lines]
    assert any("started" in m for m in messages), messages
    assert any("succeeded" in m for m in messages), messages
    assert {line.get("request_id") for line in job_lines} == {"plan-click-42"}
