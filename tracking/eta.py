"""Pure ETA projection: the remaining stops timed from where the courier is, at the pace seen.

The pace is the delay factor: how much longer (or shorter) the completed legs and services took
than planned, kept within bounds so that one odd stop does not swing every ETA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Below this much planned time the observed pace says too little to trust.
MIN_PLANNED_S_FOR_PACE = 300


@dataclass(frozen=True, slots=True)
class Sample:
    """One completed leg or service: what the plan gave it and what it took."""

    planned_s: float
    actual_s: float


@dataclass(frozen=True, slots=True)
class RemainingStop:
    stop_id: int
    service_s: int
    # Accepted intervals, in order; none means any time.
    windows: tuple[tuple[datetime, datetime], ...] = ()
    # Set when the courier is at this stop already.
    arrived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Eta:
    stop_id: int
    arrival_at: datetime
    service_start_at: datetime
    departure_at: datetime
    # The end of the window the arrival was measured against.
    window_end_at: datetime | None
    late_by_s: int
    projected_late: bool


def delay_factor(samples: Sequence[Sample], *, min_factor: float, max_factor: float) -> float:
    """Actual over planned time of the completed work, bounded; 1.0 until enough is done."""
    planned_s = sum(max(0.0, s.planned_s) for s in samples)
    actual_s = sum(max(0.0, s.actual_s) for s in samples)
    if planned_s < MIN_PLANNED_S_FOR_PACE:
        return 1.0
    return min(max_factor, max(min_factor, actual_s / planned_s))


def project(
    stops: Sequence[RemainingStop],
    travel_s: Sequence[int],
    *,
    start_at: datetime,
    now: datetime,
    factor: float,
    lateness_threshold_s: int,
) -> list[Eta]:
    """ETAs of `stops` in order; `travel_s[k]` is the planned drive to stop k from the point
    before it (the first from the courier's origin, left at `start_at`). No arrival is
    projected before `now`; a stop the courier is at keeps its arrival time."""
    if len(travel_s) != len(stops):
        raise ValueError(f"{len(stops)} stops need {len(stops)} travel times, not {len(travel_s)}")
    etas: list[Eta] = []
    leave_at = start_at
    for k, stop in enumerate(stops):
        if stop.arrived_at is not None and k == 0:
            arrival = stop.arrived_at
        else:
            arrival = leave_at + timedelta(seconds=travel_s[k] * factor)
            arrival = max(arrival, now)
        window = _window_for(stop.windows, arrival)
        service_start = max(arrival, window[0]) if window else arrival
        departure = max(service_start + timedelta(seconds=stop.service_s * factor), now)
        late_by_s = 0
        window_end = window[1] if window else None
        if window is None and stop.windows:
            window_end = stop.windows[-1][1]
            late_by_s = round((arrival - window_end).total_seconds())
        etas.append(
            Eta(
                stop_id=stop.stop_id,
                arrival_at=arrival,
                service_start_at=service_start,
                departure_at=departure,
                window_end_at=window_end,
                late_by_s=late_by_s,
                projected_late=late_by_s > lateness_threshold_s,
            )
        )
        leave_at = departure
    return etas


def _window_for(
    windows: Sequence[tuple[datetime, datetime]], arrival: datetime
) -> tuple[datetime, datetime] | None:
    """The first window that has not closed at `arrival`; None when all have."""
    return next((w for w in windows if w[1] >= arrival), None)
