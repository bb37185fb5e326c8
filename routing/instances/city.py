"""Synthetic same-day delivery days around a real city: plain records and the routing Problem.

Orders cluster in a dense centre and a handful of suburbs, most book a two-hour slot between 9:00
and 21:00 and some accept any time, parcels vary in weight and size, and a share is chilled. The
fleet mixes vans, cars and refrigerated vans on early, middle and late shifts with a lunch break.
Everything comes from one seeded numpy generator, so a (size, seed) pair is a fixed instance.
The records are deliberately plain (no routing types) so demo data can be seeded from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from routing.matrix import HaversineProvider, MatrixProvider, SpeedProfile
from routing.problem import Break, Problem, TimeWindow, Vehicle, Visit

HOUR_S = 3600
DIMENSIONS = ("weight_g", "volume_cm3", "parcels")
CHILLED = "chilled"
# Two-hour delivery slots a customer can book, as (start_s, end_s) since midnight.
SLOTS = tuple((h * HOUR_S, (h + 2) * HOUR_S) for h in range(9, 21, 2))
# Evening slots are booked more often: people are at home.
SLOT_WEIGHTS = (0.14, 0.14, 0.14, 0.16, 0.20, 0.22)
ALL_DAY = (9 * HOUR_S, 21 * HOUR_S)
LUNCH_S = 30 * 60
KM_PER_DEG_LAT = 111.195


@dataclass(frozen=True, slots=True)
class District:
    name: str
    lat: float
    lng: float
    weight: float  # share of the orders, relative to the other districts
    spread_km: float  # standard deviation of the scatter around the district centre


@dataclass(frozen=True, slots=True)
class City:
    name: str
    lat: float
    lng: float
    districts: tuple[District, ...]
    # Depot sites; a one-depot day uses the first.
    depots: tuple[tuple[str, float, float], ...]


TALLINN = City(
    name="Tallinn",
    lat=59.437,
    lng=24.7536,
    districts=(
        District("Kesklinn", 59.437, 24.7536, 0.34, 1.1),
        District("Kristiine", 59.425, 24.715, 0.08, 0.8),
        District("Põhja-Tallinn", 59.450, 24.715, 0.10, 1.0),
        District("Lasnamäe", 59.434, 24.835, 0.16, 1.4),
        District("Mustamäe", 59.403, 24.690, 0.12, 1.0),
        District("Haabersti", 59.427, 24.640, 0.07, 1.2),
        District("Nõmme", 59.385, 24.680, 0.07, 1.5),
        District("Pirita", 59.468, 24.835, 0.06, 1.3),
    ),
    depots=(("Ülemiste", 59.422, 24.799), ("Laagri", 59.349, 24.612)),
)


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_g: int
    volume_cm3: int


@dataclass(frozen=True, slots=True)
class Depot:
    ref: str
    name: str
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class Order:
    ref: str
    district: str
    lat: float
    lng: float
    window_start_s: int  # seconds since midnight
    window_end_s: int
    all_day: bool  # the customer accepts any time of the delivery day
    service_s: int
    parcels: tuple[Parcel, ...]
    chilled: bool

    @property
    def weight_g(self) -> int:
        return sum(p.weight_g for p in self.parcels)

    @property
    def volume_cm3(self) -> int:
        return sum(p.volume_cm3 for p in self.parcels)


@dataclass(frozen=True, slots=True)
class VehicleKind:
    name: str
    profile: str  # speed profile name
    weight_g: int
    volume_cm3: int
    parcels: int
    cost_per_km: float
    cost_per_hour: float
    fixed_cost: float
    chilled: bool = False


VAN = VehicleKind("van", "van", 800_000, 8_000_000, 120, 0.35, 22.0, 40.0)
CAR = VehicleKind("car", "car", 250_000, 1_500_000, 40, 0.20, 18.0, 25.0)
REEFER = VehicleKind("refrigerated_van", "van", 600_000, 5_000_000, 80, 0.45, 24.0, 55.0, True)

PROFILES = (
    SpeedProfile("car", speed_kmh=30.0, detour_factor=1.35),
    SpeedProfile("van", speed_kmh=25.0, detour_factor=1.35),
)

# (name, start, end) of the shifts, in seconds since midnight; the late one covers 19-21 slots.
SHIFTS = (
    ("early", 8 * HOUR_S, 16 * HOUR_S + 1800),
    ("middle", 10 * HOUR_S, 18 * HOUR_S + 1800),
    ("late", 12 * HOUR_S + 1800, 21 * HOUR_S + 2700),
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
    # The lunch break of LUNCH_S must start inside this window.
    break_start_s: int
    break_end_s: int
    break_duration_s: int
    chilled: bool


@dataclass(frozen=True, slots=True)
class CityDay:
    city: str
    seed: int
    depots: tuple[Depot, ...]
    orders: tuple[Order, ...]
    vehicles: tuple[FleetVehicle, ...]


def generate_city_day(
    n_orders: int,
    n_vehicles: int,
    *,
    seed: int = 0,
    city: City = TALLINN,
    two_depots: bool = False,
    chilled_share: float = 0.15,
    all_day_share: float = 0.2,
) -> CityDay:
    """A day of `n_orders` orders and a fleet of `n_vehicles`, the same for the same seed."""
    if n_orders < 0 or n_vehicles < 1:
        raise ValueError("a city day needs at least one vehicle and a non-negative order count")
    if two_depots and len(city.depots) < 2:
        raise ValueError(f"{city.name} has only one depot site")
    rng = np.random.default_rng(seed)
    depots = tuple(
        Depot(ref=f"D{k + 1}", name=name, lat=lat, lng=lng)
        for k, (name, lat, lng) in enumerate(city.depots[: 2 if two_depots else 1])
    )
    orders = _orders(rng, n_orders, city, chilled_share, all_day_share)
    vehicles = _fleet(rng, n_vehicles, depots, needs_chilled=any(o.chilled for o in orders))
    return CityDay(city=city.name, seed=seed, depots=depots, orders=orders, vehicles=vehicles)


def city_problem(day: CityDay, provider: MatrixProvider | None = None) -> Problem:
    """The routing Problem of a day: depots are locations 0.., then one location per order."""
    provider = provider or HaversineProvider()
    lats = [d.lat for d in day.depots] + [o.lat for o in day.orders]
    lngs = [d.lng for d in day.depots] + [o.lng for o in day.orders]
    used = {v.profile for v in day.vehicles}
    matrices = {p.name: provider.matrix(lats, lngs, p) for p in PROFILES if p.name in used}
    depot_location = {d.ref: k for k, d in enumerate(day.depots)}
    first_order = len(day.depots)
    visits = tuple(
        Visit(
            id=order.ref,
            location=first_order + k,
            service_s=order.service_s,
            windows=(TimeWindow(order.window_start_s, order.window_end_s),),
            demand=(order.weight_g, order.volume_cm3, len(order.parcels)),
            skills=frozenset({CHILLED}) if order.chilled else frozenset(),
        )
        for k, order in enumerate(day.orders)
    )
    vehicles = tuple(
        Vehicle(
            id=v.ref,
            start_location=depot_location[v.depot_ref],
            end_location=depot_location[v.depot_ref],
            shift=TimeWindow(v.shift_start_s, v.shift_end_s),
            capacity=(v.capacity_weight_g, v.capacity_volume_cm3, v.capacity_parcels),
            skills=frozenset({CHILLED}) if v.chilled else frozenset(),
            profile=v.profile,
            cost_per_km=v.cost_per_km,
            cost_per_hour=v.cost_per_hour,
            fixed_cost=v.fixed_cost,
            breaks=(Break(v.break_duration_s, TimeWindow(v.break_start_s, v.break_end_s)),),
        )
        for v in day.vehicles
    )
    return Problem(
        visits=visits,
        vehicles=vehicles,
        matrices=matrices,
        dimensions=DIMENSIONS,
        location_names=tuple(d.name for d in day.depots) + tuple(o.ref for o in day.orders),
    )


def _orders(
    rng: np.random.Generator, n: int, city: City, chilled_share: float, all_day_share: float
) -> tuple[Order, ...]:
    weights = np.asarray([d.weight for d in city.districts])
    district_of = rng.choice(len(city.districts), size=n, p=weights / weights.sum())
    north_km = rng.normal(size=n)
    east_km = rng.normal(size=n)
    all_day = rng.random(n) < all_day_share
    slot_of = rng.choice(len(SLOTS), size=n, p=np.asarray(SLOT_WEIGHTS) / sum(SLOT_WEIGHTS))
    # Service takes 2 to 8 minutes, in 10 s steps.
    service_s = rng.integers(12, 49, size=n) * 10
    chilled = rng.random(n) < chilled_share
    parcel_count = rng.choice([1, 2, 3, 4], size=n, p=[0.7, 0.2, 0.07, 0.03])

    orders = []
    for k in range(n):
        district = city.districts[int(district_of[k])]
        lat = district.lat + north_km[k] * district.spread_km / KM_PER_DEG_LAT
        km_per_deg_lng = KM_PER_DEG_LAT * math.cos(math.radians(district.lat))
        lng = district.lng + east_km[k] * district.spread_km / km_per_deg_lng
        window = ALL_DAY if all_day[k] else SLOTS[int(slot_of[k])]
        orders.append(
            Order(
                ref=f"O{k + 1:05d}",
                district=district.name,
                lat=round(float(lat), 6),
                lng=round(float(lng), 6),
                window_start_s=window[0],
                window_end_s=window[1],
                all_day=bool(all_day[k]),
                service_s=int(service_s[k]),
                parcels=tuple(_parcel(rng) for _ in range(int(parcel_count[k]))),
                chilled=bool(chilled[k]),
            )
        )
    return tuple(orders)


def _parcel(rng: np.random.Generator) -> Parcel:
    """Small, medium or large: (weight range kg, volume range litres)."""
    size = rng.choice(3, p=[0.6, 0.3, 0.1])
    kg_low, kg_high, l_low, l_high = ((0.2, 2, 1, 5), (2, 10, 5, 30), (10, 25, 30, 120))[size]
    return Parcel(
        weight_g=int(rng.uniform(kg_low, kg_high) * 1000),
        volume_cm3=int(rng.uniform(l_low, l_high) * 1000),
    )


def _fleet(
    rng: np.random.Generator, n: int, depots: tuple[Depot, ...], *, needs_chilled: bool
) -> tuple[FleetVehicle, ...]:
    # Roughly 55 % vans, 25 % cars, 20 % refrigerated vans; at least one of the last when needed.
    n_reefer = max(round(0.2 * n), 1 if needs_chilled else 0)
    n_car = min(round(0.25 * n), n - n_reefer)
    kinds = [REEFER] * n_reefer + [CAR] * n_car + [VAN] * (n - n_reefer - n_car)
    # Shifts rotate early, middle, late, starting at a random offset per kind's block.
    offset = int(rng.integers(len(SHIFTS)))
    counters: dict[str, int] = {}
    vehicles = []
    for k, kind in enumerate(kinds):
        counters[kind.name] = counters.get(kind.name, 0) + 1
        shift_name, start_s, end_s = SHIFTS[(k + offset) % len(SHIFTS)]
        # Lunch starts between 3.5 and 5 hours into the shift.
        break_start_s = start_s + 3 * HOUR_S + 1800
        prefix = {"van": "VAN", "car": "CAR", "refrigerated_van": "REF"}[kind.name]
        vehicles.append(
            FleetVehicle(
                ref=f"{prefix}-{counters[kind.name]:02d}",
                kind=kind.name,
                depot_ref=depots[k % len(depots)].ref,
                profile=kind.profile,
                capacity_weight_g=kind.weight_g,
                capacity_volume_cm3=kind.volume_cm3,
                capacity_parcels=kind.parcels,
                cost_per_km=kind.cost_per_km,
                cost_per_hour=kind.cost_per_hour,
                fixed_cost=kind.fixed_cost,
                shift=shift_name,
                shift_start_s=start_s,
                shift_end_s=end_s,
                break_start_s=break_start_s,
                break_end_s=break_start_s + 90 * 60,
                break_duration_s=LUNCH_S,
                chilled=kind.chilled,
            )
        )
    return tuple(vehicles)
