"""The synthetic mixed fleet: vans, cars and refrigerated vans on staggered shifts with lunch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.matrix import SpeedProfile

HOUR_S = 3600
LUNCH_S = 30 * 60
CHILLED = "chilled"


@dataclass(frozen=True, slots=True)
class VehicleKind:
    name: str
    ref_prefix: str
    profile: str  # speed profile name
    weight_g: int
    volume_cm3: int
    parcels: int
    cost_per_km: float
    cost_per_hour: float
    fixed_cost: float
    chilled: bool = False


VAN = VehicleKind("van", "VAN", "van", 800_000, 8_000_000, 120, 0.35, 22.0, 40.0)
CAR = VehicleKind("car", "CAR", "car", 250_000, 1_500_000, 40, 0.20, 18.0, 25.0)
REEFER = VehicleKind(
    "refrigerated_van", "REF", "van", 600_000, 5_000_000, 80, 0.45, 24.0, 55.0, chilled=True
)

PROFILES = (
    SpeedProfile("car", speed_kmh=30.0, detour_factor=1.35),
    SpeedProfile("van", speed_kmh=25.0, detour_factor=1.35),
)


@dataclass(frozen=True, slots=True)
class Shift:
    name: str
    start_s: int  # seconds since midnight
    end_s: int

    def covers(self, window: tuple[int, int], margin_s: int = 1800) -> bool:
        """Whether a vehicle on this shift can plausibly serve a whole delivery window."""
        return self.start_s + margin_s <= window[0] and window[1] + margin_s <= self.end_s


# The late shift covers the 19-21 slot and the drive back.
SHIFTS = (
    Shift("early", 8 * HOUR_S, 16 * HOUR_S + 1800),
    Shift("middle", 10 * HOUR_S, 18 * HOUR_S + 1800),
    Shift("late", 12 * HOUR_S + 1800, 21 * HOUR_S + 2700),
)


@dataclass(frozen=True, slots=True)
class FleetVehicle:
    ref: str
    kind: str
    depot_ref: str
    profile: str
    capacity_weight_g: int
    capacity_volume_cm3: int
    capacity_parcels: int
    cost_per_km: float
    cost_per_hour: float
    fixed_cost: float
    shift: str
    shift_start_s: int
    shift_end_s: int
    # A lunch break of break_duration_s must start inside [break_start_s, break_end_s].
    break_start_s: int
    break_end_s: int
    break_duration_s: int
    chilled: bool


def generate_fleet(
    rng: np.random.Generator, n: int, depot_refs: tuple[str, ...], *, chilled: bool
) -> tuple[FleetVehicle, ...]:
    """Roughly 55 % vans, 25 % cars, 20 % refrigerated vans (at least one if `chilled`)."""
    n_reefer = max(round(0.2 * n), 1 if chilled else 0)
    n_car = min(round(0.25 * n), n - n_reefer)
    kinds = [REEFER] * n_reefer + [CAR] * n_car + [VAN] * (n - n_reefer - n_car)
    # Shifts rotate early, middle, late from a random starting point.
    offset = int(rng.integers(len(SHIFTS)))
    counters: dict[str, int] = {}
    vehicles = []
    for k, kind in enumerate(kinds):
        counters[kind.name] = counters.get(kind.name, 0) + 1
        shift = SHIFTS[(k + offset) % len(SHIFTS)]
        # Lunch starts between 3.5 and 5 hours into the shift.
        break_start_s = shift.start_s + 3 * HOUR_S + 1800
        vehicles.append(
            FleetVehicle(
                ref=f"{kind.ref_prefix}-{counters[kind.name]:02d}",
                kind=kind.name,
                depot_ref=depot_refs[k % len(depot_refs)],
                profile=kind.profile,
                capacity_weight_g=kind.weight_g,
                capacity_volume_cm3=kind.volume_cm3,
                capacity_parcels=kind.parcels,
                cost_per_km=kind.cost_per_km,
                cost_per_hour=kind.cost_per_hour,
                fixed_cost=kind.fixed_cost,
                shift=shift.name,
                shift_start_s=shift.start_s,
                shift_end_s=shift.end_s,
                break_start_s=break_start_s,
                break_end_s=break_start_s + 90 * 60,
                break_duration_s=LUNCH_S,
                chilled=kind.chilled,
            )
        )
    return tuple(vehicles)


def shift_of(vehicle: FleetVehicle) -> Shift:
    return Shift(vehicle.shift, vehicle.shift_start_s, vehicle.shift_end_s)
