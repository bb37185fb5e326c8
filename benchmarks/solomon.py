"""Solomon and Gehring & Homberger VRPTW benchmark: gap to the best-known distance, per class.

Every instance is solved with the distance-only objective under a fixed time limit, once per
named search configuration (one core each) and optionally once by the portfolio (several
configurations on several cores). Each plan is checked by `routing.validate` and by an
independent distance recount; a plan with a violation or an unserved customer is a failure.
The `baseline` configuration (plain OR-Tools: parallel cheapest insertion, guided local search)
always runs too, so the gain is a ratio measured on the same machine in the same run.

    python -m benchmarks.solomon --instances 'C101,R1*' --time-limit 2
    python -m benchmarks.solomon --set homberger_200 --workers 2
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import fnmatch
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.provenance import DEFAULT_DATA, RESULTS_DIR, machine, shown, stamp
from routing import PRESETS, Problem, SearchConfig, Solution, solve, validate
from routing.instances import SCALE, BestKnown, SolomonInstance, read_bks, read_solomon
from routing.portfolio import DEFAULT_PORTFOLIO, solve_portfolio
from routing.search import DEFAULT

SETS = {"solomon": 10.0, "homberger_200": 30.0}  # default time limit per instance, seconds
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
BASELINE = "baseline"
# Targets of the Solomon set at 10 s per instance on one core.
TARGET_MEAN_GAP_PCT = 1.0
TARGET_CLASS_GAP_PCT = 2.5

Solver = Callable[[Problem, float], Solution]


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    instance: str
    set: str
    instance_class: str
    solver: str
    time_limit_s: float
    wall_s: float
    distance: float  # in the file's units, DIMACS convention
    bks_distance: float
    gap_pct: float | None  # None when the plan is not a complete valid plan
    vehicles: int
    bks_vehicles: int | None
    unassigned: int
    violations: int
    status: str
    problem_note: str

    @property
    def ok(self) -> bool:
        return self.violations == 0 and self.unassigned == 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    if not console.is_terminal:
        # Logs and CI: wide enough that the tables do not wrap.
        console = Console(width=160)
    time_limit_s = args.time_limit if args.time_limit is not None else SETS[args.set]
    bks = read_bks(args.data / "bks.csv")
    paths = _instance_paths(args.data / args.set, args.instances)
    if not paths:
        console.print(f"[red]no instance of {args.set} matches {args.instances!r}[/red]")
        return 2
    solvers = _solvers(args.configs, args.portfolio, args.workers)

    started_at = stamp()
    out = args.out or RESULTS_DIR / f"{args.set}_{started_at}.csv"
    console.print(
        f"{len(paths)} instances of {args.set}, {time_limit_s:g} s each, "
        f"solvers: {', '.join(solvers)}; writing {shown(out)}"
    )
    runs: list[Run] = []
    for path in paths:
        instance = read_solomon(path)
        best = bks[instance.name]
        for name, solver in solvers.items():
            run = _measure(instance, best, args.set, name, solver, time_limit_s)
            runs.append(run)
            _write_csv(out, runs)
            console.print(_progress_line(run))

    console.print(_class_table(runs, list(solvers), args.set, time_limit_s))
    if args.set == "solomon":
        console.print(_targets_table(runs, list(solvers), args.set))
    _write_json(out.with_suffix(".json"), runs, args, time_limit_s, started_at)
    console.print(f"wrote {shown(out)} and {shown(out.with_suffix('.json'))}")
    return 0 if all(run.ok for run in runs) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="directory holding bks.csv, solomon/ and homberger_200/ "
        "(default: ../shared/benchmarks from the repository root)",
    )
    parser.add_argument("--set", choices=sorted(SETS), default="solomon")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per instance and solver (default: 10 for solomon, 30 for homberger_200)",
    )
    parser.add_argument(
        "--instances",
        default="*",
        help="comma-separated names or globs, e.g. 'C101,RC2*' (default: all)",
    )
    parser.add_argument(
        "--configs",
        default=DEFAULT.name,
        help=f"comma-separated search presets, one core each; {BASELINE!r} is always added "
        f"(known: {', '.join(sorted(PRESETS))})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with 2 or more, also run the portfolio on that many processes",
    )
    parser.add_argument(
        "--portfolio",
        default=",".join(DEFAULT_PORTFOLIO),
        help="comma-separated presets the portfolio draws from, first --workers of them",
    )
    parser.add_argument("--out", type=Path, default=None, help="CSV of every run")
    return parser


def _instance_paths(directory: Path, patterns: str) -> list[Path]:
    wanted = [p.strip().upper() for p in patterns.split(",") if p.strip()]
    paths = sorted(directory.glob("*.txt"), key=lambda p: _natural_key(p.stem.upper()))
    return [p for p in paths if any(fnmatch.fnmatchcase(p.stem.upper(), w) for w in wanted)]


def _natural_key(name: str) -> tuple[str, int, int]:
    """C1_2_10 after C1_2_9; R101 before R112."""
    head, _, tail = name.partition("_")
    digits = "".join(ch for ch in head if ch.isdigit())
    letters = head.rstrip("0123456789")
    return letters, int(digits or 0), int(tail.replace("_", "") or 0)


def _solvers(configs: str, portfolio: str, workers: int) -> dict[str, Solver]:
    names = [BASELINE] + [n for n in _names(configs) if n != BASELINE]
    solvers: dict[str, Solver] = {name: _single(PRESETS[name]) for name in names}
    if workers >= 2:
        members = [PRESETS[n] for n in _names(portfolio)][:workers]
        label = "portfolio(" + "+".join(c.name for c in members) + ")"
        solvers[label] = _portfolio(members, workers)
    return solvers


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise SystemExit(f"unknown search preset(s) {unknown}; known: {sorted(PRESETS)}")
    return names


def _single(config: SearchConfig) -> Solver:
    def run(problem: Problem, time_limit_s: float) -> Solution:
        return solve(problem, time_limit_s=time_limit_s, config=config)

    return run


def _portfolio(configs: list[SearchConfig], workers: int) -> Solver:
    def run(problem: Problem, time_limit_s: float) -> Solution:
        return solve_portfolio(problem, time_limit_s=time_limit_s, workers=workers, configs=configs)

    return run


def _measure(
    instance: SolomonInstance,
    best: BestKnown,
    set_name: str,
    solver_name: str,
    solver: Solver,
    time_limit_s: float,
) -> Run:
    problem = instance.problem
    started = time.perf_counter()
    solution = solver(problem, time_limit_s)
    wall_s = time.perf_counter() - started
    violations = validate(problem, solution)
    notes = [str(v) for v in violations[:1]]
    recount = _recount_distance(problem, solution)
    mismatch = recount != solution.distance_m
    if mismatch:
        notes.append(f"reported distance {solution.distance_m} but the arcs sum to {recount}")
    if solution.unassigned:
        notes.append(f"{len(solution.unassigned)} customers unserved")
    n_violations = len(violations) + int(mismatch)
    distance = recount / SCALE
    complete = n_violations == 0 and not solution.unassigned
    return Run(
        instance=instance.name,
        set=set_name,
        instance_class=instance.instance_class,
        solver=solver_name,
        time_limit_s=time_limit_s,
        wall_s=round(wall_s, 3),
        distance=distance,
        bks_distance=best.bks_distance,
        gap_pct=round(100 * (distance / best.bks_distance - 1), 4) if complete else None,
        vehicles=solution.vehicles_used,
        bks_vehicles=best.bks_vehicles,
        unassigned=len(solution.unassigned),
        violations=n_violations,
        status=solution.status,
        problem_note="; ".join(notes),
    )


def _recount_distance(problem: Problem, solution: Solution) -> int:
    """The plan's length summed from the matrix, independently of what the solver reports."""
    total = 0
    for tour in solution.tours:
        if not tour.arrivals:
            continue
        vehicle = problem.vehicle(tour.vehicle_id)
        matrix = problem.matrices[vehicle.profile].distance_m
        stops = [problem.visit(v).location for v in tour.visit_ids]
        end = vehicle.end_location
        path = [vehicle.start_location, *stops, *([] if end is None else [end])]
        total += sum(int(matrix[a, b]) for a, b in itertools.pairwise(path))
    return total


