"""A whole small demo day played against a real server (uvicorn in a thread, a fresh migrated
database, the settable clock), then the report read back."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from api.app import create_app
from dispatch.demo_day import PASSWORDS, seed_demo
from infra.clock import SettableClock
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import Feedback, Plan, PlanStatus, Route, RouteStatus, StopEvent
from infra.settings import Settings
from reports import kpis
from reports.frames import Period
from simulator.courier import Phase
from simulator.report import Report, build_report, write_files
from simulator.run import SimulationConfig, simulate
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

ZONE = ZoneInfo("Europe/Tallinn")
DAY = date(2025, 3, 4)  # a Tuesday, an operating day


@dataclass(frozen=True)
class Played:
    settings: Settings
    report: Report
    out: Path
    url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def played(
    fresh_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Played]:
    settings = make_settings(
        fresh_database_url(),
        operation={"timezone": ZONE.key, "cutoff": "18:00", "settable_clock": True},
        planning={"run_jobs_in_process": True, "solver_time_limit_s": 2},
        replanning={"time_limit_s": 1},
    )
    upgrade(settings)
    engine = make_engine(settings)
    with make_session_factory(engine)() as session, session.begin():
        seed_demo(session, day=DAY, zone=ZONE, order_count=40, vehicle_count=5)
    engine.dispose()
    clock = SettableClock(datetime.combine(DAY, wall_time(6, 0), tzinfo=ZONE))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    url = f"http://127.0.0.1:{port}"
    try:
        run = simulate(SimulationConfig(url=url, seed=0, plan_time_limit_s=2, step_s=120))
        report = build_report(run)
        out = tmp_path_factory.mktemp("simulation-out")
        write_files(report, out)
        yield Played(settings, report, out, url)
    finally:
        server.should_exit = True
        thread.join(15)


def test_every_route_ends_done_or_stopped_by_the_breakdown(played):
    run = played.report.run
    assert run.breakdown is not None
    for agent in run.agents:
        if agent.vehicle_id == run.breakdown.vehicle_id:
            assert agent.phase is Phase.BROKEN_DOWN
        else:
            assert agent.phase in (Phase.DONE, Phase.NO_ROUTE)
    engine = make_engine(played.settings)
    try:
        with make_session_factory(engine)() as session:
            routes = session.scalars(
                select(Route)
                .join(Plan, Route.plan_id == Plan.id)
                .where(Plan.service_date == DAY, Plan.status == PlanStatus.PUBLISHED)
            ).all()
            assert routes
            for route in routes:
                broken = route.vehicle_id == run.breakdown.vehicle_id
                assert route.status is RouteStatus.DONE or broken, (route.id, route.status)
    finally:
        engine.dispose()


def test_the_figures_add_up_in_both_worlds(played):
    for figures in (played.report.with_figures, played.report.without_figures):
        assert figures.delivered + figures.failed + figures.undelivered == figures.orders
        assert figures.undelivered >= 0
        assert 0.0 <= figures.on_time_rate <= 1.0
        assert 0.0 <= figures.on_time_rate_delivered <= 1.0
        assert figures.lateness_p50_min <= figures.lateness_p90_min
        assert sum(figures.failures_by_reason.values()) == figures.failed
    played_orders = played.report.with_figures
    server = played.report.run.orders_at_end.values()
    assert sum(1 for s in server if s == "delivered") == played_orders.delivered
    assert sum(1 for s in server if s == "failed") == played_orders.failed
    # Urgent orders cannot be served without replanning.
    without = {o.order_id for o in played.report.without.outcomes}
    assert not without & set(played.report.run.urgent_order_ids)


def test_a_replan_was_applied_after_the_breakdown(played):
    run = played.report.run
    assert run.breakdown is not None
    applied = [
        j for j in run.replans if j["trigger"] == "vehicle_out" and j["decision"] == "applied"
    ]
    assert applied
    assert all(datetime.fromisoformat(j["decided_at"]) >= run.breakdown.at for j in applied)
    assert run.urgent_order_ids


def test_stop_events_are_stored_once_each(played):
    engine = make_engine(played.settings)
    try:
        with make_session_factory(engine)() as session:
            repeated = session.execute(
                select(StopEvent.order_id, StopEvent.kind, func.count())
                .group_by(StopEvent.order_id, StopEvent.kind)
                .having(func.count() > 1)
            ).all()
            stored = session.scalar(select(func.count()).select_from(StopEvent))
    finally:
        engine.dispose()
    assert repeated == []
    assert stored == sum(a.events_sent for a in played.report.run.agents)


def test_the_report_files_are_written(played):
    summary = json.loads((played.out / "summary.json").read_text(encoding="utf-8"))
    rows = (played.out / "outcomes.csv").read_text(encoding="utf-8").splitlines()

    assert summary["with replanning"]["orders"] == played.report.with_figures.orders
    assert summary["without replanning"]["orders"] == played.report.without_figures.orders
    # A header and one row per order in each world.
    assert len(rows) == 1 + 2 * played.report.with_figures.orders


def test_customers_rate_complain_and_are_compensated_and_the_kpis_show_it(played):
    run, customers = played.report.run, played.report.customers
    late_orders = {o.order_id for o in played.report.played.values() if o.late_s > 31 * 60}
    compensated = {c["order_id"] for c in run.compensations if c["status"] == "issued"}
    closed = [c for c in run.complaints if c["status"] in ("resolved", "rejected")]

    assert customers.feedback == len(run.ratings) > 0
    assert customers.complaints_opened == len(run.complaints) > 0
    assert closed
    assert all(c["response"] for c in closed)
    # Served more than 30 min past the window: the server's lateness rule paid for it.
    assert late_orders <= compensated
    engine = make_engine(played.settings)
    try:
        with make_session_factory(engine)() as session:
            stored = session.scalar(select(func.count()).select_from(Feedback))
            totals = kpis.compute(session, Period(DAY, DAY, ZONE), kpis.By.DAY).totals
    finally:
        engine.dispose()
    assert stored == customers.feedback
    assert totals["ratings"] == customers.feedback
    assert totals["complaints"] == customers.complaints_opened
    assert totals["complaints_closed"] == len(closed)
    assert totals["compensations"] == customers.compensations


def test_a_delivered_orders_timeline_runs_from_intake_to_delivery(played):
    delivered = sorted(i for i, s in played.report.run.orders_at_end.items() if s == "delivered")
    assert delivered
    with httpx.Client(base_url=played.url, timeout=30) as http:
        login = {"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        token = http.post("/auth/token", data=login).json()["access_token"]
        response = http.get(
            f"/orders/{delivered[0]}/timeline", headers={"Authorization": f"Bearer {token}"}
        )

    assert response.status_code == 200, response.text
    kinds = [entry["kind"] for entry in response.json()]
    firsts = [kinds.index(k) for k in ("received", "planned", "out_for_delivery", "delivered")]
    assert firsts == sorted(firsts), kinds
    assert "positions" in kinds
