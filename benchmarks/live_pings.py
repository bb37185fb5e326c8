"""Ping ingest with its live events: what one batch costs with the ETA and lateness refresh, and
how soon its events reach an open stream.

The demo day under way at 11:00 (the setup of `benchmarks.replan`: 20 routes, a third of each
route's stops done). Each round sends every courier one ping batch, recorded exactly as
`POST /courier/me/pings` records it (plausibility, storage, the position event, the route's ETAs
and lateness) and committed; the same batches without the refresh are the same-run baseline.
Then, with a stream reader of the process open, the time from a batch's commit to its events
reaching the stream (the in-process wake-up; another process's events come with the poll).

    python -m benchmarks.live_pings
    python -m benchmarks.live_pings --rounds 20 --points 10 --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import anyio
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.live_hub import LiveHub, StreamFilter
from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp
from benchmarks.replan import DAY, at, percentile, seed_day
from dispatch import plans
from infra import live_events
from infra.db import make_engine, make_session_factory
from infra.live_signal import LiveSignal
from infra.migrate import upgrade
from infra.models import Order, Route
from infra.settings import LiveSettings, Settings, TrackingSettings
from tracking import pings
from tracking.plausibility import Limits
from tracking.stop_events import progress_of
from tracking.stop_states import is_done

# Seconds between two batches of one courier (device time), and the step towards the next stop.
BATCH_EVERY_S = 20
STEP_DEG = 0.0002


@dataclass(frozen=True)
class Timings:
    work_ms: list[float]
    committed_ms: list[float]
    # CPU time of the work before the commit: what a batch costs when the machine is busy with
    # other things too (wall times then measure the queue for the CPU as well).
    work_cpu_ms: list[float]


class Couriers:
    """Each courier's position, moved a little towards their next stop with every batch."""

    def __init__(self, sessions: sessionmaker[Session], plan_id: int) -> None:
        self.positions: dict[int, tuple[float, float]] = {}
        self.targets: dict[int, tuple[float, float]] = {}
        with sessions() as session:
            plan = plans.get_plan(session, plan_id)
            progress = progress_of(session, [s.id for r in plan.routes for s in r.stops])
            for route in plan.routes:
                upcoming = next(s for s in route.stops if not is_done(progress[s.id].state))
                order = session.get_one(Order, upcoming.order_id)
                latest = pings.latest_position(session, route.courier_id or 0)
                assert latest is not None
                self.positions[route.courier_id or 0] = (latest.lat, latest.lng)
                self.targets[route.courier_id or 0] = (order.lat, order.lng)

    def batch(self, courier_id: int, at: datetime, points: int) -> list[pings.PingIn]:
        lat, lng = self.positions[courier_id]
        target_lat, _ = self.targets[courier_id]
        found = []
        for k in range(points):
            lat += STEP_DEG / points if target_lat > lat else -STEP_DEG / points
            device_at = at - timedelta(seconds=BATCH_EVERY_S * (points - 1 - k) / points)
            found.append(pings.PingIn(device_at, lat, lng))
        self.positions[courier_id] = (lat, lng)
        return found


def ingest(
    sessions: sessionmaker[Session],
    couriers: Couriers,
    *,
    rounds: int,
    first_round: int,
    points: int,
    eta_settings: TrackingSettings | None,
) -> Timings:
    """Milliseconds per batch, each recorded and committed in a transaction of its own: the
    work before the commit, and with the commit (on SQLite mostly the disk's sync)."""
    limits = Limits.of(TrackingSettings())
    work, total, cpu = [], [], []
    for k in range(first_round, first_round + rounds):
        device_at = at(11) + timedelta(seconds=BATCH_EVERY_S * k)
        for courier_id in couriers.positions:
            batch = couriers.batch(courier_id, device_at, points)
            started, started_cpu = time.perf_counter(), time.thread_time()
            with sessions() as session, session.begin():
                pings.record_pings(
                    session,
                    courier_id,
                    batch,
                    now=device_at + timedelta(seconds=1),
                    limits=limits,
                    eta_settings=eta_settings,
                )
                session.flush()
                work.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - started_cpu) * 1000)
            total.append((time.perf_counter() - started) * 1000)
    return Timings(work, total, cpu)