def _progress_line(run: Run) -> str:
    if run.gap_pct is None:
        verdict = f"[red]FAIL[/red] {run.problem_note}"
    else:
        verdict = f"gap {run.gap_pct:6.2f} %"
    return (
        f"{run.instance:9} {run.solver:32} {run.distance:9.1f} (bks {run.bks_distance:7.1f}) "
        f"{run.vehicles:3d} veh  {run.wall_s:6.1f} s  {verdict}"
    )


def _gaps(runs: Sequence[Run]) -> list[float]:
    return [r.gap_pct for r in runs if r.gap_pct is not None]


def _class_table(
    runs: Sequence[Run], solvers: Sequence[str], set_name: str, time_limit_s: float
) -> Table:
    table = Table(title=f"{set_name}: gap to best-known distance at {time_limit_s:g} s")
    for header in ("class", "solver", "n", "mean gap %", "max gap %", "vehicles", "bks veh"):
        table.add_column(header, justify="left" if header in ("class", "solver") else "right")
    for header in ("mean time s", "valid", "vs baseline"):
        table.add_column(header, justify="right")
    groups = [c for c in CLASSES if any(r.instance_class == c for r in runs)] + ["all"]
    for group in groups:
        in_group = [r for r in runs if group in ("all", r.instance_class)]
        base_gaps = _gaps([r for r in in_group if r.solver == BASELINE])
        for k, solver in enumerate(solvers):
            mine = [r for r in in_group if r.solver == solver]
            gaps = _gaps(mine)
            failures = sum(1 for r in mine if not r.ok)
            bks_veh = [r.bks_vehicles for r in mine if r.bks_vehicles is not None]
            table.add_row(
                group if k == 0 else "",
                solver,
                str(len(mine)),
                f"{statistics.fmean(gaps):.2f}" if gaps else "-",
                f"{max(gaps):.2f}" if gaps else "-",
                f"{statistics.fmean(r.vehicles for r in mine):.1f}" if mine else "-",
                f"{statistics.fmean(bks_veh):.1f}" if bks_veh else "-",
                f"{statistics.fmean(r.wall_s for r in mine):.1f}" if mine else "-",
                f"{len(mine) - failures}/{len(mine)}"
                if failures == 0
                else f"[red]{len(mine) - failures}/{len(mine)}[/red]",
                _ratio(base_gaps, gaps) if solver != BASELINE else "",
            )
        table.add_section()
    return table


