"""Split solves against one solve of the whole day: cost, unserved and wall time, same run.

Two synthetic city days around Tallinn (routing.instances.city, fixed seed): two depots with
800 orders between them (about 400 each) and one depot with 800 orders, orders / 20 vehicles.
Each day is solved

- `single`: one `routing.solve` of the whole day on one core, for the time limit;
- `depot`: one part per depot (`routing.split`, no zones), parts solved side by side;
- `zone`: per depot, then zones of at most `--max-visits` visits (250 by default);

the split modes by `routing.split_solve.solve_split` on a process pool of `--workers`, within
the same wall-clock limit, which includes cutting, starting the pool and stitching. Drops are
not explained (the same for every mode), so the limit is the whole search. Every plan is
checked by `routing.validate` against the whole day; a violation fails the run.

    python -m benchmarks.split                      # both days, 30 s, 2 workers
    python -m benchmarks.split --time-limit 10 --days 2x400
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.provenance import RESULTS_DIR, machine, shown, stamp, write_csv
from routing import Problem, Solution, solve, validate
from routing.instances import city_problem, generate_city_day
from routing.split import DEFAULT_MAX_VISITS
from routing.split_solve import solve_split

# name -> (orders, two depots)
DAYS = {"2x400": (800, True), "1x800": (800, False)}
MODES = ("single", "depot", "zone")
SINGLE = "single"


@dataclasses.dataclass(frozen=True, slots=True)
class SplitRun:
    day: str
    orders: int
    vehicles: int
    mode: str
    workers: int
    parts: int
    largest_part: int
    time_limit_s: float
    wall_s: float
    cost: float  # route costs only
    objective: float  # route costs plus drop penalties
    distance_km: float
    vehicles_used: int
    unassigned: int
    violations: int
    status: str

    @property
    def ok(self) -> bool:
        return self.violations == 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console() if Console().is_terminal else Console(width=160)
    days = [d.strip() for d in args.days.split(",") if d.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := [d for d in days if d not in DAYS] + [m for m in modes if m not in MODES]:
        console.print(f"[red]unknown day(s) or mode(s) {unknown}[/red]")
        return 2
    started_at = stamp()
    out = args.out or RESULTS_DIR / f"split_{started_at}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    runs: list[SplitRun] = []
    for day in days:
        orders, two_depots = DAYS[day]
        n_vehicles = orders // 20
        problem = city_problem(
            generate_city_day(orders, n_vehicles, seed=args.seed, two_depots=two_depots)
        )
        for mode in modes:
            if mode == "depot" and not two_depots:
                continue  # one depot: the same as a single solve
            run = _measure(day, problem, mode, args)
            runs.append(run)
            write_csv(out, runs)
            console.print(_line(run))
    console.print(_table(runs))
    document = {
        "benchmark": "split",
        "stamp": started_at,
        "arguments": vars(args) | {"out": shown(out)},
        "machine": machine(),
        "runs": [dataclasses.asdict(r) for r in runs],
        "csv": out.name,
    }
    out.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {shown(out)} and {shown(out.with_suffix('.json'))}")
    return 0 if all(r.ok for r in runs) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default=",".join(DAYS), help=f"of {', '.join(DAYS)}")
    parser.add_argument("--modes", default=",".join(MODES), help=f"of {', '.join(MODES)}")
    parser.add_argument("--time-limit", type=float, default=30.0, help="wall seconds per mode")
    parser.add_argument("--workers", type=int, default=2, help="processes for the split modes")
    parser.add_argument("--max-visits", type=int, default=DEFAULT_MAX_VISITS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="CSV of every solve")
    return parser


def _measure(day: str, problem: Problem, mode: str, args: argparse.Namespace) -> SplitRun:
    started = time.perf_counter()
    solution: Solution
    if mode == SINGLE:
        solution = solve(problem, time_limit_s=args.time_limit, explain=False)
    else:
        solution = solve_split(
            problem,
            time_limit_s=args.time_limit,
            max_visits=args.max_visits if mode == "zone" else None,
            workers=args.workers,
            explain=False,
        )
    wall_s = time.perf_counter() - started
    violations = validate(problem, solution)
    return SplitRun(
        day=day,
        orders=len(problem.visits),
        vehicles=len(problem.vehicles),
        mode=mode,
        workers=1 if mode == SINGLE else args.workers,
        parts=int(solution.stats.get("parts", 1)),
        largest_part=int(solution.stats.get("largest_part_visits", len(problem.visits))),
        time_limit_s=args.time_limit,
        wall_s=round(wall_s, 2),
        cost=round(solution.cost, 2),
        objective=round(solution.stats.get("objective", solution.cost), 2),
        distance_km=round(solution.distance_m / 1000, 1),
        vehicles_used=solution.vehicles_used,
        unassigned=len(solution.unassigned),
        violations=len(violations),
        status=solution.status,
    )


def _line(run: SplitRun) -> str:
    verdict = "valid" if run.ok else f"[red]{run.violations} violations[/red]"
    return (
        f"{run.day:6} {run.mode:6} parts {run.parts:2d}  cost {run.cost:10.2f}  "
        f"unassigned {run.unassigned:3d}  {run.wall_s:6.1f} s  {verdict}"
    )


def _table(runs: Sequence[SplitRun]) -> Table:
    table = Table(title="split vs single solve, synthetic city days (Tallinn), fixed seed")
    headers = ("day", "mode", "workers", "parts", "largest", "limit s", "wall s", "cost")
    for header in (*headers, "objective", "km", "veh used", "unassigned", "valid", "vs single"):
        table.add_column(header, justify="left" if header in ("day", "mode") else "right")
    for k, run in enumerate(runs):
        if k and runs[k - 1].day != run.day:
            table.add_section()
        single = next((r for r in runs if r.day == run.day and r.mode == SINGLE), None)
        table.add_row(
            run.day,
            run.mode,
            str(run.workers),
            str(run.parts),
            str(run.largest_part),
            f"{run.time_limit_s:g}",
            f"{run.wall_s:.1f}",
            f"{run.cost:.2f}",
            f"{run.objective:.2f}",
            f"{run.distance_km:.1f}",
            str(run.vehicles_used),
            str(run.unassigned),
            "yes" if run.ok else f"[red]{run.violations}[/red]",
            _versus(run, single),
        )
    return table


def _versus(run: SplitRun, single: SplitRun | None) -> str:
    """Cost and objective over the single solve's (the objective counts the unserved too)."""
    if single is None or run is single or single.cost <= 0:
        return "-"
    return f"cost {run.cost / single.cost:.3f}, obj {run.objective / single.objective:.3f}"


if __name__ == "__main__":
    sys.exit(main())
