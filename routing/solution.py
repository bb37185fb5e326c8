"""The output of one solve: routes with their timetable, and every visit left out with a reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class UnassignedReason(enum.StrEnum):
    """Why a visit is not on any route, in words a dispatcher can act on."""

    # Found before solving: no plan whatever could serve the visit.
    NO_VEHICLE_WITH_SKILL = "no_vehicle_with_skill"
    CAPACITY = "capacity"  # demand larger than any allowed vehicle can carry
    WINDOW_UNREACHABLE = "window_unreachable"  # not even a direct trip arrives in a window
    ROUTE_DURATION = "route_duration"  # a direct trip already breaks shift end or max duration
    PINNED_VEHICLE_CANNOT_REACH = "pinned_vehicle_cannot_reach"
    NOT_LOADED = "not_loaded"  # every allowed vehicle is away from the depot without the goods
    # Found after solving, by re-solving with one constraint family relaxed.
    DROPPED_CAPACITY = "dropped_capacity"
    DROPPED_TIME_WINDOWS = "dropped_time_windows"
    DROPPED_SHIFT_DURATION = "dropped_shift_duration"
    DROPPED_SKILLS = "dropped_skills"
    DROPPED_INCOMPATIBILITY = "dropped_incompatibility"
    # No single relaxation brings it back: it loses against other stops as a whole.
    DROPPED_FOR_PRIORITY = "dropped_for_priority"


# Reasons found after the search: the visit could be served alone, but not alongside the rest.
DROP_REASONS = frozenset(
    {
        UnassignedReason.DROPPED_CAPACITY,
        UnassignedReason.DROPPED_TIME_WINDOWS,
        UnassignedReason.DROPPED_SHIFT_DURATION,
        UnassignedReason.DROPPED_SKILLS,
        UnassignedReason.DROPPED_INCOMPATIBILITY,
        UnassignedReason.DROPPED_FOR_PRIORITY,
    }
)

REASON_TEXT: dict[UnassignedReason, str] = {
    UnassignedReason.NO_VEHICLE_WITH_SKILL: "no vehicle has the skills it needs",
    UnassignedReason.CAPACITY: "its demand exceeds the capacity of every vehicle allowed "
    "to take it",
    UnassignedReason.WINDOW_UNREACHABLE: "no vehicle can reach it inside its time window, "
    "even on a direct trip",
    UnassignedReason.ROUTE_DURATION: "even a direct trip would break the shift end or "
    "the maximum route duration",
    UnassignedReason.PINNED_VEHICLE_CANNOT_REACH: "the vehicle it is pinned to cannot reach it",
    UnassignedReason.NOT_LOADED: "every vehicle allowed to take it is away from the depot "
    "and does not carry the goods",
    UnassignedReason.DROPPED_CAPACITY: "left out because the vehicles are full with other stops",
    UnassignedReason.DROPPED_TIME_WINDOWS: "left out because its window clashes with the "
    "windows of other stops",
    UnassignedReason.DROPPED_SHIFT_DURATION: "left out because the shifts or maximum route "
    "durations are used up by other stops",
    UnassignedReason.DROPPED_SKILLS: "left out because the vehicles with the needed skills are "
    "busy with other stops",
    UnassignedReason.DROPPED_INCOMPATIBILITY: "left out because its goods may not travel with "
    "goods already on the routes that could take it",
    UnassignedReason.DROPPED_FOR_PRIORITY: "left out in favour of other stops: serving it would "
    "cost more than leaving it, or displace more important stops",
}


@dataclass(frozen=True, slots=True)
class Arrival:
    """One visit on a tour with its timetable; load is what is on board after the visit."""

    visit_id: str
    arrival_s: int
    wait_s: int
    service_start_s: int
    departure_s: int
    load_after: tuple[int, ...]
    distance_m: int  # cumulative from the route start, including the leg to this visit


@dataclass(frozen=True, slots=True)
class BreakTaken:
    start_s: int
    duration_s: int


@dataclass(frozen=True, slots=True)
class Tour:
    vehicle_id: str
    start_s: int
    end_s: int
    arrivals: tuple[Arrival, ...]
    distance_m: int
    load_at_start: tuple[int, ...]
    breaks: tuple[BreakTaken, ...] = ()
    cost: float = 0.0

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s

    @property
    def visit_ids(self) -> tuple[str, ...]:
        return tuple(a.visit_id for a in self.arrivals)


@dataclass(frozen=True, slots=True)
class Unassigned:
    visit_id: str
    reason: UnassignedReason
    detail: str = ""

    @property
    def text(self) -> str:
        return REASON_TEXT[self.reason] + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True, slots=True)
class Solution:
    tours: tuple[Tour, ...]
    unassigned: tuple[Unassigned, ...]
    cost: float
    # What the search did, for logs and benchmarks.
    status: str = ""
    wall_time_s: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def distance_m(self) -> int:
        return sum(t.distance_m for t in self.tours)

    @property
    def vehicles_used(self) -> int:
        return sum(1 for t in self.tours if t.arrivals)

    def tour_of(self, vehicle_id: str) -> Tour | None:
        for tour in self.tours:
            if tour.vehicle_id == vehicle_id:
                return tour
        return None

    def routes(self) -> dict[str, list[str]]:
        """Visit ids per vehicle, the shape a warm start takes."""
        return {t.vehicle_id: list(t.visit_ids) for t in self.tours if t.arrivals}