def _ratio(base_gaps: list[float], gaps: list[float]) -> str:
    """Baseline mean gap over this solver's: 2.0x means half the distance to the best-known."""
    if not base_gaps or not gaps:
        return "-"
    mine = statistics.fmean(gaps)
    if mine <= 0:
        return "at bks"
    return f"{statistics.fmean(base_gaps) / mine:.2f}x"


def _targets_table(runs: Sequence[Run], solvers: Sequence[str], set_name: str) -> Table:
    table = Table(title=f"targets ({set_name})")
    table.add_column("solver")
    table.add_column("all valid", justify="right")
    table.add_column(f"mean gap <= {TARGET_MEAN_GAP_PCT} %", justify="right")
    table.add_column(f"worst class <= {TARGET_CLASS_GAP_PCT} %", justify="right")
    for solver in solvers:
        mine = [r for r in runs if r.solver == solver]
        gaps = _gaps(mine)
        class_means = {
            c: statistics.fmean(g)
            for c in CLASSES
            if (g := _gaps([r for r in mine if r.instance_class == c]))
        }
        worst = max(class_means.items(), key=lambda item: item[1], default=None)
        mean = statistics.fmean(gaps) if gaps else None
        table.add_row(
            solver,
            _verdict(all(r.ok for r in mine), f"{sum(r.ok for r in mine)}/{len(mine)}"),
            _verdict(mean is not None and mean <= TARGET_MEAN_GAP_PCT, _pct(mean)),
            _verdict(
                worst is not None and worst[1] <= TARGET_CLASS_GAP_PCT,
                f"{worst[0]} {worst[1]:.2f} %" if worst else "-",
            ),
        )
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} %"


def _verdict(passed: bool, text: str) -> str:
    return f"[green]{text}[/green]" if passed else f"[red]{text}[/red]"


def _write_csv(path: Path, runs: Sequence[Run]) -> None:
    """Rewritten after every run, so an interrupted sweep still leaves its results."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = [f.name for f in dataclasses.fields(Run)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for run in runs:
            writer.writerow(dataclasses.asdict(run))


def _write_json(
    path: Path, runs: Sequence[Run], args: argparse.Namespace, time_limit_s: float, stamp: str
) -> None:
    solvers = list(dict.fromkeys(r.solver for r in runs))
    summary = {}
    for solver in solvers:
        mine = [r for r in runs if r.solver == solver]
        per_class = {}
        for group in (*CLASSES, "all"):
            in_group = [r for r in mine if group in ("all", r.instance_class)]
            gaps = _gaps(in_group)
            if in_group:
                per_class[group] = {
                    "n": len(in_group),
                    "valid": sum(r.ok for r in in_group),
                    "mean_gap_pct": round(statistics.fmean(gaps), 4) if gaps else None,
                    "max_gap_pct": round(max(gaps), 4) if gaps else None,
                    "mean_vehicles": round(statistics.fmean(r.vehicles for r in in_group), 3),
                    "mean_wall_s": round(statistics.fmean(r.wall_s for r in in_group), 3),
                }
        summary[solver] = per_class
    document = {
        "benchmark": "solomon",
        "set": args.set,
        "stamp": stamp,
        "time_limit_s": time_limit_s,
        "instances": args.instances,
        "solvers": solvers,
        "workers": args.workers,
        "machine": machine(),
        "summary": summary,
        "csv": path.with_suffix(".csv").name,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
