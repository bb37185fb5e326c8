"""Zones of one depot: a sweep by angle around the depot, vehicles shared out by demand.

The Problem has no coordinates, only matrices, so the angles are taken in a planar embedding of
the distance matrix (classical multidimensional scaling): exact for straight-line distances and
close enough for road distances to cut a city into wedges. Routes leave a depot and come back,
so wedges from the depot keep each route's stops together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.problem import Problem
from routing.slicing import servable

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Unit:
    """Visits that go to the same part: one visit, or both ends of a pair."""

    visit_ids: tuple[str, ...]
    # The vehicle the unit is pinned to (goods on board, fixed prefix), if any.
    pinned_to: int | None


@dataclass(frozen=True, slots=True)
class Zone:
    vehicles: tuple[int, ...]
    units: tuple[Unit, ...]


def sweep_zones(
    problem: Problem, depot: int, vehicles: Sequence[int], units: Sequence[Unit], n_zones: int
) -> list[Zone]:
    """`n_zones` wedges around `depot` of about equal demand (visits and each capacity
    dimension count alike), each with a proportional share of `vehicles` mixed alike in skills,
    shifts and size. A unit no vehicle of its wedge may take moves to the nearest wedge with
    one; a pinned unit follows its vehicle."""
    angles = _angles(problem, depot, units)
    weights = unit_weights(problem, units)
    cut = _sweep(angles, weights, n_zones)
    quotas = _quotas([float(weights[cut == z].sum()) for z in range(n_zones)], len(vehicles))
    zone_of_vehicle = _share_vehicles(problem, vehicles, units, cut, quotas)
    centres = [_mean_angle(angles[cut == z]) for z in range(n_zones)]
    fleets = [[v for v in vehicles if zone_of_vehicle[v] == z] for z in range(n_zones)]
    ids = [vid for unit in units for vid in unit.visit_ids]
    served = [servable(problem, fleet, ids) for fleet in fleets]
    for k, unit in enumerate(units):
        if unit.pinned_to is not None:
            cut[k] = zone_of_vehicle[unit.pinned_to]
            continue
        able = [z for z in range(n_zones) if served[z].issuperset(unit.visit_ids)]
        if able and int(cut[k]) not in able:
            cut[k] = min(able, key=lambda z: _angle_between(angles[k], centres[z]))
    return [
        Zone(
            vehicles=tuple(fleets[z]),
            units=tuple(u for u, c in zip(units, cut, strict=True) if c == z),
        )
        for z in range(n_zones)
    ]


def _angles(problem: Problem, depot: int, units: Sequence[Unit]) -> FloatArray:
    """Each unit's angle around the depot (of its visits' mean position), radians."""
    locations = sorted({problem.visit(vid).location for u in units for vid in u.visit_ids})
    index = {loc: k + 1 for k, loc in enumerate(locations)}
    points = _embed(next(iter(problem.matrices.values())).distance_m, [depot, *locations])
    xy = points[1:] - points[0]
    angles = np.empty(len(units))
    for k, unit in enumerate(units):
        mean = xy[[index[problem.visit(vid).location] - 1 for vid in unit.visit_ids]].mean(axis=0)
        angles[k] = math.atan2(float(mean[1]), float(mean[0]))
    return angles


def _embed(distance_m: npt.NDArray[np.int64], locations: Sequence[int]) -> FloatArray:
    """Planar coordinates whose distances best match the (symmetrised) matrix: classical MDS."""
    sub = distance_m[np.ix_(locations, locations)].astype(np.float64)
    squared = ((sub + sub.T) / 2) ** 2
    n = len(locations)
    centring = np.eye(n) - np.full((n, n), 1.0 / n)
    gram = -0.5 * centring @ squared @ centring
    values, vectors = np.linalg.eigh(gram)
    top = np.clip(values[-2:], 0.0, None)
    coords: FloatArray = vectors[:, -2:] * np.sqrt(top)
    return coords


def unit_weights(problem: Problem, units: Sequence[Unit]) -> FloatArray:
    """Each unit's share of the work: the mean of its shares of visits and of each dimension."""
    columns = [[float(len(u.visit_ids)) for u in units]]
    for d in range(len(problem.dimensions)):
        columns.append(
            [float(sum(problem.demand_of(problem.visit(v))[d] for v in u.visit_ids)) for u in units]
        )
    table = np.asarray(columns).reshape(len(columns), len(units))
    totals = table.sum(axis=1)
    shares = table[totals > 0] / totals[totals > 0, None]
    weights: FloatArray = shares.mean(axis=0) if len(shares) else np.zeros(len(units))
    return weights


def _sweep(angles: FloatArray, weights: FloatArray, n_zones: int) -> npt.NDArray[np.int64]:
    """Zone of each unit: sorted by angle from just after the widest empty sector, cut into
    `n_zones` runs of about equal weight."""
    order = np.argsort(angles)
    ordered = angles[order]
    gaps = np.diff(np.append(ordered, ordered[0] + 2 * math.pi))
    start = (int(np.argmax(gaps)) + 1) % len(order)
    order = np.roll(order, -start)
    cumulative = np.cumsum(weights[order]) - weights[order] / 2
    zone_in_order = np.minimum((cumulative / weights.sum() * n_zones).astype(np.int64), n_zones - 1)
    cut = np.empty(len(order), dtype=np.int64)
    cut[order] = zone_in_order
    return cut


def _quotas(weights: Sequence[float], n_vehicles: int) -> list[int]:
    """Vehicles per zone in proportion to its weight (largest remainder), at least one each."""
    total = sum(weights) or 1.0
    exact = [(n_vehicles - len(weights)) * w / total for w in weights]
    quotas = [1 + math.floor(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda z: math.floor(exact[z]) - exact[z])
    for z in by_remainder[: n_vehicles - sum(quotas)]:
        quotas[z] += 1
    return quotas


def _share_vehicles(
    problem: Problem,
    vehicles: Sequence[int],
    units: Sequence[Unit],
    cut: npt.NDArray[np.int64],
    quotas: list[int],
) -> dict[int, int]:
    """Zone of each vehicle: a vehicle with pinned visits goes where most of them are; the rest
    are dealt in order of skills, shift and size to the zone furthest below its quota, so each
    zone gets its share of refrigerated vans, of late shifts and of large vans."""
    zone_of: dict[int, int] = {}
    for v in vehicles:
        pinned = [int(c) for u, c in zip(units, cut, strict=True) if u.pinned_to == v]
        if pinned:
            zone_of[v] = max(set(pinned), key=pinned.count)
    free = sorted(
        (v for v in vehicles if v not in zone_of),
        key=lambda v: (
            sorted(problem.vehicles[v].skills),
            problem.vehicles[v].shift.start_s,
            problem.capacity_of(problem.vehicles[v]),
        ),
    )
    for v in free:
        taken = [sum(1 for z in zone_of.values() if z == k) for k in range(len(quotas))]
        zone_of[v] = max(range(len(quotas)), key=lambda k: (quotas[k] - taken[k]) / quotas[k])
    return zone_of


def _mean_angle(angles: FloatArray) -> float:
    if not len(angles):
        return 0.0
    return math.atan2(float(np.sin(angles).mean()), float(np.cos(angles).mean()))


def _angle_between(a: float, b: float) -> float:
    return abs((a - b + math.pi) % (2 * math.pi) - math.pi)
