"""The served world of the load benchmark: a fresh database with the demo day, `sameday serve`
(and, in the production profile, `sameday worker`) in processes of their own, signed-in users,
and the day planned, published and departed so that pings drive live routes."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from dispatch.demo_day import DEMO_TIMEZONE, seed_demo
from infra.db import is_sqlite, make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import Order
from infra.settings import Settings

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
# A plan job of the whole demo day must be done within its time limit plus this.
PLAN_MARGIN_S = 120.0


@dataclass(frozen=True)
class Profile:
    """What serves the load: the database, API processes, and Redis with Celery workers
    (the production profile) or solves in the API process (the embedded one)."""

    name: str
    database_url: str
    workers: int
    redis_url: str | None


@dataclass(frozen=True)
class Seeded:
    logins: list[tuple[str, str, str]]  # username, password, role
    codes: list[str]
    depot: tuple[float, float]
    day: str


@dataclass
class World:
    url: str
    courier_tokens: list[str]
    dispatcher_token: str
    codes: list[str]
    depot: tuple[float, float]
    day: str
    # When the couriers' load starts: their positions count from here (benchmarks.load).
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def dispatcher(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.dispatcher_token}"}


def database(server: str | None, scratch: Path) -> tuple[str, str, Callable[[], None]]:
    """The URL of a fresh database, the profile's name, and what removes the database."""
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


def seed(url: str) -> Seeded:
    """Migrates the database and seeds today's demo day (320 orders, two depots)."""
    settings = Settings(_env_file=None, database={"url": url})
    upgrade(settings)
    engine = make_engine(settings)
    zone = ZoneInfo(DEMO_TIMEZONE)
    day = datetime.now(zone).date()
    try:
        with make_session_factory(engine)() as session, session.begin():
            seeded = seed_demo(session, day=day, zone=zone)
            orders = session.scalars(select(Order)).all()
            codes = [o.tracking_code for o in orders]
            depot = (orders[0].lat, orders[0].lng)
    finally:
        engine.dispose()
    return Seeded(
        [(x.username, x.password, x.role.value) for x in seeded.logins],
        codes,
        depot,
        day.isoformat(),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class served:
    """`sameday serve --workers N` on a free port, and with Redis `sameday worker` beside it,
    each in a process of its own, for the `with` block. `pids` maps "api" and "worker" to the
    pid of the process started for it: the id of its session, which holds the processes it
    started."""

    def __init__(self, profile: Profile) -> None:
        self._profile = profile
        self._processes: list[subprocess.Popen[bytes]] = []
        self.pids: dict[str, int] = {}

    def _start(self, party: str, env: dict[str, str], *command: str) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import app; app()", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            # Alone in its session: stopping it reaches the processes it started.
            start_new_session=True,
        )
        self._processes.append(process)
        self.pids[party] = process.pid

    def __enter__(self) -> str:
        port = _free_port()
        env = os.environ | {
            "SAMEDAY_DATABASE_URL": self._profile.database_url,
            "SAMEDAY_SECURITY_SECRET_KEY": secrets.token_urlsafe(32),
            "SAMEDAY_LOG_LEVEL": "WARNING",
            # The demo day's time zone: "today" is the seeded day for the server too.
            "SAMEDAY_OPERATION_TIMEZONE": DEMO_TIMEZONE,
        }
        if self._profile.redis_url is not None:
            env |= {
                "SAMEDAY_REDIS_URL": self._profile.redis_url,
                # Keys of their own: courier ids start again in each fresh database, and an
                # earlier run's cached positions would be read as this run's.
                "SAMEDAY_REDIS_NAMESPACE": f"sameday_load_{secrets.token_hex(4)}",
                "SAMEDAY_PLANNING_EXECUTOR": "celery",
            }
            self._start("worker", env, "worker", "--loglevel", "warning")
        workers = str(self._profile.workers)
        self._start("api", env, "serve", "--port", str(port), "--workers", workers)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the server did not answer /health within {START_TIMEOUT_S:.0f} s")

    def __exit__(self, *_exc: object) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(5)


async def sign_in(base: str, seeded: Seeded) -> World:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def token(username: str, password: str) -> str:
            answer = await client.post(
                "/auth/token", data={"username": username, "password": password}
            )
            answer.raise_for_status()
            return str(answer.json()["access_token"])

        couriers = [token(u, p) for u, p, role in seeded.logins if role == "courier"]
        # The head dispatcher, who sees both depots.
        dispatcher = next((u, p) for u, p, role in seeded.logins if role == "dispatcher")
        return World(
            base,
            list(await asyncio.gather(*couriers)),
            await token(*dispatcher),
            seeded.codes,
            seeded.depot,
            seeded.day,
        )


def request_plan(world: World, time_limit_s: int) -> int:
    """Queues the plan of the whole day (both depots); the job's id."""
    answer = httpx.post(
        f"{world.url}/plans",
        json={"service_date": world.day, "time_limit_s": time_limit_s},
        headers=world.dispatcher(),
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["id"])


def wait_for_plan(world: World, job_id: int, time_limit_s: int) -> dict[str, Any]:
    """The finished job; raises when it failed or did not finish in time."""
    deadline = time.monotonic() + time_limit_s + PLAN_MARGIN_S
    while time.monotonic() < deadline:
        job = httpx.get(f"{world.url}/plan-jobs/{job_id}", headers=world.dispatcher(), timeout=30)
        job.raise_for_status()
        found: dict[str, Any] = job.json()
        if found["status"] == "succeeded":
            return found
        if found["status"] == "failed":
            raise RuntimeError(f"planning the day failed: {found['error']}")
        time.sleep(0.3)
    raise RuntimeError(f"plan job {job_id} did not finish in time")


def publish_and_depart(world: World, plan_id: int) -> int:
    """Publishes the plan; every courier with a route inspects the vehicle and departs, as a
    courier's phone does. The number of routes departed."""
    with httpx.Client(base_url=world.url, timeout=30) as http:
        http.post(f"/plans/{plan_id}/publish", headers=world.dispatcher()).raise_for_status()
        departed = 0
        now = datetime.now(UTC)
        for token in world.courier_tokens:
            headers = {"Authorization": f"Bearer {token}"}
            day = http.get("/courier/me/day", params={"day": world.day}, headers=headers)
            day.raise_for_status()
            route = day.json()["route"]
            if route is None:
                continue
            vehicle = route["vehicle_id"]
            checklist = http.get(f"/vehicles/{vehicle}/checklist", headers=headers)
            checklist.raise_for_status()
            inspection = {
                "performed_at": (now - timedelta(minutes=1)).isoformat(),
                "odometer_km": 40_000 + vehicle,
                "items": [{"code": i["code"], "passed": True} for i in checklist.json()["items"]],
            }
            http.post(
                f"/vehicles/{vehicle}/inspections", json=inspection, headers=headers
            ).raise_for_status()
            http.post(f"/routes/{route['route_id']}/depart", headers=headers).raise_for_status()
            departed += 1
    if departed == 0:
        raise RuntimeError("no courier has a route in the published plan: nothing to move")
    return departed
