"""Load on a served API over loopback: position pings, batched ingest, tracking-page reads while
pings go on, and order intake with idempotency keys, each at a fixed arrival rate.

A fresh database (a temporary SQLite file, or a schema of its own on the PostgreSQL server of
`--database-url`) is migrated and seeded with the demo day; `sameday serve` runs it in a process
of its own, and an asyncio client sends requests at the scenario's rate whether or not the
earlier ones have been answered (an open loop: a slow server shows as latency, not as a lower
rate). GET /health at 5/s during every scenario is the same-run baseline.

    python -m benchmarks.load                                   # SQLite, 15 s per scenario
    python -m benchmarks.load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The SQLite profile runs at a third of the rates (one writer at a time). With `--check` the run
fails when a p95 is more than 20 % above the last recorded run of the same profile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp, write_csv
from benchmarks.replan import percentile
from dispatch.demo_day import DEMO_TIMEZONE, seed_demo
from infra.db import is_sqlite, make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import Order
from infra.settings import Settings

BATCH_POINTS = 50
WARM_UP_S = 2.0
REGRESSION = 1.2
# Requests per second at full rate (PostgreSQL); the SQLite profile runs at a third.
TARGETS: dict[str, dict[str, float]] = {
    "pings": {"pings": 60},
    "batched_pings": {"batched_pings": 1500 / BATCH_POINTS},
    "track_reads": {"track_reads": 150, "pings": 60},
    "order_intake": {"order_intake": 20},
}
P95_TARGET_MS = {"pings": 150, "track_reads": 100}


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


@dataclass
class World:
    url: str
    courier_tokens: list[str]
    dispatcher_token: str
    codes: list[str]
    depot: tuple[float, float]
    courier_step: dict[int, int] = field(default_factory=dict)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server; default a temporary SQLite")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument("--scenarios", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--check", action="store_true", help="fail on a regression over 20 %")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as scratch:
        url, profile, cleanup = _database(args.database_url, Path(scratch))
        try:
            world_seed = _seed(url)
            with _served(url) as base:
                world = asyncio.run(_sign_in(base, world_seed))
                scenarios = args.scenarios.split(",")
                for scenario in scenarios:
                    # Warm-up, not recorded: first requests pay for imports and cold caches.
                    asyncio.run(_scenario(world, profile, scenario, WARM_UP_S))
                rows = []
                for scenario in scenarios:
                    console.print(f"{profile}: {scenario} for {args.duration:.0f} s ...")
                    rows += asyncio.run(_scenario(world, profile, scenario, args.duration))
        finally:
            cleanup()
    _show(console, rows)
    path = _write(profile, rows, args)
    console.print(f"results: {shown(path)}")
    if args.check:
        return _check(console, profile, rows, path)
    return 0


def _database(server: str | None, scratch: Path) -> tuple[str, str, Callable[[], None]]:
    if server is None or is_sqlite(server):
        return f"sqlite:///{scratch / 'load.sqlite3'}", "sqlite", lambda: None
    schema = f"sameday_load_{secrets.token_hex(4)}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), "postgresql", drop


@dataclass(frozen=True)
class Seeded:
    logins: list[tuple[str, str, str]]  # username, password, role
    codes: list[str]
    depot: tuple[float, float]


def _seed(url: str) -> Seeded:
    settings = Settings(_env_file=None, database={"url": url})
    upgrade(settings)
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session, session.begin():
            zone = ZoneInfo(DEMO_TIMEZONE)
            seeded = seed_demo(session, day=datetime.now(zone).date(), zone=zone)
            orders = session.scalars(select(Order)).all()
            codes = [o.tracking_code for o in orders]
            depot = (orders[0].lat, orders[0].lng)
    finally:
        engine.dispose()
    return Seeded([(x.username, x.password, x.role.value) for x in seeded.logins], codes, depot)


class _served:
    """`sameday serve` on a free port in a process of its own, for the `with` block."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        env = os.environ | {
            "SAMEDAY_DATABASE_URL": self._url,
            "SAMEDAY_SECURITY_SECRET_KEY": secrets.token_urlsafe(32),
            "SAMEDAY_LOG_LEVEL": "WARNING",
        }
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import app; app()", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the server did not answer /health within 60 s")

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)


async def _sign_in(base: str, seeded: Seeded) -> World:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def token(username: str, password: str) -> str:
            answer = await client.post(
                "/auth/token", data={"username": username, "password": password}
            )
            answer.raise_for_status()
            return str(answer.json()["access_token"])

        couriers = [token(u, p) for u, p, role in seeded.logins if role == "courier"]
        dispatcher = next((u, p) for u, p, role in seeded.logins if role == "dispatcher")
        return World(
            base,
            list(await asyncio.gather(*couriers)),
            await token(*dispatcher),
            seeded.codes,
            seeded.depot,
        )


