"""Load on a served API over loopback: position pings, batched ingest, tracking-page reads while
pings go on, order intake with idempotency keys, pings while the whole day is being solved, and
300 open live-event streams while pings go on, each at a fixed arrival rate.

A fresh database (a temporary SQLite file, or a schema of its own on the PostgreSQL server of
`--database-url`) is migrated and seeded with the demo day (320 orders); `sameday serve` runs
it in processes of its own (on PostgreSQL two per core, see API_PROCESSES_PER_CORE), and with
`--redis-url` the production profile's `sameday worker` solves the plans. An asyncio client
sends requests at the scenario's rate whether or not the earlier ones have been answered (an
open loop: a slow server shows as latency, not as a lower rate). GET /health at 5/s during
every scenario is the same-run baseline. The first scenario plans the day while pings go on;
the plan is then published and every courier departs, so that the pings of the later scenarios
move live routes (position events, ETA refreshes).

    python -m benchmarks.load                                   # SQLite, 15 s per scenario
    python -m benchmarks.load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --redis-url redis://127.0.0.1:6379/0

The SQLite profile runs at a third of the rates (one writer at a time). With `--check` the run
fails when a p95 is more than 20 % above the last recorded run of the same profile.

Beside the latencies, the cores each party used during each scenario (the API processes, the
worker, PostgreSQL, the load client): on a shared machine the latencies swing from run to run,
the CPU a scenario took much less, and it shows whether the server was saturated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from rich.console import Console
from rich.table import Table

from benchmarks import load_streams, process_cpu
from benchmarks.load_world import (
    Profile,
    World,
    database,
    publish_and_depart,
    request_plan,
    seed,
    served,
    sign_in,
    wait_for_plan,
)
from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp, write_csv
from benchmarks.replan import percentile
from routing.instances.city import KM_PER_DEG_LAT

BATCH_POINTS = 50
# How fast the couriers of the load move (about 29 km/h).
SPEED_M_S = 8.0
NAN = float("nan")
WARM_UP_S = 2.0
REGRESSION = 1.2
# A process runs Python on one core at a time (the GIL), and a request's thread waits for it
# after every answer of the database: with one process per core, a ping waited behind the
# other requests' Python while the core sat half idle (p95 0.9 s at 60 pings/s, 1.1 cores in
# use); with two per core it is served at once (p95 57 ms, 0.9 cores).
API_PROCESSES_PER_CORE = 2
# Requests per second at full rate (PostgreSQL); the SQLite profile runs at a third.
TARGETS: dict[str, dict[str, float]] = {
    "pings_while_solving": {"pings": 60},
    "pings": {"pings": 60},
    "batched_pings": {"batched_pings": 1500 / BATCH_POINTS},
    "track_reads": {"track_reads": 150, "pings": 60},
    "order_intake": {"order_intake": 20},
    "live_streams": {"pings": 60},
}
# Scenarios that need the published, departed day: they run after the solving one.
SOLVING = "pings_while_solving"
P95_TARGET_MS = {"pings": 150, "track_reads": 100}
P95_WHILE_SOLVING_MS = 300


def p95_target_ms(scenario: str, request: str) -> float | None:
    """The issue's p95 bound of a request in a scenario, if it sets one."""
    if scenario == SOLVING and request == "pings":
        return P95_WHILE_SOLVING_MS
    return P95_TARGET_MS.get(request)


@dataclass
class Samples:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, started: float, ok: bool) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.errors += 0 if ok else 1


@dataclass(frozen=True)
class Row:
    profile: str
    scenario: str
    request: str
    rate_per_s: float
    sent: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_rate: float


# The parties whose CPU a run reports, as the results name them.
PARTIES = ("api", "worker", "postgresql", "load_client")


