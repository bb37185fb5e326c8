"""What the plan checker reports: one kind per broken rule, and readable times for the details."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from routing.problem import TimeWindow


class ViolationKind(enum.StrEnum):
    # Ids: which vehicles, tours and visits the plan names.
    UNKNOWN_VEHICLE = "unknown_vehicle"
    DUPLICATE_TOUR = "duplicate_tour"
    UNKNOWN_VISIT = "unknown_visit"
    DUPLICATE_VISIT = "duplicate_visit"
    DUPLICATE_UNASSIGNED = "duplicate_unassigned"
    SERVED_AND_UNASSIGNED = "served_and_unassigned"
    MISSING_VISIT = "missing_visit"
    # Timetable of a tour.
    ARRIVAL_TOO_EARLY = "arrival_too_early"
    SERVICE_BEFORE_ARRIVAL = "service_before_arrival"
    WAIT_MISMATCH = "wait_mismatch"
    DEPARTURE_MISMATCH = "departure_mismatch"
    END_TOO_EARLY = "end_too_early"
    OUTSIDE_WINDOW = "outside_window"
    # Shift of the vehicle.
    START_BEFORE_SHIFT = "start_before_shift"
    END_AFTER_SHIFT = "end_after_shift"
    MAX_DURATION = "max_duration"
    # Breaks.
    MISSING_BREAK = "missing_break"
    UNEXPECTED_BREAK = "unexpected_break"
    BREAK_OUTSIDE_WINDOW = "break_outside_window"
    BREAK_OVERLAPS_SERVICE = "break_overlaps_service"
    BREAK_OVERLAPS_BREAK = "break_overlaps_break"
    BREAK_MISPLACED = "break_misplaced"
    NO_ROOM_FOR_BREAK = "no_room_for_break"
    # Distance and load.
    DISTANCE_MISMATCH = "distance_mismatch"
    CAPACITY = "capacity"
    NEGATIVE_LOAD = "negative_load"
    LOAD_MISMATCH = "load_mismatch"
    # Which vehicle may serve a visit.
    MISSING_SKILL = "missing_skill"
    VEHICLE_NOT_ALLOWED = "vehicle_not_allowed"
    LOADED_ON_OTHER_VEHICLE = "loaded_on_other_vehicle"
    NOT_LOADED = "not_loaded"
    FIXED_PREFIX = "fixed_prefix"
    # Pickup-and-delivery pairs and goods classes.
    PAIR_SPLIT = "pair_split"
    PAIR_ORDER = "pair_order"
    SAME_VEHICLE_INCOMPATIBILITY = "same_vehicle_incompatibility"
    ON_BOARD_INCOMPATIBILITY = "on_board_incompatibility"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule; `detail` is a sentence with the ids and numbers involved."""

    kind: ViolationKind
    vehicle_id: str | None
    visit_id: str | None
    detail: str

    def __str__(self) -> str:
        return self.detail


def clock(t_s: int) -> str:
    """Seconds on the problem's clock as HH:MM:SS (hours may pass 24 or be negative)."""
    sign = "-" if t_s < 0 else ""
    hours, rest = divmod(abs(t_s), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"


def at(t_s: int) -> str:
    """A time for a message: the clock reading and the raw seconds, e.g. 11:05:00 (39900s)."""
    return f"{clock(t_s)} ({t_s}s)"


def _short_clock(t_s: int) -> str:
    text = clock(t_s)
    return text[:-3] if text.endswith(":00") else text


def window_text(window: TimeWindow) -> str:
    return f"{_short_clock(window.start_s)}-{_short_clock(window.end_s)}"


def windows_text(windows: Iterable[TimeWindow]) -> str:
    return ", ".join(window_text(w) for w in windows)


def amounts(values: Iterable[int], dimensions: tuple[str, ...]) -> str:
    """A load or capacity with its dimension names, e.g. (weight_g=1200, parcels=3)."""
    numbers = tuple(values)
    if len(numbers) != len(dimensions):
        return str(numbers)
    return "(" + ", ".join(f"{d}={n}" for d, n in zip(dimensions, numbers, strict=True)) + ")"
