"""The noise model replays for the same seed; the day without replanning is timed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from routing.matrix import SpeedProfile
from simulator.counterfactual import Breakdown, PlannedRoute, replay
from simulator.day_model import FAILED_ATTEMPT_S, Place, Visit, drive
from simulator.noise import NoiseModel

START = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
PROFILE = SpeedProfile("van", speed_kmh=36.0, detour_factor=1.0)  # 10 m/s, straight lines
DEPOT = Place(59.4370, 24.7536)


def _draws(noise: NoiseModel, keys: range) -> list[object]:
    return [
        (noise.traffic_factor(k), noise.leg_factor(k), noise.service_s(k, 300), noise.failure(k))
        for k in keys
    ]


def test_the_same_seed_draws_the_same_noise_in_any_order():
    first = _draws(NoiseModel(seed=7), range(1, 200))
    again = list(reversed(_draws(NoiseModel(seed=7), range(199, 0, -1))))

    assert first == again
    assert first != _draws(NoiseModel(seed=8), range(1, 200))


def test_the_noise_has_the_disturbances_a_day_needs():
    noise = NoiseModel(seed=0)
    keys = range(1, 1001)

    failures = [k for k in keys if noise.failure(k) is not None]
    long_services = [k for k in keys if noise.is_long_service(k, 300)]
    traffic = [noise.traffic_factor(k) for k in range(1, 21)]

    assert 10 <= len(failures) <= 80
    assert 10 <= len(long_services) <= 100
    assert all(0.9 <= f <= 1.8 for f in traffic)
    assert sum(traffic) / len(traffic) > 1.0  # traffic slows the day on average


def _calm(**overrides: Any) -> NoiseModel:
    """No randomness at all: driving and service take exactly what the plan says."""
    values: dict[str, Any] = {
        "traffic_log_mean": 0.0,
        "traffic_log_sigma": 0.0,
        "leg_log_sigma": 0.0,
        "service_log_sigma": 0.0,
        "long_service_share": 0.0,
        "failure_share": 0.0,
    }
    return NoiseModel(seed=0, **(values | overrides))


def _east(metres: float) -> Place:
    """A point `metres` east of the depot (one degree of longitude is shorter up north)."""
    leg = drive(
        DEPOT,
        Place(DEPOT.lat, DEPOT.lng + 0.01),
        START,
        profile=PROFILE,
        noise=_calm(),
        vehicle_id=1,
        key=0,
    )
    return Place(DEPOT.lat, DEPOT.lng + 0.01 * metres / leg.distance_m)


def _route(windows: list[tuple[int, int]]) -> PlannedRoute:
    visits = tuple(
        Visit(
            order_id=k + 1,
            place=_east(1000.0 * (k + 1)),
            window_start=START + timedelta(minutes=a),
            window_end=START + timedelta(minutes=b),
            service_s=300,
        )
        for k, (a, b) in enumerate(windows)
    )
    return PlannedRoute(1, PROFILE, DEPOT, START, visits)


def test_a_calm_day_is_timed_leg_by_leg():
    # 1 km between stops at 10 m/s: 100 s of driving each; 300 s of service.
    day = replay([_route([(0, 60), (0, 60), (0, 5)])], _calm(), None)

    arrivals = [(o.arrived_at - START).total_seconds() for o in day.outcomes]
    assert arrivals == [100, 500, 900]
    assert [o.late_s for o in day.outcomes] == [0, 0, 900 - 300]
    # Out and back; metres are rounded per leg, and a parallel is not quite a great circle.
    assert abs(day.distance_m - 6000) <= 10


def test_a_courier_waits_for_the_window_to_open():
    day = replay([_route([(10, 60)])], _calm(), None)

    (outcome,) = day.outcomes
    assert outcome.service_start_at == START + timedelta(minutes=10)
    assert outcome.done_at == START + timedelta(minutes=15)


def test_a_failed_attempt_takes_its_short_time_and_is_not_late():
    day = replay([_route([(0, 1), (0, 60)])], _calm(failure_share=1.0), None)

    first, second = day.outcomes
    assert not first.delivered
    assert first.done_at == first.arrived_at + timedelta(seconds=FAILED_ATTEMPT_S)
    assert first.late_s == 0
    assert (second.arrived_at - first.done_at).total_seconds() == 100


def test_the_broken_vehicle_loses_what_it_has_not_finished():
    route = _route([(0, 60), (0, 60), (0, 60)])

    mid_day = replay([route], _calm(), Breakdown(1, START + timedelta(seconds=450)))
    before_leaving = replay([route], _calm(), Breakdown(1, START))

    assert [o.order_id for o in mid_day.outcomes] == [1]  # the second was being driven to
    assert before_leaving.outcomes == ()
    assert before_leaving.distance_m == 0


def test_traffic_stretches_every_leg_by_the_routes_factor():
    noise = _calm(traffic_log_mean=0.2)
    factor = noise.traffic_factor(1)

    day = replay([_route([(0, 60)])], noise, None)

    (outcome,) = day.outcomes
    assert (outcome.arrived_at - START).total_seconds() == round(100 * factor)


def test_what_is_not_finished_when_the_day_ends_is_not_done():
    route = _route([(0, 60), (0, 60)])

    day = replay([route], _calm(), None, until=START + timedelta(seconds=500))

    # The first service ends at 400 s, the second at 800 s.
    assert [o.order_id for o in day.outcomes] == [1]
