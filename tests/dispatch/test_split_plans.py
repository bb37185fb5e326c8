"""Plan jobs of big days: split per zone, solved side by side, stored as one valid plan."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from dispatch import plans
from dispatch.plan_jobs import PlanJobRunner, RunnerConfig
from dispatch.split_plans import SplitConfig
from infra.models import JobStatus
from infra.settings import PlanningSettings
from routing.instances import city_problem, generate_city_day
from tests.dispatch.plan_days import progress_while, queue_plan_job, seed_small_day

ZONE = ZoneInfo("Europe/Berlin")


def test_the_default_settings_solve_the_demo_sized_day_whole_and_split_a_bigger_one():
    config = SplitConfig.from_settings(PlanningSettings())
    assert not config.applies(city_problem(generate_city_day(320, 5, seed=1)))
    assert config.applies(city_problem(generate_city_day(520, 5, seed=1)))
    assert SplitConfig.from_settings(PlanningSettings(split=False)).above_visits is None


@pytest.mark.slow
def test_a_big_day_is_solved_in_zones_and_stored_as_one_plan_with_progress(committed_db):
    small = seed_small_day(committed_db.sessions, orders=12, vehicles=4)
    job_id = queue_plan_job(committed_db.sessions, small, time_limit_s=2)
    split = SplitConfig(above_visits=5, zone_visits=4, workers=2)
    runner = PlanJobRunner(committed_db.sessions, RunnerConfig(zone=ZONE, split=split))
    seen = progress_while(committed_db.sessions, job_id, runner.run_next)

    with committed_db.sessions() as session:
        job = plans.get_job(session, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert job.progress_percent == 100
        assert any(0 < p < 100 for p in seen), seen
        assert job.plan_id is not None
        plan = plans.get_plan(session, job.plan_id)
        assert plan.solver_status is not None
        assert plan.solver_status.startswith("split into 3 parts")
        routed = [s.order_id for r in plan.routes for s in r.stops]
        assert sorted(routed + [u.order_id for u in plan.unserved]) == sorted(small.order_ids)
        assert len(routed) > 0
