"""The solver on each constraint family: every plan validated, every visit accounted for."""

from __future__ import annotations

import pytest

from routing import (
    Break,
    Incompatibility,
    InvalidProblem,
    PickupDelivery,
    Problem,
    Solution,
    TimeWindow,
    UnassignedReason,
    VisitKind,
    assert_valid,
    evaluate,
    solve,
    validate,
)
from routing.warm_start import feasible_routes
from tests.routing.factories import hms, line_matrix, make_problem, make_vehicle, make_visit, window

LIMIT_S = 1.0


def solved(problem: Problem, **kwargs: object) -> Solution:
    """Solve, then check the two invariants every plan must keep."""
    solution = solve(problem, time_limit_s=LIMIT_S, **kwargs)  # type: ignore[arg-type]
    assert_valid(problem, solution)
    served = [a.visit_id for t in solution.tours for a in t.arrivals]
    left = [u.visit_id for u in solution.unassigned]
    assert sorted(served + left) == sorted(v.id for v in problem.visits)
    return solution


def reasons(solution: Solution) -> dict[str, UnassignedReason]:
    return {u.visit_id: u.reason for u in solution.unassigned}


def route_of(solution: Solution, visit_id: str) -> str | None:
    for tour in solution.tours:
        if visit_id in tour.visit_ids:
            return tour.vehicle_id
    return None


def test_every_visit_is_served_when_everything_fits() -> None:
    problem = make_problem([make_visit(f"O{i}", i, service_s=120) for i in range(1, 8)])
    solution = solved(problem)
    assert not solution.unassigned
    assert solution.distance_m == 2 * 7 * 1000


def test_service_starts_inside_one_of_several_windows() -> None:
    visits = [
        make_visit("early", 1, windows=(window("08:00", "08:30"),)),
        make_visit("gap", 2, windows=(window("09:00", "09:10"), window("15:00", "15:30"))),
        make_visit("late", 3, windows=(window("10:00", "10:20"),)),
    ]
    solution = solved(make_problem(visits))
    assert not solution.unassigned
    starts = {a.visit_id: a.service_start_s for t in solution.tours for a in t.arrivals}
    assert hms(9) <= starts["gap"] <= hms(9, 10) or hms(15) <= starts["gap"] <= hms(15, 30)


def test_capacity_in_several_dimensions_spreads_goods_over_vehicles() -> None:
    visits = [make_visit(f"O{i}", i, demand=(30, 1)) for i in range(1, 5)]
    vehicles = [make_vehicle(f"V{k}", capacity=(100, 2)) for k in (1, 2)]
    solution = solved(make_problem(visits, vehicles, dimensions=("kg", "parcels")))
    assert not solution.unassigned
    assert sorted(len(t.arrivals) for t in solution.tours) == [2, 2]
    assert all(t.load_at_start == (60, 2) for t in solution.tours)


def test_chilled_goods_ride_only_the_refrigerated_vehicle() -> None:
    visits = [make_visit("cold", 1, skills=frozenset({"chilled"})), make_visit("dry", 2)]
    vehicles = [
        make_vehicle("van", cost_per_km=0.1),
        make_vehicle("fridge", skills=frozenset({"chilled"}), cost_per_km=10.0),
    ]
    solution = solved(make_problem(visits, vehicles))
    assert route_of(solution, "cold") == "fridge"


def test_shift_end_and_maximum_duration_are_kept() -> None:
    visits = [make_visit(f"O{i}", i, service_s=1800) for i in range(1, 7)]
    vehicles = [
        make_vehicle("short", shift=TimeWindow(hms(8), hms(10))),
        make_vehicle("capped", max_duration_s=2 * 3600),
        make_vehicle("free"),
    ]
    solution = solved(make_problem(visits, vehicles))
    assert not solution.unassigned
    for tour in solution.tours:
        if tour.vehicle_id == "short":
            assert tour.end_s <= hms(10)
        if tour.vehicle_id == "capped":
            assert tour.duration_s <= 2 * 3600


def test_a_mandatory_break_is_taken_inside_its_window() -> None:
    visits = [make_visit(f"O{i}", i, service_s=1200) for i in range(1, 9)]
    lunch = Break(duration_s=1800, window=TimeWindow(hms(10), hms(10, 30)))
    vehicle = make_vehicle(breaks=(lunch,))
    solution = solved(make_problem(visits, [vehicle]))
    tour = solution.tours[0]
    assert len(tour.breaks) == 1
    assert hms(10) <= tour.breaks[0].start_s <= hms(10, 30)


