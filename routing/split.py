"""Cutting a big Problem into smaller ones solved apart: one per depot, then zones of a big depot.

A part is an ordinary, valid Problem over a subset of the vehicles and visits, with its matrices
sliced to the locations it uses; ids are kept, so the parts' plans stitch back into a plan of
the whole problem. What must travel together stays together: both ends of a pickup-and-delivery
pair, and visits pinned to a vehicle (already loaded, in its fixed prefix) go with that vehicle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from routing.problem import Problem
from routing.slicing import servable as _servable
from routing.slicing import sliced
from routing.zones import Unit, sweep_zones, unit_weights

# A depot part larger than this is cut into zones (about this many visits each).
DEFAULT_MAX_VISITS = 250
# A depot takes at most this multiple of its fleet's share of the day's demand.
BALANCE_SLACK = 1.1


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a split problem; `name` says which depot (and zone) it is, for logs."""

    name: str
    problem: Problem


def split(
    problem: Problem, *, max_visits: int | None = DEFAULT_MAX_VISITS, by_depot: bool = True
) -> tuple[Part, ...]:
    """The parts of `problem`: one per depot (`by_depot`), each cut into zones of about
    `max_visits` visits when it has more (None: never). Every vehicle and every visit is in
    exactly one part; parts without visits are kept so that the vehicles stay partitioned.
    """
    units = _units(problem)
    depots = _depots(problem) if by_depot else [list(range(len(problem.vehicles)))]
    able = _able_depots(problem, units, depots)
    home = [_home_depot(problem, u, depots, a) for u, a in zip(units, able, strict=True)]
    home = _balanced(problem, units, depots, able, home)
    parts: list[Part] = []
    for d, vehicles in enumerate(depots):
        mine = [unit for unit, h in zip(units, home, strict=True) if h == d]
        depot = _location_of(problem, vehicles)
        name = f"depot {_name(problem, depot)}" if by_depot else "all depots"
        n_visits = sum(len(u.visit_ids) for u in mine)
        n_zones = 1 if max_visits is None else min(len(vehicles), math.ceil(n_visits / max_visits))
        if n_zones <= 1:
            parts.append(Part(name, sliced(problem, vehicles, _visit_ids(mine))))
            continue
        zones = sweep_zones(problem, depot, vehicles, mine, n_zones)
        parts += [
            Part(f"{name} zone {k + 1}", sliced(problem, zone.vehicles, _visit_ids(zone.units)))
            for k, zone in enumerate(zones)
        ]
    return tuple(parts)


def _units(problem: Problem) -> list[Unit]:
    pinned = {vid: v for v, vehicle in enumerate(problem.vehicles) for vid in vehicle.fixed_prefix}
    index = {vehicle.id: v for v, vehicle in enumerate(problem.vehicles)}
    paired = {p.delivery_id: p for p in problem.pairs}
    units = []
    for visit in problem.visits:
        pair = problem.pair_of(visit.id)
        if pair is not None and visit.id in paired:
            continue  # the delivery travels with its pickup
        ids = (visit.id,) if pair is None else (pair.pickup_id, pair.delivery_id)
        members = [problem.visit(vid) for vid in ids]
        owners = {pinned[m.id] for m in members if m.id in pinned}
        owners |= {index[m.loaded_on] for m in members if m.loaded_on is not None}
        units.append(Unit(ids, min(owners) if owners else None))
    return units


def _depots(problem: Problem) -> list[list[int]]:
    """Vehicle indices grouped by the depot they return to (where they start when they do not
    return); a replanned vehicle starts where it is but still belongs to its depot."""
    groups: dict[int, list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        depot = vehicle.end_location if vehicle.end_location is not None else vehicle.start_location
        groups.setdefault(depot, []).append(v)
    return [groups[depot] for depot in sorted(groups)]


def _location_of(problem: Problem, vehicles: Sequence[int]) -> int:
    vehicle = problem.vehicles[vehicles[0]]
    return vehicle.end_location if vehicle.end_location is not None else vehicle.start_location


def _able_depots(
    problem: Problem, units: Sequence[Unit], depots: list[list[int]]
) -> list[list[int]]:
    """For each unit, the depots whose vehicles could serve it, by the solver's own prechecks
    (skills, capacity, a window reachable on a direct trip within the shift)."""
    servable = [_servable(problem, vehicles) for vehicles in depots]
    return [
        [d for d in range(len(depots)) if servable[d].issuperset(unit.visit_ids)] for unit in units
    ]


def _home_depot(problem: Problem, unit: Unit, depots: list[list[int]], able: list[int]) -> int:
    """The depot of the unit's pinned vehicle, else the nearest depot with a vehicle that may
    take it (round trip), else the nearest depot (its part then explains why nobody can)."""
    if unit.pinned_to is not None:
        return next(d for d, vehicles in enumerate(depots) if unit.pinned_to in vehicles)
    candidates = able or list(range(len(depots)))
    return min(candidates, key=lambda d: _round_trip_m(problem, depots[d], unit))


def _balanced(
    problem: Problem,
    units: Sequence[Unit],
    depots: list[list[int]],
    able: list[list[int]],
    home: list[int],
) -> list[int]:
    """`home` with units moved from depots loaded beyond their share of the fleet to depots
    below theirs, cheapest moves (least extra round trip) first.

    Nearest-depot alone hands the depot in the middle of town most of the day, more than its
    vehicles can carry, while the other depot's vans stand idle.
    """
    home = list(home)
    weights = unit_weights(problem, units)
    fleet = _fleet_shares(problem, depots)
    load = [float(weights[[h == d for h in home]].sum()) for d in range(len(depots))]
    target = [share * BALANCE_SLACK for share in fleet]
    moves = sorted(
        (
            _round_trip_m(problem, depots[to], unit)
            - _round_trip_m(problem, depots[home[k]], unit),
            k,
            to,
        )
        for k, unit in enumerate(units)
        if unit.pinned_to is None
        for to in range(len(depots))
        if to != home[k] and to in able[k]
    )
    for _extra_m, k, to in moves:
        here = home[k]
        if here != to and load[here] > target[here] and load[to] + weights[k] <= target[to]:
            home[k] = to
            load[here] -= float(weights[k])
            load[to] += float(weights[k])
    return home


def _fleet_shares(problem: Problem, depots: list[list[int]]) -> list[float]:
    """Each depot's share of the fleet: the mean of its shares of vehicles and of each
    capacity dimension."""
    table = np.asarray(
        [
            [float(len(vehicles))]
            + [
                float(sum(problem.capacity_of(problem.vehicles[v])[d] for v in vehicles))
                for d in range(len(problem.dimensions))
            ]
            for vehicles in depots
        ]
    )
    totals = table.sum(axis=0)
    shares = table[:, totals > 0] / totals[totals > 0]
    return [float(x) for x in shares.mean(axis=1)]


def _round_trip_m(problem: Problem, vehicles: Sequence[int], unit: Unit) -> int:
    depot = _location_of(problem, vehicles)
    matrix = problem.matrices[problem.vehicles[vehicles[0]].profile].distance_m
    locations = [problem.visit(vid).location for vid in unit.visit_ids]
    return sum(int(matrix[depot, loc]) + int(matrix[loc, depot]) for loc in locations)


def _visit_ids(units: Iterable[Unit]) -> list[str]:
    return [vid for unit in units for vid in unit.visit_ids]


def _name(problem: Problem, location: int) -> str:
    names = problem.location_names
    return names[location] if location < len(names) else f"at location {location}"