@dataclass(frozen=True)
class CpuRow:
    """The cores each party used on average during a measured scenario; None where the party
    is not in the profile or CPU times cannot be read (only on Linux)."""

    scenario: str
    api_cores: float | None
    worker_cores: float | None
    postgresql_cores: float | None
    load_client_cores: float | None
    total_cores: float | None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server; default a temporary SQLite")
    parser.add_argument(
        "--redis-url", help="Redis of the production profile: live relay, caches, Celery solves"
    )
    parser.add_argument(
        "--workers", type=int, help="API processes; default two per core on PostgreSQL"
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument("--scenarios", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument(
        "--scale", type=float, help="rates and streams times this; default 1, on SQLite 1/3"
    )
    parser.add_argument("--check", action="store_true", help="fail on a regression over 20 %%")
    args = parser.parse_args()
    console = Console(width=130)
    scenarios = args.scenarios.split(",")
    unknown = sorted(set(scenarios) - set(TARGETS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(TARGETS)}")
    with tempfile.TemporaryDirectory() as scratch:
        url, name, cleanup = database(args.database_url, Path(scratch))
        workers = args.workers or (
            1 if name == "sqlite" else API_PROCESSES_PER_CORE * (os.cpu_count() or 1)
        )
        profile = Profile(name, url, workers, args.redis_url)
        scale = args.scale = args.scale or _default_scale(name)
        try:
            console.print(f"{name}: seeding the demo day ...")
            world_seed = seed(url)
            server = served(profile)
            with server as base:
                world = asyncio.run(sign_in(base, world_seed))
                groups = _cpu_groups(profile, server.pids)
                rows, cpu = _run(console, world, profile, scenarios, args.duration, scale, groups)
        finally:
            cleanup()
    _show(console, rows)
    _show_cpu(console, cpu)
    path = _write(profile, rows, cpu, args)
    console.print(f"results: {shown(path)}")
    if args.check:
        return _check(console, profile.name, args.scale, rows, path)
    return 0


def _default_scale(profile: str) -> float:
    """SQLite lets one writer through at a time: its profile runs at a third of the rates."""
    return 1 / 3 if profile == "sqlite" else 1.0


def _cpu_groups(profile: Profile, pids: dict[str, int]) -> dict[str, process_cpu.Members]:
    """The processes of each party: the sessions of `sameday serve` (with the API processes
    it started) and `sameday worker`, every PostgreSQL server process on this machine (other
    clients' too), and this process."""
    groups = {party: process_cpu.Members(session=pid) for party, pid in pids.items()}
    if profile.name == "postgresql":
        groups["postgresql"] = process_cpu.Members(command="postgres")
    groups["load_client"] = process_cpu.Members(pid=os.getpid())
    return groups


def _run(
    console: Console,
    world: World,
    profile: Profile,
    scenarios: list[str],
    duration_s: float,
    scale: float,
    groups: dict[str, process_cpu.Members],
) -> tuple[list[Row], list[CpuRow]]:
    rows: list[Row] = []
    cpu: list[CpuRow] = []

    def measured(scenario: str) -> None:
        console.print(f"{profile.name}: {scenario} for {duration_s:.0f} s ...")
        before, started = process_cpu.snapshot(groups), time.perf_counter()
        rows.extend(asyncio.run(_scenario(world, profile.name, scenario, duration_s, scale)))
        wall_s = time.perf_counter() - started
        cores = process_cpu.cores_used(before, process_cpu.snapshot(groups), wall_s)
        cpu.append(_cpu_row(scenario, cores))

    # Warm-up, not recorded: the first requests of a process pay for imports and connections.
    asyncio.run(_scenario(world, profile.name, "pings", WARM_UP_S, scale))
    # The day is planned while pings go on (recorded or not), then published and departed.
    time_limit_s = max(5, round(duration_s))
    job_id = request_plan(world, time_limit_s)
    if SOLVING in scenarios:
        measured(SOLVING)
        job = httpx.get(f"{world.url}/plan-jobs/{job_id}", headers=world.dispatcher()).json()
        console.print(f"  the plan job was {job['status']} when the pings ended")
    plan_id = int(wait_for_plan(world, job_id, time_limit_s)["plan_id"])
    console.print(f"  published; {publish_and_depart(world, plan_id)} routes departed")
    for scenario in (s for s in scenarios if s != SOLVING):
        # Warm-up, not recorded, right before: first requests pay for imports and cold caches
        # (the tracking pages' ETAs, kept 30 s, had expired by the time their scenario came
        # when every warm-up ran first, and their projection at once was the scenario's p95).
        asyncio.run(_scenario(world, profile.name, scenario, WARM_UP_S, scale))
        measured(scenario)
    return rows, cpu


def _cpu_row(scenario: str, cores: dict[str, float]) -> CpuRow:
    """None for a party the run has no group of, and where CPU times could not be read."""
    found = {
        party: None if math.isnan(cores.get(party, NAN)) else round(cores[party], 3)
        for party in PARTIES
    }
    measured = [c for c in found.values() if c is not None]
    return CpuRow(
        scenario,
        api_cores=found["api"],
        worker_cores=found["worker"],
        postgresql_cores=found["postgresql"],
        load_client_cores=found["load_client"],
        total_cores=round(sum(measured), 3) if measured else None,
    )


def _ping_at(world: World, courier: int, at: datetime) -> dict[str, Any]:
    """Where the courier's phone was at `at`: each courier drives north from a start of their
    own at SPEED_M_S, so every ping's position follows from its device time, and pings sent
    one by one, in batches or late make one plausible track. (Counting positions by pings
    sent instead put a courier kilometres ahead after the batched scenario, and every later
    ping was refused as an implausible jump: they moved no route.)"""
    lat, lng = world.depot
    moved_m = SPEED_M_S * (at - world.started).total_seconds()
    return {
        "device_at": at.isoformat(),
        "lat": lat + 0.001 * courier + moved_m / 1000 / KM_PER_DEG_LAT,
        "lng": lng,
    }


# One request of a kind, the n-th of its scenario: whether the server answered it as it should.
Send = Callable[[int], Awaitable[bool]]


@dataclass
class Clients:
    """The load's HTTP clients (aiohttp: a client that costs the machine little per request,
    so that the server, not the load, is what is measured)."""

    # The dispatcher's tools and the health baseline: connections kept open and shared.
    shared: aiohttp.ClientSession
    # Each courier's phone: one connection of its own, its pings sent one after another.
    phones: list[aiohttp.ClientSession]
    # Customers' browsers: a new connection for each tracking page.
    browsers: aiohttp.ClientSession


@contextlib.asynccontextmanager
async def _clients(world: World) -> AsyncIterator[Clients]:
    timeout = aiohttp.ClientTimeout(total=30)

    def session(connector: aiohttp.TCPConnector) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(base_url=world.url, timeout=timeout, connector=connector)

    async with contextlib.AsyncExitStack() as stack:
        shared = await stack.enter_async_context(session(aiohttp.TCPConnector(limit=0)))
        phones = [
            await stack.enter_async_context(session(aiohttp.TCPConnector(limit=1)))
            for _ in world.courier_tokens
        ]
        browsers = await stack.enter_async_context(
            session(aiohttp.TCPConnector(limit=0, force_close=True))
        )
        yield Clients(shared, phones, browsers)


async def _answered(response: aiohttp.ClientResponse, status: int) -> bool:
    # Read to the end: the connection is then free for the next request.
    await response.read()
    return response.status == status


def _requests(world: World, clients: Clients) -> dict[str, Send]:
    """Each request kind as its sender sends it."""

    async def ping(n: int, points: int = 1) -> bool:
        courier = n % len(world.courier_tokens)
        now = datetime.now(UTC)
        # A batch: the positions of the last `points` hundredths of a second, in order.
        taken = [now - timedelta(seconds=(points - 1 - k) * 0.01) for k in range(points)]
        body = {"pings": [_ping_at(world, courier, at) for at in taken]}
        async with clients.phones[courier].post(
            "/courier/me/pings",
            json=body,
            headers={"Authorization": f"Bearer {world.courier_tokens[courier]}"},
        ) as answer:
            return await _answered(answer, 200)

    async def batched(n: int) -> bool:
        return await ping(n, BATCH_POINTS)

    async def track(n: int) -> bool:
        code = world.codes[n % len(world.codes)]
        async with clients.browsers.get(f"/track/{code}") as answer:
            return await _answered(answer, 200)

    async def order(n: int) -> bool:
        key = f"load-{stamp()}-{n}"
        lat, lng = world.depot
        body = {
            "reference": key,
            "recipient": {"name": f"Load Test {n}"},
            "lat": lat + 0.01 * (n % 7),
            "lng": lng + 0.01 * (n % 5),
            "parcels": [{"weight_kg": 1.5}],
        }
        async with clients.shared.post(
            "/orders",
            json=body,
            headers={
                "Authorization": f"Bearer {world.dispatcher_token}",
                "Idempotency-Key": key,
            },
        ) as answer:
            return await _answered(answer, 201)

    async def health(_n: int) -> bool:
        async with clients.shared.get("/health") as answer:
            return await _answered(answer, 200)

    return {
        "pings": ping,
        "batched_pings": batched,
        "track_reads": track,
        "order_intake": order,
        "health": health,
    }


async def _scenario(
    world: World, profile: str, scenario: str, duration_s: float, scale: float
) -> list[Row]:
    rates = {name: rate * scale for name, rate in TARGETS[scenario].items()} | {"health": 5.0}
    samples = {name: Samples() for name in rates}
    async with _clients(world) as clients:
        requests = _requests(world, clients)

        async def one(name: str, n: int) -> None:
            started = time.perf_counter()
            try:
                ok = await requests[name](n)
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            samples[name].add(started, ok)

        async def arrivals(name: str, rate: float) -> None:
            # Open loop: the k-th request leaves at k / rate whatever became of the others.
            tasks = []
            begin = time.perf_counter()
            for n in range(int(duration_s * rate)):
                delay = begin + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(name, n)))
            await asyncio.gather(*tasks)

        async def load() -> None:
            await asyncio.gather(*(arrivals(name, rate) for name, rate in rates.items()))

        if scenario != "live_streams":
            await load()
        else:
            streams = round(load_streams.STREAMS * scale)
            samples |= await _with_streams(world, load, duration_s, streams)
            rates |= {name: 0.0 for name in samples if name not in rates}
    return [_row(profile, scenario, name, rates[name], s) for name, s in samples.items()]


async def _with_streams(
    world: World, load: Callable[[], Awaitable[None]], duration_s: float, streams: int
) -> dict[str, Samples]:
    """Runs `load` while `streams` dispatcher pages hold their live streams open; then opens
    as many again, which the server refuses (503) if the closed ones still took places."""
    async with load_streams.streams_open(world, duration_s, streams) as held:
        await load()
    async with load_streams.streams_open(world, 1.0, streams) as again:
        pass
    found = {}
    for name, figures in (("stream_open", held), ("stream_reopen", again)):
        found[name] = Samples(figures.open_ms, figures.refused)
    found["event_delivery"] = Samples(held.delivery_ms)
    return found


def _row(profile: str, scenario: str, name: str, rate: float, s: Samples) -> Row:
    if not s.latencies_ms:
        # Nothing arrived (no event reached a page): a row of its own, not a crash.
        return Row(profile, scenario, name, round(rate, 1), 0, NAN, NAN, NAN, 0.0)
    return Row(
        profile,
        scenario,
        name,
        round(rate, 1),
        len(s.latencies_ms),
        round(percentile(s.latencies_ms, 0.50), 1),
        round(percentile(s.latencies_ms, 0.95), 1),
        round(percentile(s.latencies_ms, 0.99), 1),
        round(s.errors / max(1, len(s.latencies_ms)), 4),
    )


def _show(console: Console, rows: list[Row]) -> None:
    table = Table(title="Load over loopback (open loop; health at 5/s is the baseline)")
    for column in ("profile", "scenario", "request", "rate/s", "sent", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right" if "ms" in column or "/" in column else "left")
    table.add_column("p99 ms", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("p95 target", justify="right")
    for r in rows:
        table.add_row(
            r.profile,
            r.scenario,
            r.request,
            f"{r.rate_per_s:g}",
            str(r.sent),
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{100 * r.error_rate:.1f} %",
            _against_target(r),
        )
    console.print(table)


def _show_cpu(console: Console, cpu: list[CpuRow]) -> None:
    table = Table(title=f"CPU during each scenario (cores; the machine has {os.cpu_count()})")
    table.add_column("scenario")
    for column in ("API", "worker", "PostgreSQL", "load client", "total"):
        table.add_column(column, justify="right")
    for c in cpu:
        figures = (c.api_cores, c.worker_cores, c.postgresql_cores, c.load_client_cores)
        table.add_row(
            c.scenario, *("" if f is None else f"{f:.2f}" for f in (*figures, c.total_cores))
        )
    console.print(table)


def _against_target(row: Row) -> str:
    target = p95_target_ms(row.scenario, row.request)
    if target is None:
        return ""
    return f"{target:g} {'met' if row.p95_ms <= target else '[red]missed[/]'}"


def _write(profile: Profile, rows: list[Row], cpu: list[CpuRow], args: argparse.Namespace) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"load_{profile.name}_{stamp()}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "load",
                "profile": profile.name,
                "api_processes": profile.workers,
                "redis_and_celery": profile.redis_url is not None,
                "duration_s": args.duration,
                "scale": args.scale,
                "machine": machine(),
                "rows": [asdict(r) for r in rows],
                "cpu": [asdict(c) for c in cpu],
            },
            indent=2,
        )
    )
    write_csv(path.with_suffix(".csv"), rows)
    return path


def _check(console: Console, profile: str, scale: float, rows: list[Row], written: Path) -> int:
    """1 when a request's p95 is more than 20 % above the last recorded run of the profile at
    the same scale."""
    earlier = []
    for path in sorted(RESULTS_DIR.glob(f"load_{profile}_*.json")):
        found = json.loads(path.read_text())
        if path != written and found.get("scale", _default_scale(profile)) == scale:
            earlier.append(found)
    if not earlier:
        console.print("no earlier run of this profile at this scale to compare with")
        return 0
    before = {(r["scenario"], r["request"]): r["p95_ms"] for r in earlier[-1]["rows"]}
    worse = [
        f"{r.scenario}/{r.request}: p95 {r.p95_ms} ms against {before[(r.scenario, r.request)]}"
        for r in rows
        if (r.scenario, r.request) in before
        and r.p95_ms > REGRESSION * before[(r.scenario, r.request)]
    ]
    for line in worse:
        console.print(f"[red]regression[/] {line}")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