def wake_up_ms(
    sessions: sessionmaker[Session], couriers: Couriers, *, samples: int, first_round: int
) -> list[float]:
    """From a batch's commit to its position event in a stream of the same process."""
    signal = LiveSignal()
    live_events.ring_after_commit(sessions, signal.ring)
    # A slow poll: only the wake-up after the commit can bring the events in time.
    hub = LiveHub(sessions, signal, LiveSettings(poll_s=30))
    courier_id = next(iter(couriers.positions))
    committed_at: list[float] = []

    def commit(k: int) -> None:
        device_at = at(11) + timedelta(seconds=BATCH_EVERY_S * (first_round + k))
        with sessions() as session, session.begin():
            pings.record_pings(
                session,
                courier_id,
                couriers.batch(courier_id, device_at, 1),
                now=device_at + timedelta(seconds=1),
                limits=Limits.of(TrackingSettings()),
                eta_settings=TrackingSettings(),
            )
        committed_at.append(time.perf_counter())

    async def measure() -> list[float]:
        subscription = await hub.subscribe(StreamFilter(DAY))
        found = []
        try:
            for k in range(samples):
                await anyio.to_thread.run_sync(commit, k)
                while True:
                    events = await subscription.take(5)
                    assert events, "no event within 5 s"
                    if any(e.record.kind == "position" for e in events):
                        break
                found.append((time.perf_counter() - committed_at[-1]) * 1000)
        finally:
            hub.unsubscribe(subscription)
        return found

    return asyncio.run(measure())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="batches per courier")
    parser.add_argument("--points", type=int, default=1, help="pings per batch")
    parser.add_argument("--plan-time", type=int, default=10)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    console = Console()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'live-bench.sqlite3'}"
        db_settings = Settings(_env_file=None, database={"url": url})
        upgrade(db_settings)
        engine = make_engine(db_settings)
        sessions = make_session_factory(engine)
        console.print(f"Seeding and planning the demo day ({args.plan_time} s search)...")
        plan_id = seed_day(sessions, plan_s=args.plan_time)
        couriers = Couriers(sessions, plan_id)
        with sessions() as session:
            stops = sum(len(r.stops) for r in session.scalars(select(Route)))
        with_refresh = ingest(
            sessions,
            couriers,
            rounds=args.rounds,
            first_round=0,
            points=args.points,
            eta_settings=TrackingSettings(),
        )
        without = ingest(
            sessions,
            couriers,
            rounds=args.rounds,
            first_round=args.rounds,
            points=args.points,
            eta_settings=None,
        )
        wake_ms = wake_up_ms(sessions, couriers, samples=20, first_round=2 * args.rounds)
        engine.dispose()
    table = Table(
        title=f"Ping batches of {args.points} point(s), {len(couriers.positions)} couriers, "
        f"{stops} stops under way ({engine.dialect.name})"
    )
    for column in ("ms per batch", "p50", "p95", "max"):
        table.add_column(column, justify="right")
    rows = {
        "with ETA refresh, before commit": with_refresh.work_ms,
        "with ETA refresh, before commit, CPU": with_refresh.work_cpu_ms,
        "with ETA refresh, committed": with_refresh.committed_ms,
        "pings only, before commit": without.work_ms,
        "pings only, before commit, CPU": without.work_cpu_ms,
        "pings only, committed": without.committed_ms,
    }
    for name, values in rows.items():
        table.add_row(
            name,
            f"{percentile(values, 0.5):.1f}",
            f"{percentile(values, 0.95):.1f}",
            f"{max(values):.1f}",
        )
    table.add_row(
        "commit -> open stream",
        f"{percentile(wake_ms, 0.5):.1f}",
        f"{percentile(wake_ms, 0.95):.1f}",
        f"{max(wake_ms):.1f}",
    )
    console.print(table)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"live_pings_{stamp()}.json"
    summary = {
        "machine": machine(),
        "database": engine.dialect.name,
        "points_per_batch": args.points,
        "batches": len(with_refresh.work_ms),
        **{
            name.replace(", ", "_").replace(" ", "_") + "_ms": _summary(values)
            for name, values in rows.items()
        },
        "commit_to_stream_ms": _summary(wake_ms),
    }
    path.write_text(json.dumps(summary, indent=2))
    console.print(f"results: {shown(path)}")
    return 0


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "max": max(values)}


if __name__ == "__main__":
    sys.exit(main())
