"""The plan checker: hand-written correct plans pass; each planted fault is reported as its kind.

Most tests start from one base plan on a straight road (1 km and 100 s between neighbours):

    depot 0 -- A (1) -- B (2) -- C (3)

V1 leaves at 08:58:20, serves A at 09:00 (window 09:00-10:00), reaches B at 09:02:40 and waits for
B's first window (10:00-11:00 or 14:00-15:00), picks up at C at 10:02:40 and is back at 10:08:40.
Each service takes 60 s. A and B are deliveries of 2 and 3 parcels, C is a pickup of 1.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from routing.problem import (
    Break,
    Incompatibility,
    PickupDelivery,
    Problem,
    TimeWindow,
    Vehicle,
    Visit,
    VisitKind,
)
from routing.solution import BreakTaken, Solution, Tour
from routing.validation import Violation, ViolationKind, assert_valid, validate
from tests.routing.factories import (
    hms,
    line_matrix,
    make_arrival,
    make_problem,
    make_solution,
    make_tour,
    make_vehicle,
    make_visit,
    matrix_from_points,
    window,
)

K = ViolationKind


# --- helpers ---------------------------------------------------------------------------------


def base_visits() -> list[Visit]:
    return [
        make_visit("A", 1, service_s=60, windows=(window("09:00", "10:00"),), demand=(2,)),
        make_visit(
            "B",
            2,
            service_s=60,
            windows=(window("10:00", "11:00"), window("14:00", "15:00")),
            demand=(3,),
        ),
        make_visit("C", 3, service_s=60, demand=(1,), kind=VisitKind.PICKUP),
    ]


def base_vehicle(id: str = "V1", **overrides: Any) -> Vehicle:
    return make_vehicle(id, **({"capacity": (10,)} | overrides))


def base_problem(
    visits: list[Visit] | None = None, vehicles: list[Vehicle] | None = None, **overrides: Any
) -> Problem:
    return make_problem(
        base_visits() if visits is None else visits,
        [base_vehicle()] if vehicles is None else vehicles,
        dimensions=("parcels",),
        **overrides,
    )


def base_tour(**overrides: Any) -> Tour:
    values: dict[str, Any] = {
        "start_s": hms(8, 58, 20),
        "end_s": hms(10, 8, 40),
        "distance_m": 6000,
        "load_at_start": (5,),
    }
    return make_tour(
        [
            make_arrival("A", hms(9), service_s=60, load_after=(3,), distance_m=1000),
            make_arrival(
                "B",
                hms(9, 2, 40),
                service_start_s=hms(10),
                service_s=60,
                load_after=(0,),
                distance_m=2000,
            ),
            make_arrival("C", hms(10, 2, 40), service_s=60, load_after=(1,), distance_m=3000),
        ],
        **(values | overrides),
    )


def changed(visits: list[Visit], visit_id: str, **changes: Any) -> list[Visit]:
    return [replace(v, **changes) if v.id == visit_id else v for v in visits]


def with_arrival(tour: Tour, visit_id: str, **changes: Any) -> Tour:
    arrivals = tuple(replace(a, **changes) if a.visit_id == visit_id else a for a in tour.arrivals)
    return replace(tour, arrivals=arrivals)


def plan(*tours: Tour, unassigned: tuple[str, ...] = ()) -> Solution:
    return make_solution(tours, unassigned)


def assert_reports(problem: Problem, solution: Solution, *expected: K) -> list[Violation]:
    """The checker reports exactly these kinds (with repeats), nothing else."""
    violations = validate(problem, solution)
    assert sorted(v.kind for v in violations) == sorted(expected), violations
    return violations


# A world without distances: every stop happens at 09:00 and tours are about order alone.
NINE = hms(9)


def flat_problem(visits: list[Visit], vehicles: list[Vehicle] | None = None, **kw: Any) -> Problem:
    return make_problem(visits, vehicles, matrix=line_matrix(4, metres_between=0), **kw)


def flat_tour(*visit_ids: str, vehicle_id: str = "V1", **overrides: Any) -> Tour:
    arrivals = [make_arrival(v, NINE) for v in visit_ids]
    return make_tour(arrivals, vehicle_id=vehicle_id, start_s=NINE, end_s=NINE, **overrides)


def one_stop(
    service_start_s: int, *, vehicle: Vehicle | None = None, **visit: Any
) -> tuple[Problem, Solution]:
    """Visit A at location 1 (60 s of service), served straight from the depot."""
    problem = make_problem([make_visit("A", 1, service_s=60, **visit)], [vehicle or make_vehicle()])
    arrival = make_arrival("A", service_start_s, service_s=60, distance_m=1000)
    tour = make_tour(
        [arrival], start_s=service_start_s - 100, end_s=service_start_s + 160, distance_m=2000
    )
    return problem, plan(tour)


# --- correct plans ---------------------------------------------------------------------------


def test_the_base_plan_has_no_violations():
    assert validate(base_problem(), plan(base_tour())) == []


def test_a_plan_that_leaves_every_visit_out_is_valid():
    assert validate(base_problem(), plan(unassigned=("A", "B", "C"))) == []


def test_an_empty_tour_is_checked_without_crashing():
    problem = make_problem([])
    assert validate(problem, plan(make_tour(start_s=hms(9), end_s=hms(9)))) == []


def test_an_empty_tour_still_drives_to_a_different_end_location():
    problem = make_problem([], [make_vehicle(end_location=2)])
    tour = make_tour(start_s=hms(9), end_s=hms(9, 3, 20), distance_m=2000)
    assert validate(problem, plan(tour)) == []
    assert_reports(problem, plan(replace(tour, end_s=hms(9, 3, 20) - 1)), K.END_TOO_EARLY)


def test_assert_valid_is_silent_on_a_correct_plan():
    assert_valid(base_problem(), plan(base_tour()))


def test_assert_valid_lists_every_violation():
    solution = plan(with_arrival(base_tour(distance_m=1), "A", distance_m=2))
    with pytest.raises(AssertionError, match="2 rule") as caught:
        assert_valid(base_problem(), solution)
    assert str(caught.value).count("distance_mismatch") == 2


def test_violation_kinds_are_lowercase_strings():
    assert all(k.value == k.value.lower() == str(k) for k in ViolationKind)
    assert len({k.value for k in ViolationKind}) == len(ViolationKind)


def test_the_checker_imports_neither_ortools_nor_the_solver():
    package = Path(__file__).resolve().parents[2] / "routing" / "validation"
    imported: set[str] = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    assert not any(m.startswith("ortools") for m in imported)
    from_routing = {m for m in imported if m.split(".")[0] == "routing"}
    allowed = {"routing.problem", "routing.solution"}
    assert all(m in allowed or m.startswith("routing.validation.") for m in from_routing)


# --- ids -------------------------------------------------------------------------------------


def test_a_tour_of_an_unknown_vehicle_is_reported():
    (violation,) = assert_reports(
        base_problem(), plan(base_tour(vehicle_id="V9")), K.UNKNOWN_VEHICLE
    )
    assert violation.vehicle_id == "V9"


def test_a_second_tour_for_one_vehicle_is_reported():
    second = make_tour(start_s=hms(12), end_s=hms(12), load_at_start=(0,))
    assert_reports(base_problem(), plan(base_tour(), second), K.DUPLICATE_TOUR)


def test_a_tour_serving_an_unknown_visit_is_reported():
    tour = base_tour()
    tour = replace(tour, arrivals=(*tour.arrivals, make_arrival("Z", hms(11))))
    (violation,) = assert_reports(base_problem(), plan(tour), K.UNKNOWN_VISIT)
    assert violation.visit_id == "Z"


def test_an_unknown_visit_listed_as_unassigned_is_reported():
    assert_reports(base_problem(), plan(base_tour(), unassigned=("Z",)), K.UNKNOWN_VISIT)


def test_a_visit_served_by_two_vehicles_is_reported():
    problem = flat_problem([make_visit("A")], [make_vehicle("V1"), make_vehicle("V2")])
    solution = plan(flat_tour("A"), flat_tour("A", vehicle_id="V2"))
    (violation,) = assert_reports(problem, solution, K.DUPLICATE_VISIT)
    assert violation.visit_id == "A"


def test_a_visit_served_twice_on_one_tour_is_reported():
    problem = flat_problem([make_visit("A")])
    assert_reports(problem, plan(flat_tour("A", "A")), K.DUPLICATE_VISIT)


def test_a_visit_listed_twice_as_unassigned_is_reported():
    assert_reports(base_problem(), plan(unassigned=("A", "B", "C", "A")), K.DUPLICATE_UNASSIGNED)


def test_a_visit_both_served_and_unassigned_is_reported():
    solution = plan(base_tour(), unassigned=("B",))
    assert_reports(base_problem(), solution, K.SERVED_AND_UNASSIGNED)


def test_a_visit_neither_served_nor_unassigned_is_reported():
    (violation,) = assert_reports(base_problem(), plan(unassigned=("A", "C")), K.MISSING_VISIT)
    assert violation.visit_id == "B"


# --- timetable -------------------------------------------------------------------------------


def test_arriving_sooner_than_the_drive_allows_is_reported():
    # Leaving at 08:58:20, A (100 s away) cannot be reached at 08:59:00.
    tour = with_arrival(base_tour(), "A", arrival_s=hms(8, 59), wait_s=60)
    (violation,) = assert_reports(base_problem(), plan(tour), K.ARRIVAL_TOO_EARLY)
    assert violation.visit_id == "A"
    assert "08:59:00 (32340s)" in violation.detail
    assert "09:00:00 (32400s)" in violation.detail


def test_service_starting_before_the_arrival_is_reported():
    tour = with_arrival(base_tour(), "B", arrival_s=hms(10, 0, 10), wait_s=-10)
    assert_reports(base_problem(), plan(tour), K.SERVICE_BEFORE_ARRIVAL)


def test_a_wrong_wait_is_reported():
    tour = with_arrival(base_tour(), "B", wait_s=0)
    assert_reports(base_problem(), plan(tour), K.WAIT_MISMATCH)


def test_a_departure_that_skips_the_service_time_is_reported():
    tour = with_arrival(base_tour(), "A", departure_s=hms(9))
    (violation,) = assert_reports(base_problem(), plan(tour), K.DEPARTURE_MISMATCH)
    assert "60s" in violation.detail


def test_the_next_leg_starts_from_the_recomputed_departure():
    # A departs at 09:01 whatever the plan says, so B cannot be reached before 09:02:40.
    tour = with_arrival(base_tour(), "A", departure_s=hms(9))
    tour = with_arrival(tour, "B", arrival_s=hms(9, 1, 40), wait_s=hms(10) - hms(9, 1, 40))
    assert_reports(base_problem(), plan(tour), K.DEPARTURE_MISMATCH, K.ARRIVAL_TOO_EARLY)


def test_ending_before_the_drive_home_is_done_is_reported():
    # C departs at 10:03:40; the depot is 300 s away.
    (violation,) = assert_reports(
        base_problem(), plan(base_tour(end_s=hms(10, 8, 39))), K.END_TOO_EARLY
    )
    assert violation.vehicle_id == "V1"


def test_ending_late_at_the_depot_is_allowed():
    assert validate(base_problem(), plan(base_tour(end_s=hms(11)))) == []


def test_travel_times_come_from_the_vehicle_profile():
    slow = matrix_from_points([(0, 0), (1000, 0), (2000, 0), (3000, 0)], speed_m_per_s=5)
    fast = line_matrix(4)
    problem = base_problem(
        vehicles=[base_vehicle(profile="bike"), base_vehicle("V2", profile="car")],
        matrix=fast,
        matrices={"bike": slow, "car": fast},
    )
    # On the bike A is 200 s away: leaving at 08:58:20 arrives at 09:00 only by car.
    assert_reports(
        problem,
        plan(base_tour()),
        K.ARRIVAL_TOO_EARLY,
        K.ARRIVAL_TOO_EARLY,
        K.ARRIVAL_TOO_EARLY,
        K.END_TOO_EARLY,
    )
    assert validate(problem, plan(base_tour(vehicle_id="V2"))) == []


# --- time windows ----------------------------------------------------------------------------

TWO_WINDOWS = (window("09:00", "10:00"), window("14:00", "15:00"))


@pytest.mark.parametrize(
    "service_start_s",
    [hms(9), hms(9, 30), hms(10), hms(14), hms(14, 30), hms(15)],
    ids=["first-opens", "inside-first", "first-closes", "second-opens", "inside-second", "last"],
)
def test_service_inside_any_window_bounds_included_is_valid(service_start_s):
    problem, solution = one_stop(service_start_s, windows=TWO_WINDOWS)
    assert validate(problem, solution) == []


@pytest.mark.parametrize(
    "service_start_s",
    [hms(8, 59, 59), hms(10, 0, 1), hms(12), hms(15, 0, 1)],
    ids=["before-first", "just-after-first", "between", "after-last"],
)
def test_service_outside_every_window_is_reported(service_start_s):
    problem, solution = one_stop(service_start_s, windows=TWO_WINDOWS)
    (violation,) = assert_reports(problem, solution, K.OUTSIDE_WINDOW)
    assert violation.visit_id == "A"


def test_the_window_message_names_the_time_and_every_window():
    problem, solution = one_stop(hms(12), windows=TWO_WINDOWS)
    (violation,) = validate(problem, solution)
    assert violation.detail == (
        "visit A served at 12:00:00 (43200s), its windows are 09:00-10:00, 14:00-15:00"
    )


def test_a_window_constrains_the_service_start_not_the_arrival():
    # Arrive at 08:50 and wait: only the service start must lie in 09:00-10:00.
    problem = make_problem([make_visit("A", 1, service_s=600, windows=(window("09:00", "10:00"),))])
    arrival = make_arrival("A", hms(8, 50), service_start_s=hms(10), service_s=600, distance_m=1000)
    tour = make_tour([arrival], start_s=hms(8, 48, 20), end_s=hms(10, 11, 40), distance_m=2000)
    assert validate(problem, plan(tour)) == []


def test_a_visit_without_windows_may_be_served_any_time():
    problem, solution = one_stop(hms(17, 50))
    assert validate(problem, solution) == []


# --- shift -----------------------------------------------------------------------------------


def test_starting_before_the_shift_is_reported():
    tour = base_tour(start_s=hms(7, 58, 20))
    tour = with_arrival(tour, "A", arrival_s=hms(8), wait_s=hms(1))
    assert_reports(base_problem(), plan(tour), K.START_BEFORE_SHIFT)


def test_starting_before_the_vehicle_is_ready_is_reported():
    vehicle = make_vehicle(ready_at_s=hms(9, 30))
    problem, solution = one_stop(hms(9), vehicle=vehicle)
    (violation,) = assert_reports(problem, solution, K.START_BEFORE_SHIFT)
    assert "ready at 09:30:00" in violation.detail


def test_starting_once_the_vehicle_is_ready_is_valid():
    problem, solution = one_stop(hms(9, 31, 40), vehicle=make_vehicle(ready_at_s=hms(9, 30)))
    assert validate(problem, solution) == []


def test_a_ready_time_before_the_shift_does_not_allow_an_earlier_start():
    vehicle = make_vehicle(ready_at_s=hms(6))
    problem, solution = one_stop(hms(7, 30), vehicle=vehicle)
    assert_reports(problem, solution, K.START_BEFORE_SHIFT)


def test_ending_after_the_shift_is_reported():
    vehicle = base_vehicle(shift=TimeWindow(hms(8), hms(10)))
    assert_reports(base_problem(vehicles=[vehicle]), plan(base_tour()), K.END_AFTER_SHIFT)


def test_a_route_longer_than_the_maximum_duration_is_reported():
    # 08:58:20 to 10:08:40 is 4220 s.
    problem = base_problem(vehicles=[base_vehicle(max_duration_s=4219)])
    (violation,) = assert_reports(problem, plan(base_tour()), K.MAX_DURATION)
    assert "4220s" in violation.detail
    assert (
        validate(base_problem(vehicles=[base_vehicle(max_duration_s=4220)]), plan(base_tour()))
        == []
    )


# --- open routes -----------------------------------------------------------------------------


def open_problem() -> Problem:
    return base_problem(vehicles=[base_vehicle(end_location=None)])


def open_tour(**overrides: Any) -> Tour:
    # No drive home: the route ends when C is done, 10:03:40, after 3 km.
    return base_tour(**({"end_s": hms(10, 3, 40), "distance_m": 3000} | overrides))


def test_an_open_route_ends_at_its_last_departure():
    assert validate(open_problem(), plan(open_tour())) == []


def test_an_open_route_may_end_later_than_its_last_departure():
    assert validate(open_problem(), plan(open_tour(end_s=hms(10, 30)))) == []


def test_an_open_route_ending_before_its_last_departure_is_reported():
    assert_reports(open_problem(), plan(open_tour(end_s=hms(10, 3, 39))), K.END_TOO_EARLY)


def test_an_open_route_counting_a_drive_home_is_reported():
    assert_reports(open_problem(), plan(open_tour(distance_m=6000)), K.DISTANCE_MISMATCH)


# --- breaks ----------------------------------------------------------------------------------

LUNCH = Break(1800, window("09:10", "09:40"))


def break_problem(*breaks: Break) -> Problem:
    return base_problem(vehicles=[base_vehicle(breaks=breaks)])


def test_a_break_in_the_wait_before_a_window_is_valid():
    # A is left at 09:01, B opens at 10:00: 30 minutes of break and 100 s of driving fit.
    tour = base_tour(breaks=(BreakTaken(hms(9, 10), 1800),))
    assert validate(break_problem(LUNCH), plan(tour)) == []


def test_breaks_before_the_start_and_after_the_end_are_valid():
    early, late = Break(600, window("08:00", "09:00")), Break(1800, window("12:00", "13:00"))
    tour = base_tour(breaks=(BreakTaken(hms(8, 30), 600), BreakTaken(hms(12), 1800)))
    assert validate(break_problem(early, late), plan(tour)) == []


def test_a_break_on_the_drive_home_moves_the_end():
    brk = Break(900, window("10:00", "10:30"))
    tour = base_tour(end_s=hms(10, 23, 40), breaks=(BreakTaken(hms(10, 4), 900),))
    assert validate(break_problem(brk), plan(tour)) == []
    tight = base_tour(end_s=hms(10, 23, 39), breaks=(BreakTaken(hms(10, 4), 900),))
    assert_reports(break_problem(brk), plan(tight), K.NO_ROOM_FOR_BREAK)


def test_breaks_are_matched_to_windows_whatever_their_order():
    narrow, wide = Break(300, window("09:10", "09:15")), Break(300, window("09:10", "09:50"))
    # Taken in the wide window first: a greedy match would pair 09:30 with nothing.
    tour = base_tour(breaks=(BreakTaken(hms(9, 12), 300), BreakTaken(hms(9, 30), 300)))
    assert validate(break_problem(wide, narrow), plan(tour)) == []


def test_a_break_not_taken_is_reported():
    (violation,) = assert_reports(break_problem(LUNCH), plan(base_tour()), K.MISSING_BREAK)
    assert "1800s" in violation.detail
    assert "09:10-09:40" in violation.detail


def test_a_break_the_vehicle_does_not_have_is_reported():
    tour = base_tour(breaks=(BreakTaken(hms(9, 10), 1800), BreakTaken(hms(9, 40), 900)))
    assert_reports(break_problem(LUNCH), plan(tour), K.UNEXPECTED_BREAK)


def test_a_break_taken_twice_is_reported():
    tour = base_tour(breaks=(BreakTaken(hms(9, 10), 1800), BreakTaken(hms(9, 10), 1800)))
    assert_reports(break_problem(LUNCH), plan(tour), K.UNEXPECTED_BREAK, K.BREAK_OVERLAPS_BREAK)


def test_a_break_of_the_wrong_length_is_reported_as_missing_and_unexpected():
    tour = base_tour(breaks=(BreakTaken(hms(9, 10), 1200),))
    assert_reports(break_problem(LUNCH), plan(tour), K.MISSING_BREAK, K.UNEXPECTED_BREAK)


def test_a_break_starting_outside_its_window_is_reported():
    tour = base_tour(breaks=(BreakTaken(hms(9, 1), 1800),))
    (violation,) = assert_reports(break_problem(LUNCH), plan(tour), K.BREAK_OUTSIDE_WINDOW)
    assert "09:01:00 (32460s)" in violation.detail


def test_a_break_during_a_service_is_reported():
    brk = Break(60, window("09:50", "10:10"))
    tour = base_tour(breaks=(BreakTaken(hms(9, 59, 50), 60),))
    (violation,) = assert_reports(break_problem(brk), plan(tour), K.BREAK_OVERLAPS_SERVICE)
    assert violation.visit_id == "B"


def test_overlapping_breaks_are_reported():
    short = Break(600, window("09:10", "09:50"))
    tour = base_tour(breaks=(BreakTaken(hms(9, 10), 1800), BreakTaken(hms(9, 20), 600)))
    assert_reports(break_problem(LUNCH, short), plan(tour), K.BREAK_OVERLAPS_BREAK)


def test_back_to_back_breaks_are_valid():
    short = Break(600, window("09:10", "09:50"))
    tour = base_tour(breaks=(BreakTaken(hms(9, 10), 1800), BreakTaken(hms(9, 40), 600)))
    assert validate(break_problem(LUNCH, short), plan(tour)) == []


def test_a_break_straddling_the_route_start_is_reported():
    brk = Break(300, window("08:50", "09:00"))
    tour = base_tour(breaks=(BreakTaken(hms(8, 55), 300),))
    assert_reports(break_problem(brk), plan(tour), K.BREAK_MISPLACED)


def test_a_break_straddling_the_route_end_is_reported():
    brk = Break(600, window("10:00", "11:00"))
    tour = base_tour(breaks=(BreakTaken(hms(10, 5), 600),))
    assert_reports(break_problem(brk), plan(tour), K.BREAK_MISPLACED)


def test_a_gap_too_short_for_driving_and_break_is_reported():
    # 3540 s between leaving A and serving B cannot hold 100 s of driving and a 3500 s break.
    brk = Break(3500, window("09:01", "09:10"))
    tour = base_tour(breaks=(BreakTaken(hms(9, 1), 3500),))
    (violation,) = assert_reports(break_problem(brk), plan(tour), K.NO_ROOM_FOR_BREAK)
    assert violation.visit_id == "B"
    assert "3540s" in violation.detail


def test_two_breaks_that_together_overfill_a_gap_are_reported():
    first, second = Break(1800, window("09:01", "09:10")), Break(1700, window("09:30", "09:40"))
    tour = base_tour(breaks=(BreakTaken(hms(9, 1), 1800), BreakTaken(hms(9, 31), 1700)))
    assert_reports(break_problem(first, second), plan(tour), K.NO_ROOM_FOR_BREAK)


# --- distance --------------------------------------------------------------------------------


def test_a_wrong_cumulative_distance_at_an_arrival_is_reported():
    tour = with_arrival(base_tour(), "B", distance_m=1000)
    (violation,) = assert_reports(base_problem(), plan(tour), K.DISTANCE_MISMATCH)
    assert violation.visit_id == "B"
    assert "2000 m" in violation.detail


def test_a_tour_distance_without_the_drive_home_is_reported():
    (violation,) = assert_reports(
        base_problem(), plan(base_tour(distance_m=3000)), K.DISTANCE_MISMATCH
    )
    assert violation.visit_id is None


def test_distances_are_recomputed_from_the_matrix():
    detour = matrix_from_points([(0, 0), (1000, 0), (2000, 0), (3000, 0)])
    detour.distance_m[0, 1] = 1500  # a one-way street on the car's map
    problem = base_problem(matrices={"car": detour})
    assert_reports(problem, plan(base_tour()), *[K.DISTANCE_MISMATCH] * 4)


# --- load ------------------------------------------------------------------------------------


def test_unpaired_deliveries_overloading_the_start_are_reported():
    # A and B together are 5 parcels; the vehicle takes 4.
    problem = base_problem(vehicles=[base_vehicle(capacity=(4,))])
    (violation,) = assert_reports(problem, plan(base_tour()), K.CAPACITY)
    assert violation.visit_id is None
    assert "parcels=5" in violation.detail
    assert "parcels=4" in violation.detail


def test_a_pickup_overloading_the_vehicle_is_reported():
    visits = changed(base_visits(), "C", demand=(11,))
    tour = with_arrival(base_tour(), "C", load_after=(11,))
    (violation,) = assert_reports(base_problem(visits), plan(tour), K.CAPACITY)
    assert violation.visit_id == "C"


def test_a_wrong_load_at_the_start_is_reported():
    assert_reports(base_problem(), plan(base_tour(load_at_start=(4,))), K.LOAD_MISMATCH)


def test_a_wrong_load_after_a_visit_is_reported():
    tour = with_arrival(base_tour(), "A", load_after=(5,))
    (violation,) = assert_reports(base_problem(), plan(tour), K.LOAD_MISMATCH)
    assert violation.visit_id == "A"


def test_loads_are_checked_in_every_dimension_with_a_missing_tail_as_zero():
    visits = [
        make_visit("A", 1, demand=(500, 1)),
        make_visit("B", 2, demand=(1000,)),
        make_visit("C", 3, demand=(200, 2), kind=VisitKind.PICKUP),
    ]
    tour = make_tour(
        [
            make_arrival("A", hms(9), load_after=(1000, 0), distance_m=1000),
            make_arrival("B", hms(9, 1, 40), load_after=(0, 0), distance_m=2000),
            make_arrival("C", hms(9, 3, 20), load_after=(200, 2), distance_m=3000),
        ],
        start_s=hms(8, 58, 20),
        end_s=hms(9, 8, 20),
        distance_m=6000,
        load_at_start=(1500, 1),
    )

    def problem(capacity: tuple[int, ...]) -> Problem:
        return make_problem(
            visits, [make_vehicle(capacity=capacity)], dimensions=("weight_g", "parcels")
        )

    assert validate(problem((1500, 2)), plan(tour)) == []
    (violation,) = assert_reports(problem((1500, 1)), plan(tour), K.CAPACITY)
    assert violation.visit_id == "C"
    assert "(weight_g=200, parcels=2)" in violation.detail
    # A missing capacity is zero: the parcels at the start and after C do not fit.
    assert_reports(problem((1500,)), plan(tour), K.CAPACITY, K.CAPACITY)


def test_a_load_reported_in_too_few_dimensions_is_reported():
    assert_reports(base_problem(), plan(base_tour(load_at_start=())), K.LOAD_MISMATCH)


# --- skills, allowed vehicles, goods already on board ----------------------------------------


def test_a_visit_needing_a_skill_the_vehicle_lacks_is_reported():
    visits = changed(base_visits(), "A", skills=frozenset({"fridge"}))
    (violation,) = assert_reports(base_problem(visits), plan(base_tour()), K.MISSING_SKILL)
    assert "fridge" in violation.detail
    equipped = base_vehicle(skills=frozenset({"fridge", "lift"}))
    assert validate(base_problem(visits, [equipped]), plan(base_tour())) == []


def test_a_visit_on_a_vehicle_it_is_not_allowed_on_is_reported():
    visits = changed(base_visits(), "A", allowed_vehicles=frozenset({"V2"}))
    problem = base_problem(visits, [base_vehicle(), base_vehicle("V2")])
    (violation,) = assert_reports(problem, plan(base_tour()), K.VEHICLE_NOT_ALLOWED)
    assert (violation.vehicle_id, violation.visit_id) == ("V1", "A")
    assert validate(problem, plan(base_tour(vehicle_id="V2"))) == []


def test_goods_loaded_on_another_vehicle_are_reported():
    visits = changed(base_visits(), "A", loaded_on="V2")
    problem = base_problem(visits, [base_vehicle(), base_vehicle("V2")])
    assert_reports(problem, plan(base_tour()), K.LOADED_ON_OTHER_VEHICLE)
    assert validate(problem, plan(base_tour(vehicle_id="V2"))) == []


def test_a_vehicle_away_from_the_depot_delivering_goods_it_lacks_is_reported():
    # A is already on board; B would have to be loaded at the start.
    visits = changed(base_visits(), "A", loaded_on="V1")
    problem = base_problem(visits, [base_vehicle(can_load_at_start=False)])
    (violation,) = assert_reports(problem, plan(base_tour()), K.NOT_LOADED)
    assert violation.visit_id == "B"


def test_a_vehicle_away_from_the_depot_may_deliver_its_load_and_pick_up():
    visits = changed(changed(base_visits(), "A", loaded_on="V1"), "B", loaded_on="V1")
    problem = base_problem(visits, [base_vehicle(can_load_at_start=False)])
    assert validate(problem, plan(base_tour())) == []


def test_a_vehicle_away_from_the_depot_may_deliver_what_it_picked_up():
    problem = flat_problem(
        [make_visit("P", kind=VisitKind.PICKUP), make_visit("D", 2)],
        [make_vehicle(can_load_at_start=False)],
        pairs=(PickupDelivery("P", "D"),),
    )
    assert validate(problem, plan(flat_tour("P", "D"))) == []


# --- fixed prefix ----------------------------------------------------------------------------


def test_a_route_opening_with_its_fixed_prefix_is_valid():
    problem = base_problem(vehicles=[base_vehicle(fixed_prefix=("A", "B"))])
    assert validate(problem, plan(base_tour())) == []


def test_a_fixed_prefix_in_another_order_is_reported():
    problem = base_problem(vehicles=[base_vehicle(fixed_prefix=("B", "A"))])
    (violation,) = assert_reports(problem, plan(base_tour()), K.FIXED_PREFIX)
    assert (violation.vehicle_id, violation.visit_id) == ("V1", "B")
    assert "['B', 'A']" in violation.detail


def test_a_fixed_prefix_visit_left_unassigned_is_reported():
    problem = base_problem(vehicles=[base_vehicle(fixed_prefix=("A",))])
    assert_reports(problem, plan(unassigned=("A", "B", "C")), K.FIXED_PREFIX)


def test_a_fixed_prefix_visit_served_by_another_vehicle_is_reported():
    problem = base_problem(vehicles=[base_vehicle(), base_vehicle("V2", fixed_prefix=("A",))])
    assert_reports(problem, plan(base_tour()), K.FIXED_PREFIX)


# --- pickup-and-delivery pairs ---------------------------------------------------------------


def pair_problem(demand: tuple[int, ...] = (), **overrides: Any) -> Problem:
    visits = [
        make_visit("P", 1, kind=VisitKind.PICKUP, demand=demand),
        make_visit("D", 2, demand=demand),
    ]
    capacity = (5,) if demand else ()
    vehicles = [make_vehicle("V1", capacity=capacity), make_vehicle("V2", capacity=capacity)]
    dims = ("parcels",) if demand else ()
    return flat_problem(
        visits, vehicles, pairs=(PickupDelivery("P", "D"),), dimensions=dims, **overrides
    )


def test_a_pair_picked_up_then_delivered_is_valid():
    problem = pair_problem((2,))
    tour = make_tour(
        [make_arrival("P", NINE, load_after=(2,)), make_arrival("D", NINE, load_after=(0,))],
        start_s=NINE,
        end_s=NINE,
        load_at_start=(0,),
    )
    assert validate(problem, plan(tour)) == []


def test_a_pair_left_out_entirely_is_valid():
    assert validate(pair_problem(), plan(unassigned=("P", "D"))) == []


def test_a_pair_delivered_before_its_pickup_is_reported():
    (violation,) = assert_reports(pair_problem(), plan(flat_tour("D", "P")), K.PAIR_ORDER)
    assert violation.visit_id == "D"


def test_delivering_a_pair_before_its_pickup_also_drives_the_load_negative():
    tour = make_tour(
        [make_arrival("D", NINE, load_after=(-2,)), make_arrival("P", NINE, load_after=(0,))],
        start_s=NINE,
        end_s=NINE,
        load_at_start=(0,),
    )
    assert_reports(pair_problem((2,)), plan(tour), K.PAIR_ORDER, K.NEGATIVE_LOAD)


def test_a_pair_with_its_delivery_left_out_is_reported():
    assert_reports(pair_problem(), plan(flat_tour("P"), unassigned=("D",)), K.PAIR_SPLIT)


def test_a_pair_split_across_two_vehicles_is_reported():
    solution = plan(flat_tour("P"), flat_tour("D", vehicle_id="V2"))
    (violation,) = assert_reports(pair_problem(), solution, K.PAIR_SPLIT)
    assert "V1" in violation.detail
    assert "V2" in violation.detail


# --- incompatible goods ----------------------------------------------------------------------


def goods_problem(kind: Incompatibility, *visits: Visit, **overrides: Any) -> Problem:
    return flat_problem(
        list(visits),
        [make_vehicle("V1"), make_vehicle("V2")],
        incompatibilities=(("food", "chemicals", kind),),
        **overrides,
    )


FOOD = make_visit("F", 1, goods_class="food")
CHEMICALS = make_visit("X", 2, goods_class="chemicals")
CHEMICALS_PICKUP = make_visit("X", 2, goods_class="chemicals", kind=VisitKind.PICKUP)


def test_classes_that_may_not_share_a_vehicle_on_one_tour_are_reported():
    problem = goods_problem(Incompatibility.SAME_VEHICLE, FOOD, CHEMICALS)
    (violation,) = assert_reports(
        problem, plan(flat_tour("F", "X")), K.SAME_VEHICLE_INCOMPATIBILITY
    )
    assert "F" in violation.detail
    assert "X" in violation.detail


def test_classes_that_may_not_share_a_vehicle_on_two_tours_are_valid():
    problem = goods_problem(Incompatibility.SAME_VEHICLE, FOOD, CHEMICALS)
    assert validate(problem, plan(flat_tour("F"), flat_tour("X", vehicle_id="V2"))) == []


def test_incompatibility_is_symmetric():
    problem = flat_problem(
        [FOOD, CHEMICALS],
        incompatibilities=(("chemicals", "food", Incompatibility.SAME_VEHICLE),),
    )
    assert_reports(problem, plan(flat_tour("F", "X")), K.SAME_VEHICLE_INCOMPATIBILITY)


def test_unrelated_classes_may_share_everything():
    problem = goods_problem(
        Incompatibility.SAME_VEHICLE, FOOD, make_visit("X", 2, goods_class="books")
    )
    assert validate(problem, plan(flat_tour("F", "X"))) == []


def test_two_deliveries_loaded_together_at_the_start_are_on_board_together():
    problem = goods_problem(Incompatibility.ON_BOARD, FOOD, CHEMICALS)
    assert_reports(problem, plan(flat_tour("F", "X")), K.ON_BOARD_INCOMPATIBILITY)


def test_a_delivery_before_a_pickup_never_shares_the_vehicle_in_time():
    # Food leaves at stop 1, chemicals board at stop 2: never on board together.
    problem = goods_problem(Incompatibility.ON_BOARD, FOOD, CHEMICALS_PICKUP)
    assert validate(problem, plan(flat_tour("F", "X"))) == []


def test_the_same_tour_breaks_a_same_vehicle_rule():
    problem = goods_problem(Incompatibility.SAME_VEHICLE, FOOD, CHEMICALS_PICKUP)
    assert_reports(problem, plan(flat_tour("F", "X")), K.SAME_VEHICLE_INCOMPATIBILITY)


def test_a_pickup_before_a_delivery_is_on_board_together():
    problem = goods_problem(Incompatibility.ON_BOARD, FOOD, CHEMICALS_PICKUP)
    assert_reports(problem, plan(flat_tour("X", "F")), K.ON_BOARD_INCOMPATIBILITY)


def pair_goods_problem() -> Problem:
    return goods_problem(
        Incompatibility.ON_BOARD,
        make_visit("P", 1, kind=VisitKind.PICKUP, goods_class="food"),
        make_visit("D", 2, goods_class="food"),
        CHEMICALS_PICKUP,
        pairs=(PickupDelivery("P", "D"),),
    )


def test_a_pair_delivered_before_a_pickup_boards_is_valid():
    assert validate(pair_goods_problem(), plan(flat_tour("P", "D", "X"))) == []


def test_a_pair_riding_while_a_pickup_is_on_board_is_reported():
    assert_reports(pair_goods_problem(), plan(flat_tour("X", "P", "D")), K.ON_BOARD_INCOMPATIBILITY)


def test_a_pair_riding_past_a_pickup_is_reported():
    assert_reports(pair_goods_problem(), plan(flat_tour("P", "X", "D")), K.ON_BOARD_INCOMPATIBILITY)
