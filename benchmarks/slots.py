"""Delivery slots at checkout: how fast GET /slots answers on the planned demo day.

The demo city day (320 orders around Tallinn, two depots, 20 vehicles) is seeded into a fresh
database and planned (a draft, as `sameday demo` leaves it). The app, built as `sameday serve`
builds it, is then asked through FastAPI's TestClient, by a signed-in dispatcher, for the slots
of random addresses around the depots at 09:30 that day: every request judges the windows of
the rest of today against the plan's routes (insertion, checked by the validator) and those of
the next operating day against the fleet. Each slot query is timed from the client's side, and,
as the same-run baseline, so is a GET /health before it.

Reported: p50/p95/max latency of GET /slots and of GET /health (and their ratio), how many
windows were offered per day.

    python -m benchmarks.slots                 # 200 addresses
    python -m benchmarks.slots --requests 50 --plan-time 5
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import routing
from api.app import create_app, freeze_startup_heap
from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp, write_csv
from benchmarks.replan import percentile
from dispatch import plans
from dispatch.demo_day import DEMO_TIMEZONE, PASSWORDS, seed_demo
from dispatch.problem_builder import PlanScope, build_problem
from infra.clock import SettableClock
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import Depot
from infra.settings import Settings

DAY = date(2026, 12, 1)  # a Tuesday
ZONE = ZoneInfo(DEMO_TIMEZONE)
ASKED_AT = datetime.combine(DAY, clock_time(9, 30), tzinfo=ZONE)
# Target from the issue: fast enough for a shop's checkout.
TARGET_P95_S = 0.3
WARM_UP_REQUESTS = 3
# Addresses are drawn this far (degrees) around a depot: the city and its edge.
SPREAD_LAT, SPREAD_LNG = 0.06, 0.12


@dataclass(frozen=True, slots=True)
class Sample:
    request: int
    lat: float
    lng: float
    parcels: int
    slots_s: float
    health_s: float
    offered_today: int
    offered_tomorrow: int


def seed_day(sessions: sessionmaker[Session], *, plan_s: int) -> tuple[int, int, list[Depot]]:
    """The demo day, planned as a draft; its plan id, routes and depots."""
    with sessions() as session, session.begin():
        seed_demo(session, day=DAY, zone=ZONE)
    with sessions() as session, session.begin():
        built = build_problem(session, PlanScope(DAY, None), zone=ZONE)
    solution = routing.solve(built.problem, time_limit_s=plan_s)
    routing.assert_valid(built.problem, solution)
    with sessions() as session, session.begin():
        plan = plans.store_plan(session, built, solution, depot_id=None, created_by_id=None)
        session.flush()
        depots = list(session.scalars(select(Depot).order_by(Depot.id)))
        session.expunge_all()
        return plan.id, len(plan.routes), depots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--plan-time", type=int, default=10)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    console = Console()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'slots-bench.sqlite3'}"
        settings = Settings(
            _env_file=None,
            database={"url": url},
            security={"secret_key": secrets.token_urlsafe(32)},
            operation={"timezone": DEMO_TIMEZONE},
            planning={"run_jobs_in_process": False},
            notifications={"send_in_process": False},
        )
        upgrade(settings)
        engine = make_engine(settings)
        sessions = make_session_factory(engine)
        console.print(f"Seeding and planning the demo day ({args.plan_time} s search)...")
        plan_id, routes, depots = seed_day(sessions, plan_s=args.plan_time)
        engine.dispose()
        console.print(f"plan {plan_id}: {routes} routes; asking for slots at 09:30")
        samples = ask(settings, depots, requests=args.requests, seed=args.seed)
    report(console, samples, routes=routes)
    write(samples, routes=routes)
    return 0


def ask(settings: Settings, depots: list[Depot], *, requests: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    app = create_app(settings, clock=SettableClock(ASKED_AT))
    freeze_startup_heap()  # as `sameday serve` does
    samples = []
    with TestClient(app) as client:
        token = client.post(
            "/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with Progress(transient=True) as progress:
            task = progress.add_task("slots", total=requests)
            for k in range(-WARM_UP_REQUESTS, requests):
                depot = rng.choice(depots)
                lat = round(depot.lat + rng.uniform(-SPREAD_LAT, SPREAD_LAT), 6)
                lng = round(depot.lng + rng.uniform(-SPREAD_LNG, SPREAD_LNG), 6)
                parcels = rng.choice((1, 1, 1, 2, 3))
                started = time.perf_counter()
                client.get("/health").raise_for_status()
                health_s = time.perf_counter() - started
                started = time.perf_counter()
                response = client.get(
                    "/slots", params={"lat": lat, "lng": lng, "parcels": parcels}, headers=headers
                )
                slots_s = time.perf_counter() - started
                response.raise_for_status()
                if k < 0:
                    continue
                today, tomorrow = response.json()["days"]
                samples.append(
                    Sample(
                        request=k,
                        lat=lat,
                        lng=lng,
                        parcels=parcels,
                        slots_s=slots_s,
                        health_s=health_s,
                        offered_today=sum(s["available"] for s in today["slots"]),
                        offered_tomorrow=sum(s["available"] for s in tomorrow["slots"]),
                    )
                )
                progress.advance(task)
    return samples


def report(console: Console, samples: list[Sample], *, routes: int) -> None:
    table = Table(title=f"GET /slots on the planned demo day ({routes} routes), at 09:30")
    for column in ("", "p50", "p95", "max"):
        table.add_column(column, justify="right")
    for name, label in (("slots_s", "GET /slots (ms)"), ("health_s", "GET /health (ms)")):
        values = [getattr(s, name) for s in samples]
        table.add_row(
            label,
            f"{percentile(values, 0.5) * 1000:.0f}",
            f"{percentile(values, 0.95) * 1000:.0f}",
            f"{max(values) * 1000:.0f}",
        )
    console.print(table)
    slots_p95 = percentile([s.slots_s for s in samples], 0.95)
    ratio = percentile([s.slots_s for s in samples], 0.5) / percentile(
        [s.health_s for s in samples], 0.5
    )
    console.print(
        f"{len(samples)} addresses; p95 {slots_p95 * 1000:.0f} ms "
        f"(target <= {TARGET_P95_S * 1000:.0f} ms); p50 x{ratio:.0f} of GET /health; windows "
        f"offered per address: today {statistics.mean(s.offered_today for s in samples):.1f}, "
        f"next day {statistics.mean(s.offered_tomorrow for s in samples):.1f}"
    )


def write(samples: list[Sample], *, routes: int) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    base = RESULTS_DIR / f"slots_{stamp()}"
    write_csv(base.with_suffix(".csv"), samples)
    latencies = [s.slots_s for s in samples]
    health = [s.health_s for s in samples]
    summary = {
        "machine": machine(),
        "routes": routes,
        "requests": len(samples),
        "slots_p50_s": percentile(latencies, 0.5),
        "slots_p95_s": percentile(latencies, 0.95),
        "slots_max_s": max(latencies),
        "health_p50_s": percentile(health, 0.5),
        "health_p95_s": percentile(health, 0.95),
        "target_p95_s": TARGET_P95_S,
        "offered_today_mean": statistics.mean(s.offered_today for s in samples),
        "offered_tomorrow_mean": statistics.mean(s.offered_tomorrow for s in samples),
    }
    base.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    Console().print(f"results: {shown(base.with_suffix('.csv'))}, .json")


if __name__ == "__main__":
    sys.exit(main())
