"""What the day came to, with replanning (as played) and without (replayed): figures, a rich
table, and the files (summary JSON, one CSV row per order and world)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from simulator.counterfactual import ReplayedDay, replay
from simulator.day_model import Outcome
from simulator.run import SimulationRun

WITH, WITHOUT = "with replanning", "without replanning"


@dataclass(frozen=True, slots=True)
class Figures:
    orders: int
    delivered: int
    failed: int
    undelivered: int
    failures_by_reason: dict[str, int]
    on_time: int
    # On-time deliveries over the orders in play (an order never delivered is not on time).
    on_time_rate: float
    # On-time deliveries over deliveries.
    on_time_rate_delivered: float
    lateness_p50_min: float
    lateness_p90_min: float
    distance_km: float


def figures(outcomes: Iterable[Outcome], orders: int, distance_m: float) -> Figures:
    done = list(outcomes)
    delivered = [o for o in done if o.delivered]
    failed = [o for o in done if not o.delivered]
    on_time = [o for o in delivered if o.late_s == 0]
    lateness = np.array([o.late_s / 60 for o in delivered]) if delivered else np.zeros(1)
    reasons = Counter(str(o.failure_reason) for o in failed)
    return Figures(
        orders=orders,
        delivered=len(delivered),
        failed=len(failed),
        undelivered=orders - len(delivered) - len(failed),
        failures_by_reason=dict(sorted(reasons.items())),
        on_time=len(on_time),
        on_time_rate=len(on_time) / orders if orders else 0.0,
        on_time_rate_delivered=len(on_time) / len(delivered) if delivered else 0.0,
        lateness_p50_min=round(float(np.percentile(lateness, 50)), 1),
        lateness_p90_min=round(float(np.percentile(lateness, 90)), 1),
        distance_km=round(distance_m / 1000, 1),
    )


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    """What customers said of the played day and what the server gave them back."""

    feedback: int
    csat_avg: float | None
    csat_share_4_5: float | None
    complaints_opened: int
    complaints_by_category: dict[str, int]
    complaints_by_status: dict[str, int]
    compensations: int
    compensation_points: int
    compensation_amount: float


def customer_figures(run: SimulationRun) -> CustomerFigures:
    ratings = list(run.ratings.values())
    issued = [c for c in run.compensations if c["status"] == "issued"]
    return CustomerFigures(
        feedback=len(ratings),
        csat_avg=round(float(np.mean(ratings)), 2) if ratings else None,
        csat_share_4_5=round(sum(r >= 4 for r in ratings) / len(ratings), 3) if ratings else None,
        complaints_opened=len(run.complaints),
        complaints_by_category=dict(sorted(Counter(c["category"] for c in run.complaints).items())),
        complaints_by_status=dict(sorted(Counter(c["status"] for c in run.complaints).items())),
        compensations=len(issued),
        compensation_points=sum(c["points"] or 0 for c in issued),
        compensation_amount=sum(c["amount_cents"] or 0 for c in issued) / 100,
    )


@dataclass(frozen=True, slots=True)
class Report:
    run: SimulationRun
    played: dict[int, Outcome]
    without: ReplayedDay
    with_figures: Figures
    without_figures: Figures
    replans: dict[str, int]
    customers: CustomerFigures


def build_report(run: SimulationRun) -> Report:
    played = {o.order_id: o for a in run.agents for o in a.outcomes.values()}
    # Cut where the played day ended, so that both columns cover the same hours.
    without = replay(run.original_routes, run.noise, run.breakdown, until=run.ended_at)
    orders = len(run.order_refs)
    decisions = Counter(str(j["decision"]) for j in run.replans if j["decision"])
    replans = {
        "requested": len(run.replans),
        # Finished replans left to the dispatcher (the others were applied at once).
        "proposed": sum(
            1 for j in run.replans if j["status"] == "succeeded" and j["decision"] != "applied"
        ),
        "accepted": decisions["accepted"],
        "rejected": decisions["rejected"],
        "stale": decisions["stale"],
        "applied_automatically": decisions["applied"],
        "failed": sum(1 for j in run.replans if j["status"] == "failed"),
    }
    return Report(
        run,
        played,
        without,
        figures(played.values(), orders, sum(a.distance_m for a in run.agents)),
        figures(without.outcomes, orders, without.distance_m),
        replans,
        customer_figures(run),
    )


def table(report: Report) -> Table:
    run = report.run
    result = Table(title=f"Simulated day {run.day} (seed {run.noise.seed})")
    result.add_column("")
    result.add_column(WITH, justify="right")
    result.add_column(WITHOUT, justify="right")
    a, b = report.with_figures, report.without_figures
    rows: list[tuple[str, str, str]] = [
        ("orders in play", str(a.orders), str(b.orders)),
        ("delivered", str(a.delivered), str(b.delivered)),
        ("failed attempts", str(a.failed), str(b.failed)),
        ("not delivered", str(a.undelivered), str(b.undelivered)),
        ("on time (of all orders)", f"{a.on_time_rate:.1%}", f"{b.on_time_rate:.1%}"),
        (
            "on time (of deliveries)",
            f"{a.on_time_rate_delivered:.1%}",
            f"{b.on_time_rate_delivered:.1%}",
        ),
        ("lateness p50 / p90 (min)", _pair(a), _pair(b)),
        ("km driven", f"{a.distance_km:.0f}", f"{b.distance_km:.0f}"),
    ]
    for reason in sorted(set(a.failures_by_reason) | set(b.failures_by_reason)):
        rows.append(
            (
                f"  failed: {reason}",
                str(a.failures_by_reason.get(reason, 0)),
                str(b.failures_by_reason.get(reason, 0)),
            )
        )
    for name, count in report.replans.items():
        rows.append((f"replans {name.replace('_', ' ')}", str(count), "-"))
    c = report.customers
    rows.append(("feedback / CSAT mean", f"{c.feedback} / {_or_dash(c.csat_avg)}", "-"))
    rows.append(("complaints opened", str(c.complaints_opened), "-"))
    rows.extend((f"  complaints {name}", str(n), "-") for name, n in c.complaints_by_status.items())
    paid = f"{c.compensations} ({c.compensation_amount:.2f} + {c.compensation_points} points)"
    rows.append(("compensation issued", paid, "-"))
    for row in rows:
        result.add_row(*row)
    return result


def _or_dash(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _pair(f: Figures) -> str:
    return f"{f.lateness_p50_min:g} / {f.lateness_p90_min:g}"


def write_files(report: Report, out: Path) -> tuple[Path, Path]:
    """summary.json and outcomes.csv in `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    run = report.run
    summary = {
        "day": run.day.isoformat(),
        "timezone": run.zone.key,
        "seed": run.noise.seed,
        "played_from": run.started_at.isoformat(),
        "played_until": run.ended_at.isoformat(),
        "plan_id": run.plan_id,
        "breakdown": (
            {"vehicle_id": run.breakdown.vehicle_id, "at": run.breakdown.at.isoformat()}
            if run.breakdown
            else None
        ),
        "urgent_order_ids": run.urgent_order_ids,
        WITH: asdict(report.with_figures),
        WITHOUT: asdict(report.without_figures),
        "replans": report.replans,
        "customers": asdict(report.customers),
        "decisions": [
            {**asdict(d), "at": d.at.isoformat()} for d in sorted(run.decisions, key=_by_time)
        ],
        "routes": [
            {
                "vehicle_id": agent.vehicle_id,
                "courier": agent.api.username,
                "end": agent.phase.value,
                "stops_done": len(agent.outcomes),
                "distance_km": round(agent.distance_m / 1000, 1),
            }
            for agent in run.agents
        ],
        "server_order_statuses": dict(Counter(run.orders_at_end.values())),
    }
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    rows_path = out / "outcomes.csv"
    with rows_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "world",
                "order_id",
                "reference",
                "vehicle_id",
                "outcome",
                "failure_reason",
                "arrived_at",
                "service_start_at",
                "done_at",
                "window_end",
                "late_min",
            ]
        )
        for world, outcomes in (
            (WITH, report.played),
            (WITHOUT, {o.order_id: o for o in report.without.outcomes}),
        ):
            writer.writerows(_rows(world, run.order_refs, outcomes))
    return summary_path, rows_path


def _rows(
    world: str, refs: Mapping[int, str], outcomes: Mapping[int, Outcome]
) -> Iterable[list[Any]]:
    for order_id, ref in sorted(refs.items()):
        o = outcomes.get(order_id)
        if o is None:
            yield [world, order_id, ref, "", "not_delivered", "", "", "", "", "", ""]
            continue
        yield [
            world,
            order_id,
            ref,
            o.vehicle_id,
            "delivered" if o.delivered else "failed",
            o.failure_reason or "",
            _iso(o.arrived_at),
            _iso(o.service_start_at),
            _iso(o.done_at),
            _iso(o.window_end),
            round(o.late_s / 60, 1),
        ]


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""


def _by_time(decision: Any) -> datetime:
    at: datetime = decision.at
    return at
