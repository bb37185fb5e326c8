"""Wrong and unknown tracking codes: does the time of a 404 tell them apart?

A fresh database holds `--orders` orders with real codes. The app, built as `sameday serve`
builds it, is asked through FastAPI's TestClient, in random interleaved order, for codes of
three kinds: an unknown code (the form of a real one, no order has it), a wrong code (of no
valid form: too long, or with characters codes never have) and, for scale, a code that exists.
Each request is timed from the client's side.

Reported: p50/p95 per kind and the ratio of the wrong codes' p50 to the unknown codes' p50
(1.00 means a guesser learns nothing from the time).

    python -m benchmarks.tracking_codes                  # 300 requests of each kind
    python -m benchmarks.tracking_codes --requests 100 --orders 500
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from api.app import create_app, freeze_startup_heap
from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp, write_csv
from benchmarks.replan import percentile
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import LocationSource, Order, OrderKind, OrderStatus
from infra.settings import Settings
from orders.service import new_tracking_code

KINDS = ("unknown", "wrong", "known")
WARM_UP_REQUESTS = 5


@dataclass(frozen=True, slots=True)
class Sample:
    request: int
    kind: str
    status: int
    elapsed_s: float


def _code_of(kind: str, rng: random.Random, codes: list[str]) -> str:
    if kind == "known":
        return rng.choice(codes)
    if kind == "wrong":
        return rng.choice(["x" * 40, "a b c", "no!such?code", "é" * 10, "'or'1'='1"])
    return new_tracking_code()


def seed_orders(settings: Settings, count: int) -> list[str]:
    engine = make_engine(settings)
    codes = [new_tracking_code() for _ in range(count)]
    with make_session_factory(engine)() as session, session.begin():
        session.add_all(
            Order(
                tracking_code=code,
                kind=OrderKind.DELIVERY,
                status=OrderStatus.PLANNABLE,
                service_date=date(2026, 12, 1),
                received_at=datetime.now(UTC),
                recipient_name="Customer",
                lat=59.437,
                lng=24.745,
                location_source=LocationSource.GIVEN,
                service_s=300,
            )
            for code in codes
        )
    engine.dispose()
    return codes


def ask(settings: Settings, codes: list[str], *, requests: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    plan = [kind for kind in KINDS for _ in range(requests)]
    rng.shuffle(plan)
    app = create_app(settings)
    freeze_startup_heap()  # as `sameday serve` does
    samples = []
    with TestClient(app) as client:
        for k, kind in enumerate(["known"] * WARM_UP_REQUESTS + plan):
            code = _code_of(kind, rng, codes)
            started = time.perf_counter()
            response = client.get(f"/track/{code}")
            elapsed_s = time.perf_counter() - started
            if k >= WARM_UP_REQUESTS:
                samples.append(Sample(k, kind, response.status_code, elapsed_s))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="per kind")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    console = Console()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,
            database={"url": args.database_url or f"sqlite:///{Path(directory) / 'codes.sqlite3'}"},
            security={"secret_key": secrets.token_urlsafe(32)},
            planning={"run_jobs_in_process": False},
            notifications={"send_in_process": False},
            # Every miss is answered: the limiter is not what is measured here.
            tracking={"code_misses_allowed": 10_000},
        )
        upgrade(settings)
        codes = seed_orders(settings, args.orders)
        samples = ask(settings, codes, requests=args.requests, seed=args.seed)
    summary = summarise(samples, orders=args.orders)
    report(console, summary)
    base = RESULTS_DIR / f"tracking_codes_{stamp()}"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    write_csv(base.with_suffix(".csv"), samples)
    base.with_suffix(".json").write_text(json.dumps({"machine": machine()} | summary, indent=2))
    console.print(f"results: {shown(base.with_suffix('.csv'))}, .json")
    expected = {"unknown": {404}, "wrong": {404}, "known": {200}}
    return 0 if all({s.status for s in samples if s.kind == k} == expected[k] for k in KINDS) else 1


def summarise(samples: list[Sample], *, orders: int) -> dict[str, float | int]:
    summary: dict[str, float | int] = {"orders": orders}
    for kind in KINDS:
        values = [s.elapsed_s for s in samples if s.kind == kind]
        summary[f"{kind}_requests"] = len(values)
        summary[f"{kind}_p50_s"] = percentile(values, 0.5)
        summary[f"{kind}_p95_s"] = percentile(values, 0.95)
    summary["wrong_over_unknown_p50"] = summary["wrong_p50_s"] / summary["unknown_p50_s"]
    return summary


def report(console: Console, summary: dict[str, float | int]) -> None:
    table = Table(title=f"GET /track/{{code}} with {summary['orders']} orders")
    for column in ("code", "requests", "p50 (ms)", "p95 (ms)"):
        table.add_column(column, justify="right")
    for kind in KINDS:
        table.add_row(
            kind,
            str(summary[f"{kind}_requests"]),
            f"{summary[f'{kind}_p50_s'] * 1000:.2f}",
            f"{summary[f'{kind}_p95_s'] * 1000:.2f}",
        )
    console.print(table)
    console.print(f"wrong / unknown p50: {summary['wrong_over_unknown_p50']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
