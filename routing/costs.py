"""Integer cost units: money is scaled so OR-Tools' int64 arithmetic loses nothing that matters.

One cost unit is a millionth of the currency unit. A cost per km becomes an integer per metre
(x1000), a cost per hour an integer per second (rounded; at most half a unit per second).
"""

from __future__ import annotations

from routing.problem import Problem, Vehicle, Visit

UNITS_PER_CURRENCY = 1_000_000


def arc_cost_per_m(vehicle: Vehicle) -> int:
    return round(vehicle.cost_per_km * UNITS_PER_CURRENCY / 1000)


def span_cost_per_s(vehicle: Vehicle) -> int:
    return round(vehicle.cost_per_hour * UNITS_PER_CURRENCY / 3600)


def lateness_cost_per_s(visit: Visit) -> int:
    # At least one unit, so that allowed lateness is never free.
    return max(1, round(visit.lateness_cost_per_hour * UNITS_PER_CURRENCY / 3600))


def fixed_cost_units(vehicle: Vehicle) -> int:
    return round(vehicle.fixed_cost * UNITS_PER_CURRENCY)


def tour_cost(vehicle: Vehicle, distance_m: int, duration_s: int) -> float:
    """The money a tour costs, as the objective counts it."""
    return (
        vehicle.cost_per_km * distance_m / 1000
        + vehicle.cost_per_hour * duration_s / 3600
        + vehicle.fixed_cost
    )


def base_drop_penalty(problem: Problem) -> int:
    """Leaving a visit out must cost more than any plausible way of serving it.

    The bound is a round trip over the longest arc of the most expensive vehicle, including its
    driving time and fixed cost, times a margin: serving is always preferred when feasible, and
    the penalty still fits comfortably in int64.
    """
    worst = 0
    for vehicle in problem.vehicles:
        matrix = problem.matrices[vehicle.profile]
        longest_m = int(matrix.distance_m.max(initial=0))
        longest_s = int(matrix.duration_s.max(initial=0))
        service_s = max((v.service_s for v in problem.visits), default=0)
        trip = 2 * (
            longest_m * arc_cost_per_m(vehicle) + (longest_s + service_s) * span_cost_per_s(vehicle)
        )
        worst = max(worst, trip + fixed_cost_units(vehicle))
    return max(worst, 1) * 10


def drop_penalty(visit: Visit, base: int) -> int:
    if visit.drop_penalty is not None:
        return round(visit.drop_penalty * UNITS_PER_CURRENCY)
    # Each priority step doubles the price of leaving the visit out. Serving it as late as
    # allowed must still be cheaper than leaving it out.
    steps: int = max(0, min(visit.priority, 10))
    worst_lateness = (
        visit.max_lateness_s * lateness_cost_per_s(visit) if visit.max_lateness_s else 0
    )
    return base * (1 << steps) + 2 * worst_lateness
