"""Timetable of a tour: driving times, waits, service times, time windows and the shift."""

from __future__ import annotations

from routing.validation.context import CheckedTour, gaps_of
from routing.validation.violations import Violation, ViolationKind, at, window_text, windows_text


def check_timetable(checked: CheckedTour) -> list[Violation]:
    return _check_stops(checked) + _check_end(checked) + _check_windows(checked)


def _check_stops(checked: CheckedTour) -> list[Violation]:
    vid = checked.vehicle.id
    found: list[Violation] = []
    for gap, (arrival, visit) in zip(gaps_of(checked), checked.stops, strict=False):
        problems: list[tuple[ViolationKind, str]] = []
        earliest = gap.start_s + gap.travel_s
        if arrival.arrival_s < earliest:
            problems.append(
                (
                    ViolationKind.ARRIVAL_TOO_EARLY,
                    f"arrival at {at(arrival.arrival_s)}, but leaving the previous place at "
                    f"{at(gap.start_s)} and driving {gap.travel_s}s arrives at {at(earliest)} "
                    "at the earliest",
                )
            )
        if arrival.service_start_s < arrival.arrival_s:
            problems.append(
                (
                    ViolationKind.SERVICE_BEFORE_ARRIVAL,
                    f"service starts at {at(arrival.service_start_s)}, before the arrival at "
                    f"{at(arrival.arrival_s)}",
                )
            )
        expected_wait = arrival.service_start_s - arrival.arrival_s
        if arrival.wait_s != expected_wait:
            problems.append(
                (
                    ViolationKind.WAIT_MISMATCH,
                    f"wait is reported as {arrival.wait_s}s, but arrival at "
                    f"{at(arrival.arrival_s)} and service start at "
                    f"{at(arrival.service_start_s)} make it {expected_wait}s",
                )
            )
        expected_departure = arrival.service_start_s + visit.service_s
        if arrival.departure_s != expected_departure:
            problems.append(
                (
                    ViolationKind.DEPARTURE_MISMATCH,
                    f"departure is reported at {at(arrival.departure_s)}, but service from "
                    f"{at(arrival.service_start_s)} for {visit.service_s}s ends at "
                    f"{at(expected_departure)}",
                )
            )
        found += [Violation(k, vid, visit.id, f"visit {visit.id}: {d}") for k, d in problems]
    return found


def _check_end(checked: CheckedTour) -> list[Violation]:
    end_gap = gaps_of(checked)[-1]
    earliest = end_gap.start_s + end_gap.travel_s
    if checked.tour.end_s >= earliest:
        return []
    vid = checked.vehicle.id
    if checked.vehicle.end_location is None:
        how = f"the last departure is at {at(end_gap.start_s)}"
    else:
        how = (
            f"leaving the last place at {at(end_gap.start_s)} and driving {end_gap.travel_s}s "
            f"to the end location arrives at {at(earliest)}"
        )
    return [
        Violation(
            ViolationKind.END_TOO_EARLY,
            vid,
            None,
            f"vehicle {vid} ends its route at {at(checked.tour.end_s)}, but {how}",
        )
    ]


def _check_windows(checked: CheckedTour) -> list[Violation]:
    found: list[Violation] = []
    for arrival, visit in checked.stops:
        t = arrival.service_start_s
        in_window = any(w.contains(t) for w in visit.windows)
        # Allowed lateness (a replan of a day under way) is a cost, not a breach.
        late_but_allowed = (
            visit.deadline_s is not None and visit.windows[-1].end_s < t <= visit.deadline_s
        )
        if visit.windows and not in_window and not late_but_allowed:
            noun = "window is" if len(visit.windows) == 1 else "windows are"
            found.append(
                Violation(
                    ViolationKind.OUTSIDE_WINDOW,
                    checked.vehicle.id,
                    visit.id,
                    f"visit {visit.id} served at {at(t)}, its {noun} {windows_text(visit.windows)}",
                )
            )
    return found


def check_shift(checked: CheckedTour) -> list[Violation]:
    vehicle, tour = checked.vehicle, checked.tour
    vid = vehicle.id
    found: list[Violation] = []
    if tour.start_s < vehicle.earliest_start_s:
        ready = "" if vehicle.ready_at_s is None else f", ready at {at(vehicle.ready_at_s)}"
        found.append(
            Violation(
                ViolationKind.START_BEFORE_SHIFT,
                vid,
                None,
                f"vehicle {vid} starts at {at(tour.start_s)}, before it is available at "
                f"{at(vehicle.earliest_start_s)} (shift {window_text(vehicle.shift)}{ready})",
            )
        )
    if tour.end_s > vehicle.shift.end_s:
        found.append(
            Violation(
                ViolationKind.END_AFTER_SHIFT,
                vid,
                None,
                f"vehicle {vid} ends at {at(tour.end_s)}, after its shift "
                f"{window_text(vehicle.shift)}",
            )
        )
    duration = tour.end_s - tour.start_s
    if vehicle.max_duration_s is not None and duration > vehicle.max_duration_s:
        found.append(
            Violation(
                ViolationKind.MAX_DURATION,
                vid,
                None,
                f"vehicle {vid} is on the road for {duration}s ({at(tour.start_s)} to "
                f"{at(tour.end_s)}), longer than its maximum of {vehicle.max_duration_s}s",
            )
        )
    return found
