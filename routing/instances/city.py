"""Synthetic same-day delivery days around a real city: plain records and the routing Problem.

Orders cluster in a dense centre and a handful of suburbs, most book a two-hour slot between 9:00
and 21:00 and some accept any time, parcels vary in weight and size, and a share is chilled
(offered only in slots a refrigerated van is on shift for). The fleet is in `fleet.py`.
Everything comes from one seeded numpy generator, so a (size, seed) pair is a fixed instance.
The records are deliberately plain (no routing types) so demo data can be seeded from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from routing.instances.fleet import (
    CHILLED,
    HOUR_S,
    PROFILES,
    FleetVehicle,
    generate_fleet,
    shift_of,
)
from routing.matrix import HaversineProvider, MatrixProvider
from routing.problem import Break, Problem, TimeWindow, Vehicle, Visit

DIMENSIONS = ("weight_g", "volume_cm3", "parcels")
# Two-hour delivery slots a customer can book, as (start_s, end_s) since midnight.
SLOTS = tuple((h * HOUR_S, (h + 2) * HOUR_S) for h in range(9, 21, 2))
# Evening slots are booked more often: people are at home.
SLOT_WEIGHTS = (0.14, 0.14, 0.14, 0.16, 0.20, 0.22)
ALL_DAY = (9 * HOUR_S, 21 * HOUR_S)
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
    fleet = generate_fleet(rng, n_vehicles, tuple(d.ref for d in depots), chilled=chilled_share > 0)
    # Chilled delivery is only offered in slots a refrigerated van is on shift for.
    reefer_shifts = [shift_of(v) for v in fleet if v.chilled]
    chilled_slots = tuple(
        k for k, slot in enumerate(SLOTS) if any(s.covers(slot) for s in reefer_shifts)
    )
    orders = _orders(rng, n_orders, city, chilled_share, all_day_share, chilled_slots)
    return CityDay(city=city.name, seed=seed, depots=depots, orders=orders, vehicles=fleet)


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
    rng: np.random.Generator,
    n: int,
    city: City,
    chilled_share: float,
    all_day_share: float,
    chilled_slots: tuple[int, ...],
) -> tuple[Order, ...]:
    weights = np.asarray([d.weight for d in city.districts])
    district_of = rng.choice(len(city.districts), size=n, p=weights / weights.sum())
    north_km = rng.normal(size=n)
    east_km = rng.normal(size=n)
    all_day = rng.random(n) < all_day_share
    slot_weights = np.asarray(SLOT_WEIGHTS)
    slot_of = rng.choice(len(SLOTS), size=n, p=slot_weights / slot_weights.sum())
    # Service takes 2 to 8 minutes, in 10 s steps.
    service_s = rng.integers(12, 49, size=n) * 10
    chilled = rng.random(n) < chilled_share
    if chilled_slots:
        allowed = slot_weights[list(chilled_slots)]
        chilled_slot_of = rng.choice(chilled_slots, size=n, p=allowed / allowed.sum())
        slot_of = np.where(chilled, chilled_slot_of, slot_of)
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
