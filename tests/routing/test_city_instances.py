"""The synthetic city day: fixed by its seed, shaped like a courier's day."""

import numpy as np
import pytest

from routing.instances import TALLINN, city_problem, generate_city_day
from routing.instances.city import ALL_DAY, DIMENSIONS, SLOTS
from routing.instances.fleet import CHILLED, shift_of


def test_same_seed_gives_the_same_day_and_matrices():
    first = generate_city_day(120, 8, seed=7)
    second = generate_city_day(120, 8, seed=7)
    assert first == second
    a, b = city_problem(first), city_problem(second)
    assert a.visits == b.visits
    assert a.vehicles == b.vehicles
    for profile in a.matrices:
        np.testing.assert_array_equal(
            a.matrices[profile].distance_m, b.matrices[profile].distance_m
        )
        np.testing.assert_array_equal(
            a.matrices[profile].duration_s, b.matrices[profile].duration_s
        )


def test_another_seed_gives_another_day():
    assert generate_city_day(50, 5, seed=1).orders != generate_city_day(50, 5, seed=2).orders


def test_problem_has_one_visit_per_order_and_one_vehicle_per_fleet_vehicle():
    day = generate_city_day(300, 15, seed=0)
    problem = city_problem(day)
    assert len(problem.visits) == 300
    assert len(problem.vehicles) == 15
    assert problem.dimensions == DIMENSIONS
    size = len(day.depots) + len(day.orders)
    for matrix in problem.matrices.values():
        assert matrix.distance_m.shape == (size, size)
        assert matrix.duration_s.shape == (size, size)
    assert {v.location for v in problem.visits} == set(range(len(day.depots), size))


def test_orders_lie_around_the_city_with_slots_service_and_parcels():
    day = generate_city_day(1000, 50, seed=3)
    lats = np.asarray([o.lat for o in day.orders])
    lngs = np.asarray([o.lng for o in day.orders])
    assert abs(np.median(lats) - TALLINN.lat) < 0.03
    assert abs(np.median(lngs) - TALLINN.lng) < 0.06
    windows = {(o.window_start_s, o.window_end_s) for o in day.orders}
    assert windows <= {*SLOTS, ALL_DAY}
    all_day = sum(o.all_day for o in day.orders)
    assert 100 < all_day < 300
    assert all(120 <= o.service_s <= 480 for o in day.orders)
    assert all(o.parcels and o.weight_g > 0 and o.volume_cm3 > 0 for o in day.orders)
    assert len({len(o.parcels) for o in day.orders}) > 1
    chilled = sum(o.chilled for o in day.orders)
    assert 100 < chilled < 220


def test_fleet_mixes_kinds_and_shifts_and_only_refrigerated_vans_carry_chilled():
    day = generate_city_day(1000, 50, seed=0)
    assert {v.kind for v in day.vehicles} == {"van", "car", "refrigerated_van"}
    assert {v.shift for v in day.vehicles} == {"early", "middle", "late"}
    assert len({v.ref for v in day.vehicles}) == 50
    problem = city_problem(day)
    for vehicle in problem.vehicles:
        assert (CHILLED in vehicle.skills) == vehicle.id.startswith("REF-")
        assert len(vehicle.breaks) == 1
        brk = vehicle.breaks[0]
        assert vehicle.shift.start_s < brk.window.start_s < brk.window.end_s < vehicle.shift.end_s
    chilled_visits = [v for v in problem.visits if v.skills]
    assert chilled_visits
    assert all(v.skills == {CHILLED} for v in chilled_visits)


def test_two_depots_split_the_fleet():
    day = generate_city_day(100, 10, seed=0, two_depots=True)
    assert [d.ref for d in day.depots] == ["D1", "D2"]
    problem = city_problem(day)
    assert {v.start_location for v in problem.vehicles} == {0, 1}
    assert all(v.end_location == v.start_location for v in problem.vehicles)


def test_a_day_without_vehicles_is_refused():
    with pytest.raises(ValueError, match="at least one vehicle"):
        generate_city_day(10, 0)


@pytest.mark.parametrize("n_vehicles", [1, 3, 5, 50])
def test_every_chilled_order_falls_inside_some_refrigerated_shift(n_vehicles):
    day = generate_city_day(200, n_vehicles, seed=4)
    reefers = [shift_of(v) for v in day.vehicles if v.chilled]
    assert reefers
    for order in day.orders:
        if order.chilled:
            window = (order.window_start_s, order.window_end_s)
            assert order.all_day or any(s.covers(window) for s in reefers)
