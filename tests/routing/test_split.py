"""Split solves: parts per depot and per zone, solved apart and stitched into a valid whole."""

import concurrent.futures
import dataclasses
from collections import Counter
from typing import Any

import pytest

from routing import PickupDelivery, Problem, TimeWindow, assert_valid, solve
from routing.instances import city_problem, generate_city_day
from routing.split import split
from routing.split_solve import StitchError, solve_parts, solve_split, stitch
from tests.routing.factories import (
    hms,
    make_problem,
    make_vehicle,
    make_visit,
    matrix_from_points,
    window,
)

# The parts are solved under time limits of a second or less: a first plan needs the CPU to itself.
pytestmark = pytest.mark.alone

# Two depots 20 km apart on a line, three customers around each.
POINTS = [(0, 0), (20_000, 0), (1000, 0), (0, 1500), (-800, 300), (21_000, 0), (20_000, 900)]


def two_depot_problem(**overrides) -> Problem:
    vehicles = [
        make_vehicle("W1", start_location=0, end_location=0),
        make_vehicle("W2", start_location=0, end_location=0),
        make_vehicle("E1", start_location=1, end_location=1),
        make_vehicle("E2", start_location=1, end_location=1),
    ]
    visits = [make_visit(f"C{k}", location=k) for k in range(2, 7)]
    values: dict[str, Any] = {
        "vehicles": vehicles,
        "visits": visits,
        "matrix": matrix_from_points(POINTS),
    }
    values |= overrides
    return make_problem(values.pop("visits"), values.pop("vehicles"), **values)


def city_day(n_orders: int, n_vehicles: int, *, two_depots: bool) -> Problem:
    return city_problem(generate_city_day(n_orders, n_vehicles, seed=3, two_depots=two_depots))


def part_of(parts, visit_id: str) -> int:
    return next(k for k, p in enumerate(parts) if visit_id in {v.id for v in p.problem.visits})


def vehicles_of(parts, k: int) -> set[str]:
    return {v.id for v in parts[k].problem.vehicles}


def solve_each(parts, time_limit_s: float = 1.0):
    return [solve(p.problem, time_limit_s=time_limit_s, explain=False) for p in parts]


def test_parts_partition_the_visits_and_the_vehicles():
    problem = city_day(300, 16, two_depots=True)
    parts = split(problem, max_visits=80)
    visits = Counter(v.id for p in parts for v in p.problem.visits)
    vehicles = Counter(v.id for p in parts for v in p.problem.vehicles)
    assert visits == Counter(v.id for v in problem.visits)
    assert vehicles == Counter(v.id for v in problem.vehicles)
    assert all(len(p.problem.visits) <= 120 for p in parts)
    assert {p.name.split(" zone")[0] for p in parts} == {"depot Ülemiste", "depot Laagri"}


def test_a_depot_part_holds_the_depots_vehicles_and_the_visits_near_it():
    parts = split(two_depot_problem())
    assert [vehicles_of(parts, k) for k in range(2)] == [{"W1", "W2"}, {"E1", "E2"}]
    assert {v.id for v in parts[0].problem.visits} == {"C2", "C3", "C4"}
    assert {v.id for v in parts[1].problem.visits} == {"C5", "C6"}


def test_a_part_keeps_the_distances_of_the_whole_problem():
    problem = two_depot_problem()
    part = split(problem)[1].problem
    east, c5 = part.vehicle("E1").start_location, part.visit("C5").location
    assert part.matrices["car"].size == 3
    assert part.matrices["car"].distance_m[east, c5] == problem.matrices["car"].distance_m[1, 5]


def test_a_visit_only_the_far_depot_can_serve_goes_there():
    problem = two_depot_problem(
        visits=[make_visit("C2", location=2, skills=frozenset({"chilled"}))],
        vehicles=[
            make_vehicle("W1", start_location=0, end_location=0),
            make_vehicle("E1", start_location=1, end_location=1, skills=frozenset({"chilled"})),
        ],
    )
    parts = split(problem)
    assert vehicles_of(parts, part_of(parts, "C2")) == {"E1"}


def test_pairs_and_pinned_visits_stay_with_each_other_and_their_vehicle():
    visits = [
        make_visit("P", location=2, kind="pickup", demand=(1,)),
        make_visit("D", location=5, demand=(1,)),  # delivered near the other depot
        make_visit("LOADED", location=6, loaded_on="W2"),
        make_visit("FIXED", location=5),
        make_visit("ALLOWED", location=2, allowed_vehicles=frozenset({"E1", "W1"})),
    ]
    vehicles = [
        make_vehicle("W1", start_location=0, end_location=0, capacity=(5,)),
        make_vehicle("W2", start_location=0, end_location=0, capacity=(5,), ready_at_s=0),
        make_vehicle(
            "E1", start_location=1, end_location=1, capacity=(5,), fixed_prefix=("FIXED",)
        ),
    ]
    problem = two_depot_problem(
        visits=visits,
        vehicles=vehicles,
        dimensions=("parcels",),
        pairs=(PickupDelivery("P", "D"),),
    )
    parts = split(problem, max_visits=1)
    assert part_of(parts, "P") == part_of(parts, "D")
    assert "W2" in vehicles_of(parts, part_of(parts, "LOADED"))
    assert "E1" in vehicles_of(parts, part_of(parts, "FIXED"))
    allowed = parts[part_of(parts, "ALLOWED")].problem.visit("ALLOWED").allowed_vehicles
    assert allowed
    assert allowed <= vehicles_of(parts, part_of(parts, "ALLOWED"))
    assert len(parts[part_of(parts, "P")].problem.pairs) == 1
    assert_valid(problem, stitch(problem, parts, solve_each(parts)))


