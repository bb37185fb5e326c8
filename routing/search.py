"""How the search runs: named configurations turned into OR-Tools search parameters.

The presets are chosen by measurement (benchmarks/solomon.py); a config is plain data so the
benchmarks and the portfolio can name, compare and ship them to worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

_FIRST = routing_enums_pb2.FirstSolutionStrategy.Value
_META = routing_enums_pb2.LocalSearchMetaheuristic.Value


@dataclass(frozen=True, slots=True)
class SearchConfig:
    name: str
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    # Parallel cheapest insertion is quadratic in visits times vehicles: at 1,000 stops and 50
    # vehicles it needs about 8 s before the first plan; local cheapest insertion about 4 s.
    large_first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    large_from_visits: int = 400
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    # Iterated local search with ruin-and-recreate (SISR string removals) instead of or
    # alongside the metaheuristic.
    iterated_local_search: bool = False
    ruin: str = "sisr"  # sisr | random_walk | spatially_close_routes
    gls_lambda: float | None = None
    # Operators that are off by default in OR-Tools.
    extra_operators: tuple[str, ...] = ()
    # Restrict local search to the closest neighbours of each node (0 = all).
    neighbors_ratio: float = 1.0
    use_full_propagation: bool = False
    # Our own ruin-and-recreate loop after the OR-Tools search has used this share of the time.
    ruin_recreate_after: float | None = None


BASELINE = SearchConfig(name="baseline", large_from_visits=10**9)

PRESETS: dict[str, SearchConfig] = {
    # The plain OR-Tools model the issue compares against: same first solution at every size.
    "baseline": BASELINE,
    "gls-savings": SearchConfig(name="gls-savings", first_solution="SAVINGS"),
    "gls-lns": SearchConfig(
        name="gls-lns",
        extra_operators=("use_path_lns", "use_inactive_lns", "use_cross_exchange"),
    ),
    "gls-rr": SearchConfig(name="gls-rr", ruin_recreate_after=0.2),
    "rr": SearchConfig(name="rr", metaheuristic="GREEDY_DESCENT", ruin_recreate_after=0.1),
    "ils-sisr": SearchConfig(
        name="ils-sisr",
        first_solution="SAVINGS",
        metaheuristic="GREEDY_DESCENT",
        iterated_local_search=True,
    ),
}

DEFAULT = PRESETS["gls-rr"]


def preset(name: str) -> SearchConfig:
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown search configuration {name!r}; known: {known}") from None


def search_parameters(
    config: SearchConfig, time_limit_s: float, n_visits: int = 0
) -> pywrapcp.RoutingSearchParameters:
    """The OR-Tools parameters for `config` on `n_visits` visits, stopping after the limit."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    large = n_visits >= config.large_from_visits
    first = config.large_first_solution if large else config.first_solution
    params.first_solution_strategy = _FIRST.Value(first)
    params.local_search_metaheuristic = _META.Value(config.metaheuristic)
    if config.gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = config.gls_lambda
    for operator in config.extra_operators:
        setattr(params.local_search_operators, operator, optional_boolean_pb2.BOOL_TRUE)
    if config.neighbors_ratio < 1.0:
        params.ls_operator_neighbors_ratio = config.neighbors_ratio
    params.use_full_propagation = config.use_full_propagation
    if config.iterated_local_search:
        _set_ruin_and_recreate(params, config)
    seconds = int(time_limit_s)
    params.time_limit.seconds = seconds
    params.time_limit.nanos = int((time_limit_s - seconds) * 1e9)
    return params


def _set_ruin_and_recreate(params: pywrapcp.RoutingSearchParameters, config: SearchConfig) -> None:
    ils = params.iterated_local_search_parameters
    params.use_iterated_local_search = True
    strategy = ils.ruin_recreate_parameters.ruin_strategies.add()
    if config.ruin == "sisr":
        # Slack Induction by String Removals (Christiaens & Vanden Berghe 2020): their defaults.
        strategy.sisr.max_removed_sequence_size = 10
        strategy.sisr.avg_num_removed_visits = 10
        strategy.sisr.bypass_factor = 0.01
    elif config.ruin == "random_walk":
        strategy.random_walk.num_removed_visits = 10
    else:
        strategy.spatially_close_routes.num_ruined_routes = 2
    # Our costs are in millionths of a currency unit: fixed temperatures would be meaningless.
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.automatic_temperatures = True