def test_vehicles_start_at_their_own_depot_and_may_end_anywhere() -> None:
    visits = [make_visit("near0", 1), make_visit("near9", 8)]
    vehicles = [
        make_vehicle("west", start_location=0, end_location=0, cost_per_km=1.0),
        make_vehicle("east", start_location=9, end_location=None, cost_per_km=1.0),
    ]
    solution = solved(make_problem(visits, vehicles, matrix=line_matrix(10)))
    assert route_of(solution, "near0") == "west"
    assert route_of(solution, "near9") == "east"
    east = solution.tour_of("east")
    assert east is not None
    assert east.distance_m == 1000


def test_returns_ride_to_the_depot_and_share_capacity_with_deliveries() -> None:
    visits = [
        make_visit("drop", 1, demand=(8,)),
        make_visit("return", 2, demand=(8,), kind=VisitKind.PICKUP),
    ]
    vehicle = make_vehicle(capacity=(10,))
    solution = solved(make_problem(visits, [vehicle], dimensions=("kg",)))
    assert not solution.unassigned
    # Both fit only if the delivery leaves the van before the return boards.
    assert solution.tours[0].visit_ids == ("drop", "return")


def test_a_transfer_is_picked_up_before_it_is_delivered_by_the_same_vehicle() -> None:
    visits = [
        make_visit("to", 1, kind=VisitKind.DELIVERY, demand=(5,)),
        make_visit("from", 4, kind=VisitKind.PICKUP, demand=(5,)),
        make_visit("other", 2),
    ]
    pair = PickupDelivery(pickup_id="from", delivery_id="to")
    vehicles = [make_vehicle("V1", capacity=(5,)), make_vehicle("V2", capacity=(5,))]
    problem = make_problem(visits, vehicles, dimensions=("kg",), pairs=(pair,))
    solution = solved(problem)
    assert not solution.unassigned
    tour = solution.tours[
        [route_of(solution, "from") == t.vehicle_id for t in solution.tours].index(True)
    ]
    assert tour.visit_ids.index("from") < tour.visit_ids.index("to")


def test_goods_that_may_not_share_a_vehicle_go_on_different_routes() -> None:
    visits = [
        make_visit("food", 1, goods_class="food"),
        make_visit("bleach", 2, goods_class="chem"),
    ]
    vehicles = [make_vehicle("V1"), make_vehicle("V2")]
    rule = ("food", "chem", Incompatibility.SAME_VEHICLE)
    solution = solved(make_problem(visits, vehicles, incompatibilities=(rule,)))
    assert not solution.unassigned
    assert route_of(solution, "food") != route_of(solution, "bleach")


def test_goods_not_on_board_together_may_follow_each_other() -> None:
    visits = [
        make_visit("food", 1, goods_class="food"),
        make_visit("chem-return", 2, goods_class="chem", kind=VisitKind.PICKUP),
    ]
    rule = ("food", "chem", Incompatibility.ON_BOARD)
    solution = solved(make_problem(visits, [make_vehicle()], incompatibilities=(rule,)))
    assert not solution.unassigned
    assert solution.tours[0].visit_ids == ("food", "chem-return")


def test_loaded_parcels_stay_on_their_vehicle_away_from_the_depot() -> None:
    visits = [make_visit("on-board", 5, loaded_on="away"), make_visit("at-depot", 6)]
    vehicles = [
        make_vehicle("away", start_location=5, ready_at_s=hms(11), can_load_at_start=False),
        make_vehicle("home"),
    ]
    solution = solved(make_problem(visits, vehicles, matrix=line_matrix(8)))
    assert route_of(solution, "on-board") == "away"
    assert route_of(solution, "at-depot") == "home"
    away = solution.tour_of("away")
    assert away is not None
    assert away.start_s >= hms(11)


def test_allowed_lateness_serves_a_promise_that_can_no_longer_be_kept() -> None:
    # The vehicle is free only at 09:00, 500 s away from a stop promised until 09:01.
    tight = (window("08:00", "09:01"),)
    late_ok = make_visit("A", 5, windows=tight, max_lateness_s=3600, lateness_cost_per_hour=60)
    vehicle = make_vehicle(ready_at_s=hms(9))
    solution = solved(make_problem([late_ok], [vehicle], matrix=line_matrix(6)))
    assert not solution.unassigned
    start = solution.tours[0].arrivals[0].service_start_s
    assert start == hms(9) + 500
    assert late_ok.lateness_s(start) == 500 - 60

    strict = make_visit("A", 5, windows=tight)
    solution = solved(make_problem([strict], [vehicle], matrix=line_matrix(6)))
    assert reasons(solution) == {"A": UnassignedReason.WINDOW_UNREACHABLE}


