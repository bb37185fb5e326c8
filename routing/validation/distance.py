"""Distance: cumulative metres at each arrival and for the whole tour, from the vehicle's matrix."""

from __future__ import annotations

from routing.validation.context import CheckedTour
from routing.validation.violations import Violation, ViolationKind


def check_distance(checked: CheckedTour) -> list[Violation]:
    vehicle, tour = checked.vehicle, checked.tour
    metres = checked.matrix.distance_m
    found: list[Violation] = []
    location, total = vehicle.start_location, 0
    for arrival, visit in checked.stops:
        total += int(metres[location, visit.location])
        location = visit.location
        if arrival.distance_m != total:
            found.append(
                Violation(
                    ViolationKind.DISTANCE_MISMATCH,
                    vehicle.id,
                    visit.id,
                    f"visit {visit.id}: cumulative distance reported as {arrival.distance_m} m, "
                    f"but the legs from the start add up to {total} m",
                )
            )
    if vehicle.end_location is not None:
        total += int(metres[location, vehicle.end_location])
    if tour.distance_m != total:
        leg = "including" if vehicle.end_location is not None else "with no"
        found.append(
            Violation(
                ViolationKind.DISTANCE_MISMATCH,
                vehicle.id,
                None,
                f"vehicle {vehicle.id}: tour distance reported as {tour.distance_m} m, but its "
                f"legs ({leg} leg to an end location) add up to {total} m",
            )
        )
    return found
