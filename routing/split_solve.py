"""Solving the parts of a split problem side by side, and stitching their plans into one.

The work sent to a worker is `solve_part`, a module-level function of plain, picklable arguments
(a Problem, a time limit), so any `concurrent.futures.Executor` can run it: a process pool by
default, a task queue's executor in production.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence

from routing.prechecks import precheck
from routing.problem import Problem
from routing.solution import Solution
from routing.solve import solve
from routing.split import DEFAULT_MAX_VISITS, Part, split
from routing.validation import validate

# How often the combined progress of the parts is reported, seconds.
PROGRESS_EVERY_S = 0.5
# The share of the time the whole problem may get after the parts, to place what they left
# out. Off by default: on 800-stop days a fifth of the time placed none of what zones left out
# and cost the depot split 3 % (benchmarks/README.md, split solves); it pays on small days.
SECOND_PASS_SHARE = 0.0

# Called with the fraction of the whole split solve done, 0.0 to 1.0.
SplitProgress = Callable[[float], None]


class StitchError(RuntimeError):
    """The parts' plans do not make a valid plan of the whole problem: a bug, never a result."""


def solve_part(problem: Problem, time_limit_s: float, explain: bool = True) -> Solution:
    """What one worker runs for one part."""
    return solve(problem, time_limit_s=time_limit_s, explain=explain)


def solve_split(
    problem: Problem,
    *,
    time_limit_s: float,
    max_visits: int | None = DEFAULT_MAX_VISITS,
    by_depot: bool = True,
    executor: concurrent.futures.Executor | None = None,
    workers: int | None = None,
    explain: bool = True,
    progress: SplitProgress | None = None,
    second_pass_share: float = SECOND_PASS_SHARE,
) -> Solution:
    """`problem` split (see `routing.split.split`), its parts solved in parallel within about
    `time_limit_s` of wall time, and stitched. Raises StitchError if the stitched plan breaks a
    rule of the whole problem.

    With a `second_pass_share`, when the parts left visits out that another part's vehicles
    might take (a zone's evening windows outrunning its late shifts), the whole problem gets that
    share of the time, warm-started from the stitched routes, and its plan is kept when it
    serves more.
    """
    started = time.monotonic()
    parts = split(problem, max_visits=max_visits, by_depot=by_depot)
    droppable = {u.visit_id for u in precheck(problem)}
    share = second_pass_share if len(parts) > 1 else 0.0
    solutions = solve_parts(
        parts,
        time_limit_s * (1 - share),
        executor,
        workers=workers,
        explain=explain,
        progress=progress,
    )
    stitched = stitch(problem, parts, solutions)
    left_out = [u for u in stitched.unassigned if u.visit_id not in droppable]
    if left_out and share > 0:
        again = solve(
            problem,
            time_limit_s=time_limit_s * share,
            initial_routes={t.vehicle_id: [a.visit_id for a in t.arrivals] for t in stitched.tours},
            explain=explain,
        )
        if len(again.unassigned) < len(stitched.unassigned):
            stitched = Solution(
                tours=again.tours,
                unassigned=again.unassigned,
                cost=again.cost,
                status=f"{stitched.status}; whole day again: {again.status}",
                wall_time_s=again.wall_time_s,
                stats={
                    **stitched.stats,
                    "placed_by_second_pass": float(
                        len(stitched.unassigned) - len(again.unassigned)
                    ),
                },
            )
    return Solution(
        tours=stitched.tours,
        unassigned=stitched.unassigned,
        cost=stitched.cost,
        status=stitched.status,
        wall_time_s=time.monotonic() - started,
        stats=stitched.stats,
    )


def solve_parts(
    parts: Sequence[Part],
    time_limit_s: float,
    executor: concurrent.futures.Executor | None = None,
    *,
    workers: int | None = None,
    explain: bool = True,
    progress: SplitProgress | None = None,
) -> list[Solution]:
    """One solution per part, in order. The parts with visits run `workers` at a time (default:
    one per core), each for an equal slice of `time_limit_s`, so the whole takes about
    `time_limit_s` plus the explanation of drops. Without an `executor` a process pool is made
    for the call and shut down after it."""
    busy = [k for k, part in enumerate(parts) if part.problem.visits]
    solutions = [Solution(tours=(), unassigned=(), cost=0.0, status="no visits")] * len(parts)
    if not busy:
        return solutions
    workers = max(1, workers or min(len(busy), os.cpu_count() or 1))
    waves = math.ceil(len(busy) / workers)
    part_limit_s = time_limit_s / waves
    pool = executor or concurrent.futures.ProcessPoolExecutor(
        min(workers, len(busy)), mp_context=multiprocessing.get_context("spawn")
    )
    try:
        futures = [pool.submit(solve_part, parts[k].problem, part_limit_s, explain) for k in busy]
        started = time.monotonic()
        pending = set(futures)
        while pending:
            _done, pending = concurrent.futures.wait(pending, timeout=PROGRESS_EVERY_S)
            if progress is not None:
                elapsed_s = time.monotonic() - started
                progress(_combined(futures, workers, part_limit_s, elapsed_s))
        for k, future in zip(busy, futures, strict=True):
            solutions[k] = future.result()
    finally:
        if executor is None:
            pool.shutdown(wait=False, cancel_futures=True)
    return solutions


def _combined(
    futures: Sequence[concurrent.futures.Future[Solution]],
    workers: int,
    part_limit_s: float,
    elapsed_s: float,
) -> float:
    """The mean progress of the parts. A part's search reports the share of its time limit
    used, so a running part is at (time since its wave began) / its limit; finished is 1."""
    fractions = [
        1.0
        if future.done()
        else min(0.99, max(0.0, (elapsed_s - (k // workers) * part_limit_s) / part_limit_s))
        for k, future in enumerate(futures)
    ]
    return sum(fractions) / len(fractions)


def stitch(problem: Problem, parts: Sequence[Part], solutions: Sequence[Solution]) -> Solution:
    """The parts' plans as one plan of `problem`, checked by `validate`.

    Ids are shared between a part and the whole problem and the sliced matrices hold the same
    numbers, so the tours carry over unchanged. Raises StitchError on any violation.
    """
    if len(parts) != len(solutions):
        raise ValueError(f"{len(parts)} parts but {len(solutions)} solutions to stitch")
    order = {vehicle.id: k for k, vehicle in enumerate(problem.vehicles)}
    tours = sorted((t for s in solutions for t in s.tours), key=lambda t: order[t.vehicle_id])
    statuses = sorted({s.status for s, p in zip(solutions, parts, strict=True) if p.problem.visits})
    stitched = Solution(
        tours=tuple(tours),
        unassigned=tuple(u for s in solutions for u in s.unassigned),
        cost=sum(s.cost for s in solutions),
        status=f"split into {len(parts)} parts: {', '.join(statuses)}",
        wall_time_s=max((s.wall_time_s for s in solutions), default=0.0),
        stats={
            "objective": sum(s.stats.get("objective", s.cost) for s in solutions),
            "parts": float(len(parts)),
            "visits": float(len(problem.visits)),
            "largest_part_visits": float(max(len(p.problem.visits) for p in parts)),
        },
    )
    violations = validate(problem, stitched)
    if violations:
        shown = "; ".join(str(v) for v in violations[:5])
        raise StitchError(f"the stitched plan breaks {len(violations)} rule(s): {shown}")
    return stitched
