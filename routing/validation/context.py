"""A tour joined to its vehicle, visits and matrix, and the gaps between its services."""

from __future__ import annotations

from dataclasses import dataclass

from routing.problem import Problem, TravelMatrix, Vehicle, Visit
from routing.solution import Arrival, Tour


@dataclass(frozen=True, slots=True)
class CheckedTour:
    """A tour whose vehicle and visits all exist, so its timetable can be recomputed."""

    tour: Tour
    vehicle: Vehicle
    visits: tuple[Visit, ...]  # aligned with tour.arrivals
    matrix: TravelMatrix

    @property
    def stops(self) -> tuple[tuple[Arrival, Visit], ...]:
        return tuple(zip(self.tour.arrivals, self.visits, strict=True))


@dataclass(frozen=True, slots=True)
class Gap:
    """Time between leaving one place and starting service at the next (or ending the route).

    The courier drives `travel_s` inside it; breaks may use the rest.
    """

    start_s: int
    end_s: int
    travel_s: int
    # The visit served at the end of the gap; None for the gap that ends the route.
    next_visit_id: str | None

    @property
    def length_s(self) -> int:
        return self.end_s - self.start_s

    def holds(self, start_s: int, end_s: int) -> bool:
        return self.start_s <= start_s and end_s <= self.end_s


def check_tour(problem: Problem, tour: Tour) -> CheckedTour | None:
    """The tour with its ids resolved, or None when an id is unknown (reported elsewhere)."""
    known_visits = {v.id for v in problem.visits}
    if tour.vehicle_id not in {v.id for v in problem.vehicles}:
        return None
    if any(a.visit_id not in known_visits for a in tour.arrivals):
        return None
    vehicle = problem.vehicle(tour.vehicle_id)
    return CheckedTour(
        tour=tour,
        vehicle=vehicle,
        visits=tuple(problem.visit(a.visit_id) for a in tour.arrivals),
        matrix=problem.matrices[vehicle.profile],
    )


def gaps_of(checked: CheckedTour) -> list[Gap]:
    """One gap before each service and one before the route end, from recomputed departures.

    Departures are service start plus service time (not the reported departure), so a wrong
    departure in the plan is reported once and does not shift every later check.
    """
    vehicle, matrix = checked.vehicle, checked.matrix
    gaps: list[Gap] = []
    location, departure = vehicle.start_location, checked.tour.start_s
    for arrival, visit in checked.stops:
        travel = int(matrix.duration_s[location, visit.location])
        gaps.append(Gap(departure, arrival.service_start_s, travel, visit.id))
        location, departure = visit.location, arrival.service_start_s + visit.service_s
    end_travel = 0
    if vehicle.end_location is not None:
        end_travel = int(matrix.duration_s[location, vehicle.end_location])
    gaps.append(Gap(departure, checked.tour.end_s, end_travel, None))
    return gaps
