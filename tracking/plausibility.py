"""Pure checks of position pings: a ping that cannot be true is refused with a reason."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.settings import TrackingSettings
from routing.matrix import haversine_m


class PingRejection(enum.StrEnum):
    COORDINATES_OUT_OF_RANGE = "coordinates_out_of_range"
    DEVICE_TIME_IN_FUTURE = "device_time_in_future"
    IMPLAUSIBLE_JUMP = "implausible_jump"


@dataclass(frozen=True, slots=True)
class Fix:
    """A position at a device time; `accuracy_m` widens what counts as no movement."""

    device_at: datetime
    lat: float
    lng: float
    accuracy_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Limits:
    max_speed_m_s: float
    max_future_skew_s: int

    @classmethod
    def of(cls, settings: TrackingSettings) -> Limits:
        return cls(settings.max_speed_kmh / 3.6, settings.max_future_skew_s)


def static_problem(fix: Fix, *, now: datetime, limits: Limits) -> PingRejection | None:
    """What is wrong with the ping on its own, if anything."""
    if not (-90.0 <= fix.lat <= 90.0 and -180.0 <= fix.lng <= 180.0):
        return PingRejection.COORDINATES_OUT_OF_RANGE
    if fix.device_at > now + timedelta(seconds=limits.max_future_skew_s):
        return PingRejection.DEVICE_TIME_IN_FUTURE
    return None


def implied_speed_m_s(a: Fix, b: Fix) -> float:
    """The slowest speed that explains both fixes, given their accuracy (inf for equal times)."""
    distance_m = float(haversine_m([a.lat, b.lat], [a.lng, b.lng])[0, 1])
    moved_m = max(0.0, distance_m - a.accuracy_m - b.accuracy_m)
    elapsed_s = abs((b.device_at - a.device_at).total_seconds())
    if elapsed_s == 0:
        return 0.0 if moved_m == 0 else float("inf")
    return moved_m / elapsed_s


class Timeline:
    """Trusted fixes in device-time order; a new fix must be reachable from its neighbours."""

    def __init__(self, fixes: Sequence[Fix] = ()) -> None:
        self._fixes = sorted(fixes, key=lambda f: f.device_at)
        self._times = [f.device_at for f in self._fixes]

    def neighbours(self, fix: Fix) -> list[Fix]:
        k = bisect.bisect_left(self._times, fix.device_at)
        return [self._fixes[i] for i in (k - 1, k) if 0 <= i < len(self._fixes)]

    def admit(self, fix: Fix, limits: Limits) -> PingRejection | None:
        """Adds the fix unless it jumps faster than any vehicle from a neighbour."""
        for other in self.neighbours(fix):
            if implied_speed_m_s(other, fix) > limits.max_speed_m_s:
                return PingRejection.IMPLAUSIBLE_JUMP
        k = bisect.bisect_left(self._times, fix.device_at)
        self._fixes.insert(k, fix)
        self._times.insert(k, fix.device_at)
        return None
