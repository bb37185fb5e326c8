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
    # OR-Tools' own iterated local search (RoutingModel.SolveWithIteratedLocalSearch): ruin,
    # recreate, a local search down to a local optimum, simulated-annealing acceptance. It is a
    # separate entry point: setting use_iterated_local_search and calling SolveWithParameters
    # runs the plain search and ignores it. The metaheuristic must then be GREEDY_DESCENT.
    iterated_local_search: bool = False
    ruin: str = "sisr"  # sisr | random_walk | spatially_close_routes
    # SISR: mean visits removed per ruin (c-bar) and longest removed string (L-max); the
    # random walk removes ruin_removed visits; spatially close routes removes ruin_routes.
    ruin_removed: int = 10
    ruin_max_string: int = 10
    ruin_routes: int = 2
    recreate: str = "LOCAL_CHEAPEST_INSERTION"
    gls_lambda: float | None = None
    # Operators that are off by default in OR-Tools, and default ones switched off.
    extra_operators: tuple[str, ...] = ()
    disabled_operators: tuple[str, ...] = ()
    # Restrict local search to the closest neighbours of each node (0 = all).
    neighbors_ratio: float = 1.0
    use_full_propagation: bool = False
    # Our own ruin-and-recreate loop after the OR-Tools search has used this share of the time.
    ruin_recreate_after: float | None = None


BASELINE = SearchConfig(name="baseline", large_from_visits=10**9)

# Default OR-Tools operators that rebuild whole paths by insertion heuristics, or search long
# chains. Inside iterated local search, where the local search runs after every ruin, they
# take most of each iteration: without them about 10x more iterations fit in the same time
# (R1: ~10 -> ~150 per second on one core), which is worth more than what they find.
HEAVY_OPERATORS: tuple[str, ...] = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_relocate_expensive_chain",
    "use_shortest_path_swap_active",
    "use_shortest_path_two_opt",
    "use_swap_active_chain",
    "use_make_chain_inactive",
)

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
    # OR-Tools' iterated local search: SISR ruin, local cheapest insertion, a greedy descent
    # with the light operators, simulated-annealing acceptance at automatic temperatures.
    #
    # Parallel cheapest insertion at every size: on the 1,000-stop city day the first local
    # descent evidently does not end within 60 s (greedy descent and guided local search from
    # the same plan end at the same cost), so the first plan decides the cost. From local
    # cheapest insertion (first plan in 3.7 s) it was 6,896; from parallel cheapest insertion
    # (5.6 s) 5,718, the same as guided local search from there.
    "ils": SearchConfig(
        name="ils",
        large_from_visits=10**9,
        metaheuristic="GREEDY_DESCENT",
        iterated_local_search=True,
        disabled_operators=HEAVY_OPERATORS,
    ),
    # The same iterated local search with every default operator: about 10x fewer iterations.
    "ils-full": SearchConfig(
        name="ils-full", metaheuristic="GREEDY_DESCENT", iterated_local_search=True
    ),
    "ils-savings": SearchConfig(
        name="ils-savings",
        first_solution="SAVINGS",
        metaheuristic="GREEDY_DESCENT",
        iterated_local_search=True,
        disabled_operators=HEAVY_OPERATORS,
    ),
}

DEFAULT = PRESETS["ils"]


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
    for operator in config.disabled_operators:
        setattr(params.local_search_operators, operator, optional_boolean_pb2.BOOL_FALSE)
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
    recreate = ils.ruin_recreate_parameters
    strategy = recreate.ruin_strategies.add()
    if config.ruin == "sisr":
        # Slack Induction by String Removals (Christiaens & Vanden Berghe 2020).
        strategy.sisr.max_removed_sequence_size = config.ruin_max_string
        strategy.sisr.avg_num_removed_visits = config.ruin_removed
        strategy.sisr.bypass_factor = 0.01
    elif config.ruin == "random_walk":
        strategy.random_walk.num_removed_visits = config.ruin_removed
    else:
        strategy.spatially_close_routes.num_ruined_routes = config.ruin_routes
    recreate.recreate_strategy.heuristic = _FIRST.Value(config.recreate)
    # Automatic temperatures are 0.1 and 0.001 times a sampled mean arc cost, so they fit any
    # cost unit (ours are millionths of a currency unit). Hotter (SISR's 100 -> 1 on Solomon)
    # measured worse at 10 s: 1.89 % against 1.32 % mean gap on a 10-instance subset.
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.automatic_temperatures = True


def from_given_routes(params: pywrapcp.RoutingSearchParameters) -> pywrapcp.RoutingSearchParameters:
    """`params` for a search that starts from given routes.

    OR-Tools' iterated local search builds its own first plan and cannot start from routes;
    a greedy descent alone would stop at the first local optimum, so guided local search
    improves the given routes instead.
    """
    if not params.use_iterated_local_search:
        return params
    adapted = pywrapcp.DefaultRoutingSearchParameters()
    adapted.CopyFrom(params)
    adapted.use_iterated_local_search = False
    adapted.local_search_metaheuristic = _META.Value("GUIDED_LOCAL_SEARCH")
    return adapted
