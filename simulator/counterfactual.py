"""The day without replanning: the first published routes driven to the end under the same
noise and disturbances; the broken-down vehicle's remaining stops are lost and the urgent
orders are never served."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.matrix import SpeedProfile
from simulator.day_model import DEPOT_KEY, Outcome, Place, Visit, drive, serve
from simulator.noise import NoiseModel


@dataclass(frozen=True, slots=True)
class PlannedRoute:
    vehicle_id: int
    profile: SpeedProfile
    depot: Place
    start_at: datetime
    visits: tuple[Visit, ...]


@dataclass(frozen=True, slots=True)
class Breakdown:
    vehicle_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ReplayedDay:
    outcomes: tuple[Outcome, ...]
    distance_m: float


def replay(
    routes: Sequence[PlannedRoute],
    noise: NoiseModel,
    breakdown: Breakdown | None,
    *,
    until: datetime | None = None,
) -> ReplayedDay:
    """Times every route's fixed sequence from its planned start, stop after stop; what is
    not finished by `until` (the end of the played day) is not done."""
    outcomes: list[Outcome] = []
    distance_m = 0.0
    for route in routes:
        stop_at = breakdown.at if breakdown and breakdown.vehicle_id == route.vehicle_id else None
        if stop_at is not None and stop_at <= route.start_at:
            continue  # broke down before leaving: nothing of it is delivered
        here, at = route.depot, route.start_at
        for visit in route.visits:
            leg = drive(
                here,
                visit.place,
                at,
                profile=route.profile,
                noise=noise,
                vehicle_id=route.vehicle_id,
                key=visit.order_id,
            )
            if stop_at is not None and leg.end_at > stop_at:
                distance_m += leg.distance_by(stop_at)
                break
            distance_m += leg.distance_m
            outcome = serve(visit, leg.end_at, noise=noise, vehicle_id=route.vehicle_id)
            if stop_at is not None and outcome.done_at > stop_at:
                break
            if until is not None and outcome.done_at > until:
                break
            outcomes.append(outcome)
            here, at = visit.place, outcome.done_at
        else:
            back = drive(
                here,
                route.depot,
                at,
                profile=route.profile,
                noise=noise,
                vehicle_id=route.vehicle_id,
                key=DEPOT_KEY,
            )
            distance_m += back.distance_by(stop_at) if stop_at else back.distance_m
    return ReplayedDay(tuple(outcomes), distance_m)