def test_a_vehicle_ready_only_after_its_shift_serves_nothing_and_breaks_nothing() -> None:
    # Replanning in the evening: the waiting van's shift (default 08:00-18:00) is over.
    visits = [make_visit(f"O{i}", i) for i in range(1, 4)]
    vehicles = [
        make_vehicle("done-for-the-day", ready_at_s=hms(19)),
        make_vehicle("late-shift", ready_at_s=hms(19), shift=window("08:00", "22:00")),
    ]
    solution = solved(make_problem(visits, vehicles))
    assert {route_of(solution, v.id) for v in visits} == {"late-shift"}


def test_lateness_is_spent_where_it_costs_least() -> None:
    # Both stops end their windows at 09:00 and the vehicle starts at 09:00: one of them must be
    # later than the other; the expensive one goes first.
    ends = (window("08:00", "09:00"),)
    cheap = make_visit("cheap", 1, windows=ends, max_lateness_s=7200, lateness_cost_per_hour=1)
    dear = make_visit("dear", 1, windows=ends, max_lateness_s=7200, lateness_cost_per_hour=1000)
    vehicle = make_vehicle(ready_at_s=hms(9))
    problem = make_problem([cheap, dear], [vehicle], matrix=line_matrix(2))
    solution = solved(problem)
    assert solution.tours[0].visit_ids == ("dear", "cheap")


def test_lateness_beyond_the_allowance_is_a_violation() -> None:
    visit = make_visit("A", 1, windows=(window("08:00", "09:00"),), max_lateness_s=600)
    # One 100 s hop from the depot: free at 09:05 arrives at 09:06:40, 6.7 min late.
    within = make_problem([visit], [make_vehicle(ready_at_s=hms(9, 5))])
    assert validate(within, evaluate(within, {"V1": ["A"]})) == []
    beyond = make_problem([visit], [make_vehicle(ready_at_s=hms(9, 15))])
    violations = validate(beyond, evaluate(beyond, {"V1": ["A"]}))
    assert [v.kind.value for v in violations] == ["outside_window"]


def test_a_fixed_prefix_opens_the_route_in_its_order() -> None:
    visits = [make_visit(f"O{i}", i) for i in range(1, 6)]
    vehicle = make_vehicle(fixed_prefix=("O4", "O1"))
    solution = solved(make_problem(visits, [vehicle]))
    assert solution.tours[0].visit_ids[:2] == ("O4", "O1")


def test_a_warm_start_that_breaks_the_shift_is_cut_back_not_thrown_away() -> None:
    # Six stops 1 km apart in a line, 100 s per km: the shift (08:00-08:16:40) ends before
    # the given route can come back from its sixth stop.
    visits = [make_visit(f"O{i}", i) for i in range(1, 7)]
    vehicle = make_vehicle(shift=TimeWindow(hms(8), hms(8) + 1000), fixed_prefix=("O1",))
    problem = make_problem(visits, [vehicle])
    given = {"V1": ["O1", "O2", "O3", "O4", "O5", "O6", "unknown"]}
    assert validate(problem, evaluate(problem, {"V1": given["V1"][:6]}))

    repaired = feasible_routes(problem, given)

    assert repaired == {"V1": ["O1", "O2", "O3", "O4", "O5"]}
    assert validate(problem, evaluate(problem, repaired)) == []
    solution = solved(problem, initial_routes=given)
    assert len(solution.tours[0].arrivals) == 5


def test_a_warm_start_is_improved_not_lost() -> None:
    visits = [make_visit(f"O{i}", i) for i in range(1, 7)]
    problem = make_problem(visits)
    poor = {"V1": ["O6", "O1", "O5", "O2", "O4", "O3"]}
    before = evaluate(problem, poor)
    assert validate(problem, before) == []
    solution = solved(problem, initial_routes=poor)
    assert solution.cost <= before.cost
    assert solution.distance_m == 12_000