def _pings(world: World, courier: int, count: int) -> dict[str, Any]:
    """The courier's next `count` positions, a few metres apart, timed now."""
    step = world.courier_step.get(courier, 0)
    world.courier_step[courier] = step + count
    now = datetime.now(UTC)
    lat, lng = world.depot
    return {
        "pings": [
            {
                "device_at": now.isoformat(),
                "lat": lat + 0.00002 * (step + k) + 0.001 * courier,
                "lng": lng,
            }
            for k in range(count)
        ]
    }


def _requests(world: World) -> dict[str, Callable[[httpx.AsyncClient, int], Awaitable[bool]]]:
    async def ping(client: httpx.AsyncClient, n: int, points: int = 1) -> bool:
        courier = n % len(world.courier_tokens)
        body = _pings(world, courier, points)
        if points > 1:
            # Spread over the last `points` seconds: one batch, one courier, in order.
            now = time.time()
            for k, item in enumerate(body["pings"]):
                item["device_at"] = datetime.fromtimestamp(
                    now - (points - k) * 0.01, UTC
                ).isoformat()
        answer = await client.post(
            "/courier/me/pings",
            json=body,
            headers={"Authorization": f"Bearer {world.courier_tokens[courier]}"},
        )
        return answer.status_code == 200

    async def batched(client: httpx.AsyncClient, n: int) -> bool:
        return await ping(client, n, BATCH_POINTS)

    async def track(client: httpx.AsyncClient, n: int) -> bool:
        answer = await client.get(f"/track/{world.codes[n % len(world.codes)]}")
        return answer.status_code == 200

    async def order(client: httpx.AsyncClient, n: int) -> bool:
        key = f"load-{stamp()}-{n}"
        lat, lng = world.depot
        body = {
            "reference": key,
            "recipient": {"name": f"Load Test {n}"},
            "lat": lat + 0.01 * (n % 7),
            "lng": lng + 0.01 * (n % 5),
            "parcels": [{"weight_kg": 1.5}],
        }
        answer = await client.post(
            "/orders",
            json=body,
            headers={
                "Authorization": f"Bearer {world.dispatcher_token}",
                "Idempotency-Key": key,
            },
        )
        return answer.status_code == 201

    async def health(client: httpx.AsyncClient, _n: int) -> bool:
        return (await client.get("/health")).status_code == 200

    return {
        "pings": ping,
        "batched_pings": batched,
        "track_reads": track,
        "order_intake": order,
        "health": health,
    }


async def _scenario(world: World, profile: str, scenario: str, duration_s: float) -> list[Row]:
    scale = 1 / 3 if profile == "sqlite" else 1.0
    rates = {name: rate * scale for name, rate in TARGETS[scenario].items()} | {"health": 5.0}
    requests = _requests(world)
    samples = {name: Samples() for name in rates}
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=world.url, timeout=30, limits=limits) as client:

        async def one(name: str, n: int) -> None:
            started = time.perf_counter()
            try:
                ok = await requests[name](client, n)
            except httpx.HTTPError:
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

        await asyncio.gather(*(arrivals(name, rate) for name, rate in rates.items()))
    return [
        Row(
            profile,
            scenario,
            name,
            round(rates[name], 1),
            len(s.latencies_ms),
            round(percentile(s.latencies_ms, 0.50), 1),
            round(percentile(s.latencies_ms, 0.95), 1),
            round(percentile(s.latencies_ms, 0.99), 1),
            round(s.errors / max(1, len(s.latencies_ms)), 4),
        )
        for name, s in samples.items()
    ]


def _show(console: Console, rows: list[Row]) -> None:
    table = Table(title="Load over loopback (open loop; health at 5/s is the baseline)")
    for column in ("profile", "scenario", "request", "rate/s", "sent", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right" if "ms" in column or "/" in column else "left")
    table.add_column("p99 ms", justify="right")
    table.add_column("errors", justify="right")
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
        )
    console.print(table)


def _write(profile: str, rows: list[Row], args: argparse.Namespace) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"load_{profile}_{stamp()}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "load",
                "profile": profile,
                "duration_s": args.duration,
                "machine": machine(),
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
    )
    write_csv(path.with_suffix(".csv"), rows)
    return path


def _check(console: Console, profile: str, rows: list[Row], written: Path) -> int:
    """1 when a request's p95 is more than 20 % above the last recorded run of the profile."""
    earlier = sorted(p for p in RESULTS_DIR.glob(f"load_{profile}_*.json") if p != written)
    if not earlier:
        console.print("no earlier run of this profile to compare with")
        return 0
    before = {
        (r["scenario"], r["request"]): r["p95_ms"]
        for r in json.loads(earlier[-1].read_text())["rows"]
    }
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
