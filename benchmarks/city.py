"""Synthetic city days: time to the first plan, cost at the time limit, and matrix speed.

For each size (orders) a fixed-seed day around Tallinn is generated (routing.instances.city)
and solved by the `baseline` configuration (plain OR-Tools: parallel cheapest insertion, guided
local search) and by each configuration asked for, each on one core with the same time limit.
Every final plan is checked by `routing.validate`; a violation is a failure. Separately the
vectorised haversine matrix for 2,000 locations is timed against a plain Python double loop.

    python -m benchmarks.city --sizes 50,200 --time-limit 5
    python -m benchmarks.city            # 50/200/1000 orders at 10/30/60 s
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp
from routing import PRESETS, SearchConfig, Solution, solve, validate
from routing.instances import city_problem, generate_city_day
from routing.matrix import EARTH_RADIUS_M, HaversineProvider, SpeedProfile, haversine_m
from routing.search import DEFAULT

DEFAULT_SIZES = (50, 200, 1000)
# Time limit per size when --time-limit is not given, seconds.
DEFAULT_LIMITS = {50: 10.0, 200: 30.0, 1000: 60.0}
BASELINE = "baseline"
# Targets: a first plan within 10 s at 1,000 stops; a 2,000-location matrix within 0.5 s.
TARGET_FIRST_PLAN_S = 10.0
TARGET_FIRST_PLAN_SIZE = 1000
TARGET_MATRIX_S = 0.5
MATRIX_SIZE = 2000
NAIVE_SIZE = 200


@dataclasses.dataclass(frozen=True, slots=True)
class CityRun:
    orders: int
    vehicles: int
    seed: int
    two_depots: bool
    solver: str
    time_limit_s: float
    build_s: float  # generating the day and its matrices
    # From the solve call to the first plan the search reports; None if it reported none.
    first_plan_s: float | None
    # The objective (route costs plus drop penalties) of that first plan and of the final one.
    first_objective: float | None
    objective: float
    cost: float  # route costs only
    distance_km: float
    vehicles_used: int
    unassigned: int
    violations: int
    wall_s: float
    status: str
    problem_note: str

    @property
    def ok(self) -> bool:
        return self.violations == 0


@dataclasses.dataclass(frozen=True, slots=True)
class MatrixTiming:
    method: str
    locations: int
    seconds: float
    per_pair_us: float
    extrapolated_s: float  # to MATRIX_SIZE locations


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    if not console.is_terminal:
        # Logs and CI: wide enough that the tables do not wrap.
        console = Console(width=160)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    names = [BASELINE] + [
        n.strip() for n in args.configs.split(",") if n.strip() and n.strip() != BASELINE
    ]
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        console.print(f"[red]unknown search preset(s) {unknown}; known: {sorted(PRESETS)}[/red]")
        return 2
    started_at = stamp()
    out = args.out or RESULTS_DIR / f"city_{started_at}.csv"

    timings = _matrix_timings(args.seed)
    console.print(_matrix_table(timings))

    runs: list[CityRun] = []
    for size in sizes:
        limit = args.time_limit if args.time_limit is not None else DEFAULT_LIMITS.get(size, 60.0)
        n_vehicles = args.vehicles or max(5, size // 20)
        for name in names:
            run = _measure(size, n_vehicles, args.seed, args.two_depots, PRESETS[name], limit)
            runs.append(run)
            _write_csv(out, runs)
            console.print(_progress_line(run))

    console.print(_runs_table(runs))
    console.print(_targets_table(runs, timings))
    _write_json(out.with_suffix(".json"), runs, timings, args, started_at)
    console.print(f"wrote {shown(out)} and {shown(out.with_suffix('.json'))}")
    return 0 if all(run.ok for run in runs) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="order counts, e.g. 50,200"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per solve (default: 10, 30, 60 for 50, 200, 1000 orders)",
    )
    parser.add_argument(
        "--vehicles", type=int, default=None, help="fleet size (default: orders / 20, at least 5)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--two-depots", action="store_true")
    parser.add_argument(
        "--configs",
        default=DEFAULT.name,
        help=f"comma-separated search presets; {BASELINE!r} is always added "
        f"(known: {', '.join(sorted(PRESETS))})",
    )
    parser.add_argument("--out", type=Path, default=None, help="CSV of every solve")
    return parser


def _measure(
    size: int,
    n_vehicles: int,
    seed: int,
    two_depots: bool,
    config: SearchConfig,
    time_limit_s: float,
) -> CityRun:
    built = time.perf_counter()
    problem = city_problem(generate_city_day(size, n_vehicles, seed=seed, two_depots=two_depots))
    build_s = time.perf_counter() - built

    first: list[tuple[float, float]] = []
    started = time.perf_counter()

    def on_progress(fraction: float, objective: float | None) -> None:
        # The call at fraction 1.0 reports the end of the solve, not a plan found during it.
        if not first and objective is not None and fraction < 1.0:
            first.append((time.perf_counter() - started, objective))

    solution = solve(problem, time_limit_s=time_limit_s, config=config, progress=on_progress)
    wall_s = time.perf_counter() - started
    violations = validate(problem, solution)
    return CityRun(
        orders=size,
        vehicles=n_vehicles,
        seed=seed,
        two_depots=two_depots,
        solver=config.name,
        time_limit_s=time_limit_s,
        build_s=round(build_s, 3),
        first_plan_s=round(first[0][0], 3) if first else None,
        first_objective=round(first[0][1], 2) if first else None,
        objective=round(solution.stats.get("objective", math.nan), 2),
        cost=round(solution.cost, 2),
        distance_km=round(solution.distance_m / 1000, 2),
        vehicles_used=solution.vehicles_used,
        unassigned=len(solution.unassigned),
        violations=len(violations),
        wall_s=round(wall_s, 3),
        status=solution.status,
        problem_note=_unassigned_note(solution) + "; ".join(str(v) for v in violations[:1]),
    )


def _unassigned_note(solution: Solution) -> str:
    if not solution.unassigned:
        return ""
    counts: dict[str, int] = {}
    for item in solution.unassigned:
        counts[item.reason.value] = counts.get(item.reason.value, 0) + 1
    return "unassigned: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ". "


def _matrix_timings(seed: int) -> list[MatrixTiming]:
    day = generate_city_day(MATRIX_SIZE, 1, seed=seed)
    lats = np.asarray([o.lat for o in day.orders])
    lngs = np.asarray([o.lng for o in day.orders])
    pairs = MATRIX_SIZE * MATRIX_SIZE
    fast = _best_of(5, lambda: haversine_m(lats, lngs))
    profile = SpeedProfile("van", speed_kmh=25.0, detour_factor=1.35)
    lat_list, lng_list = lats.tolist(), lngs.tolist()
    provider = _best_of(5, lambda: HaversineProvider().matrix(lat_list, lng_list, profile))
    naive_lats, naive_lngs = lats[:NAIVE_SIZE].tolist(), lngs[:NAIVE_SIZE].tolist()
    started = time.perf_counter()
    naive_matrix = _naive_haversine_m(naive_lats, naive_lngs)
    naive = time.perf_counter() - started
    naive_pair_s = naive / NAIVE_SIZE**2
    # The loop is a fair baseline only if it computes the same matrix.
    reference = haversine_m(lats[:NAIVE_SIZE], lngs[:NAIVE_SIZE])
    if np.abs(np.asarray(naive_matrix) - reference).max() > 1:
        raise RuntimeError("the vectorised and the looped haversine matrices differ")
    return [
        MatrixTiming("haversine_m (numpy)", MATRIX_SIZE, fast, 1e6 * fast / pairs, fast),
        MatrixTiming(
            "HaversineProvider (+durations)",
            MATRIX_SIZE,
            provider,
            1e6 * provider / pairs,
            provider,
        ),
        MatrixTiming(
            "python double loop",
            NAIVE_SIZE,
            naive,
            1e6 * naive_pair_s,
            naive_pair_s * pairs,
        ),
    ]


def _naive_haversine_m(lats: list[float], lngs: list[float]) -> list[list[int]]:
    rows = []
    for lat_a, lng_a in zip(lats, lngs, strict=True):
        row = []
        for lat_b, lng_b in zip(lats, lngs, strict=True):
            phi_a, phi_b = math.radians(lat_a), math.radians(lat_b)
            dphi, dlmb = phi_b - phi_a, math.radians(lng_b - lng_a)
            a = (
                math.sin(dphi / 2) ** 2
                + math.cos(phi_a) * math.cos(phi_b) * math.sin(dlmb / 2) ** 2
            )
            row.append(round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0)))))
        rows.append(row)
    return rows


def _best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _progress_line(run: CityRun) -> str:
    first = "-" if run.first_plan_s is None else f"{run.first_plan_s:.1f} s"
    verdict = "valid" if run.ok else "[red]INVALID[/red]"
    verdict += f" {run.problem_note}" if run.problem_note else ""
    return (
        f"{run.orders:5d} orders {run.solver:14} first plan {first:>8}  cost {run.cost:10.2f}  "
        f"unassigned {run.unassigned:3d}  {run.wall_s:5.1f} s  {verdict}"
    )


def _runs_table(runs: Sequence[CityRun]) -> Table:
    table = Table(title="synthetic city days (Tallinn), fixed seed")
    for header in ("orders", "veh", "solver", "limit s", "build s", "first plan s", "first obj"):
        table.add_column(header, justify="left" if header == "solver" else "right")
    for header in ("objective", "cost", "km", "veh used", "unassigned", "valid", "vs baseline"):
        table.add_column(header, justify="right")
    for k, run in enumerate(runs):
        base = next(
            (r for r in runs if r.orders == run.orders and r.solver == BASELINE and r.ok), None
        )
        ratio = _versus(run, base)
        if k and runs[k - 1].orders != run.orders:
            table.add_section()
        table.add_row(
            str(run.orders),
            str(run.vehicles),
            run.solver,
            f"{run.time_limit_s:g}",
            f"{run.build_s:.2f}",
            "-" if run.first_plan_s is None else f"{run.first_plan_s:.2f}",
            "-" if run.first_objective is None else f"{run.first_objective:.2f}",
            f"{run.objective:.2f}",
            f"{run.cost:.2f}",
            f"{run.distance_km:.1f}",
            str(run.vehicles_used),
            str(run.unassigned),
            "yes" if run.ok else f"[red]{run.violations} violations[/red]",
            "" if run.solver == BASELINE else ratio,
        )
    return table


def _versus(run: CityRun, base: CityRun | None) -> str:
    """Route cost over the baseline's; only meaningful when both serve the same number."""
    if base is None or base.cost <= 0:
        return "-"
    if run.unassigned != base.unassigned:
        return f"unassigned {run.unassigned - base.unassigned:+d}"
    return f"{run.cost / base.cost:.3f}"


