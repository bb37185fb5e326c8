"""The pure rules of driving and serving a stop, shared by the live couriers and the day
replayed without replanning, so that the two differ only in the plans they follow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.problem_builder import SPEED_PROFILES
from infra.models import FailureReason, VehicleType
from routing.matrix import HaversineProvider, SpeedProfile
from simulator.noise import NoiseModel

# A failed attempt: ringing, waiting, leaving a card.
FAILED_ATTEMPT_S = 180
# The drive back to the depot has no order to key its noise by.
DEPOT_KEY = 0
_PROVIDER = HaversineProvider()


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class Visit:
    order_id: int
    place: Place
    window_start: datetime | None
    window_end: datetime | None
    service_s: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened at one order's stop."""

    order_id: int
    vehicle_id: int
    arrived_at: datetime
    service_start_at: datetime
    done_at: datetime
    failure_reason: FailureReason | None
    window_end: datetime | None

    @property
    def delivered(self) -> bool:
        return self.failure_reason is None

    @property
    def late_s(self) -> int:
        """How long after its window's end the service began (0 when on time or failed)."""
        if not self.delivered or self.window_end is None:
            return 0
        return max(0, int((self.service_start_at - self.window_end).total_seconds()))


@dataclass(frozen=True, slots=True)
class Leg:
    start: Place
    end: Place
    start_at: datetime
    duration_s: int
    distance_m: int

    @property
    def end_at(self) -> datetime:
        return self.start_at + timedelta(seconds=self.duration_s)

    def position_at(self, at: datetime) -> Place:
        """Straight along the line between the ends, at an even pace."""
        if self.duration_s <= 0:
            return self.end
        share = (at - self.start_at).total_seconds() / self.duration_s
        share = min(1.0, max(0.0, share))
        return Place(
            self.start.lat + (self.end.lat - self.start.lat) * share,
            self.start.lng + (self.end.lng - self.start.lng) * share,
        )

    def distance_by(self, at: datetime) -> float:
        if self.duration_s <= 0:
            return float(self.distance_m)
        share = min(1.0, max(0.0, (at - self.start_at).total_seconds() / self.duration_s))
        return self.distance_m * share


def profile_of(vehicle_type: str) -> SpeedProfile:
    """The planner's speed profile of a vehicle type, so driving matches the plan's matrix."""
    return SPEED_PROFILES[VehicleType(vehicle_type)]


def drive(
    start: Place,
    end: Place,
    start_at: datetime,
    *,
    profile: SpeedProfile,
    noise: NoiseModel,
    vehicle_id: int,
    key: int,
) -> Leg:
    """A leg as the planner's matrix times it, slowed by the route's traffic and the leg's own."""
    matrix = _PROVIDER.matrix([start.lat, end.lat], [start.lng, end.lng], profile)
    planned_s = int(matrix.duration_s[0, 1])
    factor = noise.traffic_factor(vehicle_id) * noise.leg_factor(key)
    return Leg(start, end, start_at, round(planned_s * factor), int(matrix.distance_m[0, 1]))


def serve(visit: Visit, arrived_at: datetime, *, noise: NoiseModel, vehicle_id: int) -> Outcome:
    """The courier waits for the window to open, then hands over the parcel or fails."""
    start = arrived_at
    if visit.window_start is not None and visit.window_start > arrived_at:
        start = visit.window_start
    reason = noise.failure(visit.order_id)
    if reason is not None:
        # Nobody answers at the door: that is found out on arrival, without waiting.
        start = arrived_at
        done = arrived_at + timedelta(seconds=FAILED_ATTEMPT_S)
    else:
        done = start + timedelta(seconds=noise.service_s(visit.order_id, visit.service_s))
    return Outcome(visit.order_id, vehicle_id, arrived_at, start, done, reason, visit.window_end)
