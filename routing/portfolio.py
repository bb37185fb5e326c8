"""Several differently configured searches in separate processes; the best plan wins.

OR-Tools' routing search is single-threaded and deterministic for a given configuration, so the
way to use more cores is diversity: each process runs another configuration on the same problem.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
from collections.abc import Mapping, Sequence

from routing.problem import Problem
from routing.search import PRESETS, SearchConfig
from routing.solution import Solution
from routing.solve import explain_budget_s, explain_unassigned, solve

DEFAULT_PORTFOLIO: tuple[str, ...] = ("ils", "ils-savings", "gls-savings", "baseline")


def solve_portfolio(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    workers: int = 2,
    configs: Sequence[SearchConfig] | None = None,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
    explain: bool = True,
) -> Solution:
    """Run `workers` configurations at once for `time_limit_s`; return the cheapest plan.

    The winner has the lowest objective (route costs plus drop penalties), so a plan serving
    more visits beats a shorter one that leaves visits out. Drops are explained for the winner.
    """
    chosen = list(configs or [PRESETS[name] for name in DEFAULT_PORTFOLIO])[: max(workers, 1)]
    # "spawn": every child builds its own OR-Tools model, no native state crosses a fork.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(len(chosen), mp_context=context) as pool:
        futures = [
            pool.submit(
                solve,
                problem,
                time_limit_s=time_limit_s,
                config=config,
                initial_routes=initial_routes,
                explain=False,
            )
            for config in chosen
        ]
        results = [future.result() for future in futures]
    winner = min(range(len(results)), key=lambda i: results[i].stats["objective"])
    best = dataclasses.replace(
        results[winner],
        status=f"{results[winner].status} ({chosen[winner].name})",
        stats=dict(results[winner].stats, portfolio_size=float(len(chosen))),
    )
    if not explain:
        return best
    return explain_unassigned(problem, best, chosen[winner], explain_budget_s(time_limit_s))