def _matrix_table(timings: Sequence[MatrixTiming]) -> Table:
    table = Table(title=f"haversine matrix, {MATRIX_SIZE} locations")
    for header in ("method", "locations", "measured s", "per pair us", f"for {MATRIX_SIZE} s"):
        table.add_column(header, justify="left" if header == "method" else "right")
    table.add_column("time vs numpy", justify="right")
    fastest = timings[0].extrapolated_s
    for t in timings:
        table.add_row(
            t.method,
            str(t.locations),
            f"{t.seconds:.4f}",
            f"{t.per_pair_us:.4f}",
            f"{t.extrapolated_s:.3f}" + ("" if t.locations == MATRIX_SIZE else " (extrapolated)"),
            f"{t.extrapolated_s / fastest:.1f}x",
        )
    return table


def _targets_table(runs: Sequence[CityRun], timings: Sequence[MatrixTiming]) -> Table:
    table = Table(title="targets (city)")
    table.add_column("target")
    table.add_column("measured", justify="right")
    for run in runs:
        if run.orders == TARGET_FIRST_PLAN_SIZE:
            passed = run.ok and run.first_plan_s is not None
            passed = passed and (run.first_plan_s or 0.0) <= TARGET_FIRST_PLAN_S
            first = "not reported" if run.first_plan_s is None else f"{run.first_plan_s:.2f} s"
            table.add_row(
                f"{run.solver}: first plan <= {TARGET_FIRST_PLAN_S:g} s at {run.orders} orders",
                _verdict(
                    passed,
                    f"{first}; at {run.time_limit_s:g} s: cost {run.cost:.2f}, "
                    f"{run.unassigned} unassigned",
                ),
            )
    matrix = timings[0]
    table.add_row(
        f"haversine matrix for {MATRIX_SIZE} locations <= {TARGET_MATRIX_S} s",
        _verdict(matrix.seconds <= TARGET_MATRIX_S, f"{matrix.seconds:.3f} s"),
    )
    return table


def _verdict(passed: bool, text: str) -> str:
    return f"[green]{text}[/green]" if passed else f"[red]{text}[/red]"


def _write_csv(path: Path, runs: Sequence[CityRun]) -> None:
    """Rewritten after every solve, so an interrupted run still leaves its results."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = [f.name for f in dataclasses.fields(CityRun)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for run in runs:
            writer.writerow(dataclasses.asdict(run))


def _write_json(
    path: Path,
    runs: Sequence[CityRun],
    timings: Sequence[MatrixTiming],
    args: argparse.Namespace,
    started_at: str,
) -> None:
    document = {
        "benchmark": "city",
        "stamp": started_at,
        "seed": args.seed,
        "two_depots": args.two_depots,
        "machine": machine(),
        "matrix": [dataclasses.asdict(t) for t in timings],
        "runs": [dataclasses.asdict(r) for r in runs],
        "csv": path.with_suffix(".csv").name,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