def test_stitched_plans_of_the_parts_validate_against_the_whole_problem():
    problem = city_day(240, 12, two_depots=True)
    parts = split(problem, max_visits=70)
    stitched = stitch(problem, parts, solve_each(parts))
    assert_valid(problem, stitched)
    routed = {vid for tour in stitched.tours for vid in tour.visit_ids}
    assert routed | {u.visit_id for u in stitched.unassigned} == {v.id for v in problem.visits}
    assert stitched.stats["parts"] == len(parts)


def test_a_stitch_that_breaks_a_rule_is_an_error_not_a_result():
    problem = two_depot_problem()
    parts = split(problem)
    solutions = solve_each(parts)
    lost = dataclasses.replace(solutions[1], tours=(), unassigned=())
    with pytest.raises(StitchError, match="rule"):
        stitch(problem, parts, [solutions[0], lost])
    with pytest.raises(StitchError, match="rule"):
        stitch(problem, parts, [solutions[0], solutions[0]])


def test_a_two_depot_day_solved_split_and_whole_is_valid_both_ways():
    problem = city_day(160, 8, two_depots=True)
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        split_plan = solve_split(
            problem, time_limit_s=2.0, executor=executor, workers=2, explain=False
        )
    whole = solve(problem, time_limit_s=2.0, explain=False)
    assert_valid(problem, split_plan)
    assert_valid(problem, whole)
    assert split_plan.stats["parts"] == 2
    assert len(split_plan.unassigned) <= len(whole.unassigned) + 8


def test_what_the_parts_left_out_is_offered_to_the_whole_day_again():
    # Two one-hour vans in the west can serve two of the three half-hour visits the split gives
    # them; the east van, 20 km away, has the whole day and could take the third.
    short = TimeWindow(hms(8), hms(9))
    vehicles = [
        make_vehicle("W1", start_location=0, end_location=0, shift=short),
        make_vehicle("W2", start_location=0, end_location=0, shift=short),
        make_vehicle("E1", start_location=1, end_location=1),
    ]
    visits = [
        make_visit(f"C{k}-{n}", location=k, service_s=1800, windows=(window("08:00", "09:30"),))
        for n, k in enumerate((2, 3, 4, 4))
    ]
    problem = two_depot_problem(vehicles=vehicles, visits=visits)
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        parts_only = solve_split(
            problem, time_limit_s=2.0, executor=executor, explain=False, second_pass_share=0.0
        )
        again = solve_split(
            problem, time_limit_s=2.0, executor=executor, explain=False, second_pass_share=0.2
        )
    assert len(parts_only.unassigned) == 1
    assert_valid(problem, again)
    assert again.unassigned == ()
    assert again.stats["placed_by_second_pass"] == 1


def test_one_big_depot_is_cut_into_zones_that_share_the_fleet():
    problem = city_day(300, 15, two_depots=False)
    parts = split(problem, max_visits=100)
    assert len(parts) == 3
    assert all(p.name.startswith("depot Ülemiste zone") for p in parts)
    sizes = [len(p.problem.visits) for p in parts]
    assert min(sizes) >= 60, sizes
    assert all(len(p.problem.vehicles) >= 3 for p in parts)
    # The chilled orders find a refrigerated van in their own zone.
    for part in parts:
        needs = {s for v in part.problem.visits for s in v.skills}
        assert needs <= {s for v in part.problem.vehicles for s in v.skills}
    assert_valid(problem, stitch(problem, parts, solve_each(parts, 0.5)))


def test_a_small_day_is_one_part_and_parts_without_visits_are_not_solved():
    problem = two_depot_problem(visits=[make_visit("C2", location=2)])
    assert len(split(problem, by_depot=False)) == 1
    parts = split(problem)
    solutions = solve_parts(parts, 1.0, concurrent.futures.ThreadPoolExecutor(1), explain=False)
    assert [s.status for s in solutions][1] == "no visits"
    assert_valid(problem, stitch(problem, parts, solutions))


@pytest.mark.slow
def test_the_default_executor_solves_the_parts_in_processes_and_reports_progress():
    problem = two_depot_problem()
    seen: list[float] = []
    plan = solve_split(problem, time_limit_s=1.0, explain=False, progress=seen.append)
    assert_valid(problem, plan)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
