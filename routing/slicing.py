"""A sub-problem of some vehicles and visits, and which visits a set of vehicles could serve."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from routing.prechecks import precheck
from routing.problem import Problem, TravelMatrix, Visit


def sliced(problem: Problem, vehicles: Sequence[int], visit_ids: Iterable[str]) -> Problem:
    """The sub-problem of these vehicles (indices) and visits, its matrices cut down to the
    locations they use and renumbered; allow-lists keep only the vehicles of the part."""
    kept_vehicles = [problem.vehicles[v] for v in vehicles]
    kept_visits = [problem.visit(vid) for vid in visit_ids]
    used = sorted(
        {v.location for v in kept_visits}
        | {v.start_location for v in kept_vehicles}
        | {v.end_location for v in kept_vehicles if v.end_location is not None}
    )
    new = {old: k for k, old in enumerate(used)}
    index = np.asarray(used, dtype=np.int64)
    vehicle_ids = frozenset(v.id for v in kept_vehicles)
    visit_set = {v.id for v in kept_visits}
    return dataclasses.replace(
        problem,
        visits=tuple(_moved_visit(v, new, vehicle_ids) for v in kept_visits),
        vehicles=tuple(
            dataclasses.replace(
                v,
                start_location=new[v.start_location],
                end_location=None if v.end_location is None else new[v.end_location],
            )
            for v in kept_vehicles
        ),
        matrices={
            profile: TravelMatrix(
                distance_m=m.distance_m[np.ix_(index, index)],
                duration_s=m.duration_s[np.ix_(index, index)],
            )
            for profile, m in problem.matrices.items()
        },
        pairs=tuple(p for p in problem.pairs if p.pickup_id in visit_set),
        location_names=tuple(problem.location_names[k] for k in used)
        if problem.location_names
        else (),
    )


def _moved_visit(visit: Visit, new: dict[int, int], vehicle_ids: frozenset[str]) -> Visit:
    allowed = visit.allowed_vehicles
    return dataclasses.replace(
        visit,
        location=new[visit.location],
        allowed_vehicles=None if allowed is None else allowed & vehicle_ids,
    )


def servable(problem: Problem, vehicles: Sequence[int], visit_ids: Iterable[str] = ()) -> set[str]:
    """The visits (of `visit_ids`, default all) that these vehicles (indices) could serve by the
    solver's own prechecks: skills, capacity, pins, a window reachable on a direct trip."""
    ids = {problem.vehicles[v].id for v in vehicles}
    wanted = set(visit_ids) or {v.id for v in problem.visits}
    candidates = [
        v.id
        for v in problem.visits
        if v.id in wanted and (v.loaded_on is None or v.loaded_on in ids)
    ]
    rejected = {u.visit_id for u in precheck(sliced(problem, vehicles, candidates))}
    return set(candidates) - rejected