@pytest.mark.parametrize(
    ("visit", "vehicle", "reason"),
    [
        (
            make_visit("X", 1, skills=frozenset({"chilled"})),
            make_vehicle(),
            UnassignedReason.NO_VEHICLE_WITH_SKILL,
        ),
        (
            make_visit("X", 1, demand=(50,)),
            make_vehicle(capacity=(10,)),
            UnassignedReason.CAPACITY,
        ),
        (
            make_visit("X", 5, windows=(window("08:00", "08:05"),)),
            make_vehicle(),
            UnassignedReason.WINDOW_UNREACHABLE,
        ),
        (
            make_visit("X", 5, service_s=3 * 3600),
            make_vehicle(max_duration_s=2 * 3600),
            UnassignedReason.ROUTE_DURATION,
        ),
        (
            make_visit(
                "X", 5, allowed_vehicles=frozenset({"V1"}), windows=(window("08:00", "08:05"),)
            ),
            make_vehicle(),
            UnassignedReason.PINNED_VEHICLE_CANNOT_REACH,
        ),
        (
            make_visit("X", 1),
            make_vehicle(can_load_at_start=False),
            UnassignedReason.NOT_LOADED,
        ),
    ],
)
def test_a_visit_no_plan_can_serve_is_reported_with_its_reason(visit, vehicle, reason) -> None:
    problem = make_problem([visit], [vehicle], dimensions=("kg",) if visit.demand else ())
    solution = solved(problem)
    assert reasons(solution) == {"X": reason}


def test_a_visit_crowded_out_by_capacity_names_capacity() -> None:
    visits = [make_visit("A", 1, demand=(6,)), make_visit("B", 2, demand=(6,))]
    problem = make_problem(visits, [make_vehicle(capacity=(10,))], dimensions=("kg",))
    solution = solved(problem)
    assert list(reasons(solution).values()) == [UnassignedReason.DROPPED_CAPACITY]


def test_a_visit_crowded_out_by_windows_names_the_windows() -> None:
    tight = (window("09:00", "09:01"),)
    visits = [make_visit("A", 1, windows=tight), make_visit("B", 9, windows=tight)]
    problem = make_problem(visits, matrix=line_matrix(10))
    solution = solved(problem)
    assert list(reasons(solution).values()) == [UnassignedReason.DROPPED_TIME_WINDOWS]


def test_a_visit_crowded_out_by_the_shift_names_the_shift() -> None:
    visits = [make_visit("A", 1, service_s=3600), make_visit("B", 2, service_s=3600)]
    vehicle = make_vehicle(shift=TimeWindow(hms(8), hms(9, 30)))
    solution = solved(make_problem(visits, [vehicle]))
    assert list(reasons(solution).values()) == [UnassignedReason.DROPPED_SHIFT_DURATION]


def test_a_visit_crowded_out_by_incompatible_goods_names_the_incompatibility() -> None:
    visits = [make_visit("food", 1, goods_class="food"), make_visit("chem", 2, goods_class="chem")]
    rule = ("food", "chem", Incompatibility.SAME_VEHICLE)
    solution = solved(make_problem(visits, incompatibilities=(rule,)))
    assert list(reasons(solution).values()) == [UnassignedReason.DROPPED_INCOMPATIBILITY]


def test_a_higher_priority_visit_wins_the_last_place() -> None:
    visits = [
        make_visit("low", 1, demand=(6,), priority=0),
        make_visit("high", 2, demand=(6,), priority=3),
    ]
    problem = make_problem(visits, [make_vehicle(capacity=(10,))], dimensions=("kg",))
    solution = solved(problem)
    assert set(reasons(solution)) == {"low"}


def test_a_window_that_ends_before_it_starts_is_a_malformed_problem() -> None:
    with pytest.raises(InvalidProblem, match="ends"):
        make_problem([make_visit("X", 1, windows=(TimeWindow(hms(10), hms(9)),))])


def test_an_unreachable_fixed_prefix_is_a_malformed_problem() -> None:
    visits = [make_visit("late", 5, windows=(window("08:00", "08:01"),))]
    problem = make_problem(visits, [make_vehicle(fixed_prefix=("late",))])
    with pytest.raises(InvalidProblem, match="late"):
        solve(problem, time_limit_s=LIMIT_S)


def test_evaluating_an_edited_route_reports_the_broken_window() -> None:
    visits = [
        make_visit("A", 9, windows=(window("08:00", "08:20"),)),
        make_visit("B", 1, windows=(window("08:00", "08:05"),)),
    ]
    problem = make_problem(visits, matrix=line_matrix(10))
    good = evaluate(problem, {"V1": ["B", "A"]})
    assert validate(problem, good) == []
    bad = evaluate(problem, {"V1": ["A", "B"]})
    assert {v.kind for v in validate(problem, bad)} == {"outside_window"}


def test_progress_is_reported_up_to_completion() -> None:
    seen: list[float] = []
    solve(
        make_problem([make_visit(f"O{i}", i) for i in range(1, 5)]),
        time_limit_s=0.5,
        progress=lambda fraction, _cost: seen.append(fraction),
    )
    assert seen
    assert seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
