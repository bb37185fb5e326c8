"""The demo: depots, fleet, couriers, users and one realistic day of orders around a real city.

Everything comes from `routing.instances.city` records (one seeded generator), so the same day
is seeded for the same seed, all but the tracking codes: those come from
`orders.service.new_tracking_code` like any order's, so a demo served beyond localhost does not
hand out codes that can be worked out from the seed. Seeding is idempotent: the fleet and
accounts once, then the orders and shifts of each day that has none yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dispatch.problem_builder import DayClock
from infra.accounts import hash_password
from infra.models import (
    Courier,
    Depot,
    LocationSource,
    Order,
    OrderKind,
    OrderStatus,
    OrderWindow,
    Parcel,
    Role,
    Shift,
    User,
    Vehicle,
    VehicleType,
)
from orders import timeline
from orders.service import new_tracking_code
from routing.instances.city import CityDay, generate_city_day
from routing.instances.fleet import CHILLED, FleetVehicle

DEMO_SEED = 2025
DEMO_ORDERS = 320
DEMO_VEHICLES = 20
DEMO_TIMEZONE = "Europe/Tallinn"
REFERENCE_PREFIX = "DEMO-"
PASSWORDS = {"admin": "demo-admin", "dispatcher": "demo-dispatcher", "courier": "demo-courier"}

_FIRST = (
    "Mari",
    "Jaan",
    "Kadri",
    "Andres",
    "Liis",
    "Toomas",
    "Kati",
    "Mart",
    "Anu",
    "Priit",
    "Eva",
    "Rasmus",
    "Helen",
    "Karl",
    "Triin",
    "Siim",
    "Maria",
    "Oleg",
    "Irina",
    "Sofia",
)
_LAST = (
    "Tamm",
    "Saar",
    "Sepp",
    "Mägi",
    "Kask",
    "Kukk",
    "Rebane",
    "Ilves",
    "Pärn",
    "Koppel",
    "Lepik",
    "Kuusk",
    "Ivanov",
    "Smirnova",
    "Lill",
    "Vaher",
    "Raud",
    "Kallas",
)
_STREETS = {
    "Kesklinn": ("Narva mnt", "Tartu mnt", "Pärnu mnt", "Gonsiori", "Liivalaia", "Roosikrantsi"),
    "Kristiine": ("Endla", "Sõpruse pst", "Tulika", "Mustamäe tee"),
    "Põhja-Tallinn": ("Kopli", "Telliskivi", "Sõle", "Randla"),
    "Lasnamäe": ("Mustakivi tee", "Punane", "Pae", "Laagna tee", "Majaka"),
    "Mustamäe": ("Akadeemia tee", "Ehitajate tee", "Sõpruse pst", "Tammsaare tee"),
    "Haabersti": ("Õismäe tee", "Paldiski mnt", "Ehitajate tee", "Haabersti"),
    "Nõmme": ("Jaama", "Vabaduse pst", "Pärnu mnt", "Valdeku"),
    "Pirita": ("Pirita tee", "Merivälja tee", "Kloostrimetsa tee", "Rummu tee"),
}
_NOTES = (
    None,
    None,
    None,
    None,
    "Ring the bell twice",
    "Leave with the neighbour at no. 3",
    "Gate code 4512",
    "Call on arrival",
    "Back entrance, by the garage",
)
_TYPE_OF_KIND = {
    "van": VehicleType.VAN,
    "car": VehicleType.CAR,
    "refrigerated_van": VehicleType.VAN,
}


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    role: Role


@dataclass(frozen=True, slots=True)
class DemoSeed:
    day: date
    orders: int
    vehicles: int
    depots: int
    logins: tuple[DemoLogin, ...]
    created: bool  # False when the day was already there


def city_day(
    seed: int = DEMO_SEED, *, orders: int = DEMO_ORDERS, vehicles: int = DEMO_VEHICLES
) -> CityDay:
    return generate_city_day(orders, vehicles, seed=seed, two_depots=True)


def seed_demo(
    session: Session,
    *,
    day: date,
    zone: ZoneInfo,
    seed: int = DEMO_SEED,
    order_count: int = DEMO_ORDERS,
    vehicle_count: int = DEMO_VEHICLES,
) -> DemoSeed:
    """Seeds what is missing for `day`; the caller commits. `order_count` and `vehicle_count`
    size a smaller day (for tests of a whole day); the demo uses the defaults."""
    generated = city_day(seed, orders=order_count, vehicles=vehicle_count)
    depots = _depots(session, generated)
    vehicles = _vehicles(session, generated, depots)
    couriers = _couriers(session, generated, depots)
    exists = select(func.count()).select_from(Order).where(_demo_orders(day))
    created = not session.scalar(exists)
    if created:
        _shifts(session, generated, vehicles, couriers, day=day, zone=zone)
        _orders(session, generated, depots, day=day, zone=zone, seed=seed)
    session.flush()
    logins = [
        DemoLogin("admin", PASSWORDS["admin"], Role.ADMIN),
        DemoLogin("dispatcher", PASSWORDS["dispatcher"], Role.DISPATCHER),
    ]
    if len(depots) > 1:
        logins += [
            DemoLogin(_dispatcher_name(ref), PASSWORDS["dispatcher"], Role.DISPATCHER)
            for ref in depots
        ]
    logins += [
        DemoLogin(_courier_name(v), PASSWORDS["courier"], Role.COURIER) for v in generated.vehicles
    ]
    return DemoSeed(
        day=day,
        orders=session.scalar(exists) or 0,
        vehicles=len(vehicles),
        depots=len(depots),
        logins=tuple(logins),
        created=created,
    )


def _demo_orders(day: date) -> ColumnElement[bool]:
    return (Order.service_date == day) & Order.reference.startswith(REFERENCE_PREFIX)


def _dispatcher_name(depot_ref: str) -> str:
    return f"dispatcher-{depot_ref.lower()}"


def _courier_name(vehicle: FleetVehicle) -> str:
    return f"courier-{vehicle.ref.lower()}"


def _depots(session: Session, generated: CityDay) -> dict[str, Depot]:
    result = {}
    for depot in generated.depots:
        code = f"TLN-{depot.ref}"
        row = session.scalar(select(Depot).where(Depot.code == code))
        if row is None:
            row = Depot(
                code=code,
                name=f"{depot.name} depot",
                lat=depot.lat,
                lng=depot.lng,
                address=f"{depot.name}, {generated.city}",
            )
            session.add(row)
        result[depot.ref] = row
    session.flush()
    return result


def _vehicles(session: Session, generated: CityDay, depots: dict[str, Depot]) -> dict[str, Vehicle]:
    result = {}
    for spec in generated.vehicles:
        row = session.scalar(select(Vehicle).where(Vehicle.code == spec.ref))
        if row is None:
            row = Vehicle(
                code=spec.ref,
                type=_TYPE_OF_KIND.get(spec.kind, VehicleType.VAN),
                depot_id=depots[spec.depot_ref].id,
                max_weight_g=spec.capacity_weight_g,
                max_volume_cm3=spec.capacity_volume_cm3,
                max_parcels=spec.capacity_parcels,
                skills=[CHILLED] if spec.chilled else [],
                shift_start=_wall(spec.shift_start_s),
                shift_end=_wall(spec.shift_end_s),
                cost_per_km_cents=round(spec.cost_per_km * 100),
                cost_per_hour_cents=round(spec.cost_per_hour * 100),
                fixed_cost_cents=round(spec.fixed_cost * 100),
            )
            session.add(row)
        result[spec.ref] = row
    session.flush()
    return result


def _user(
    session: Session, username: str, role: Role, password_hash: str, depot_id: int | None = None
) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash=password_hash, role=role, depot_id=depot_id)
        session.add(user)
        session.flush()
    return user


def _couriers(session: Session, generated: CityDay, depots: dict[str, Depot]) -> dict[str, Courier]:
    hashes = {role: hash_password(password) for role, password in PASSWORDS.items()}
    _user(session, "admin", Role.ADMIN, hashes["admin"])
    # The head dispatcher sees every depot; with several, each also has a dispatcher of its own.
    _user(session, "dispatcher", Role.DISPATCHER, hashes["dispatcher"])
    if len(depots) > 1:
        for ref, depot in depots.items():
            name = _dispatcher_name(ref)
            _user(session, name, Role.DISPATCHER, hashes["dispatcher"], depot_id=depot.id)
    rng = np.random.default_rng(DEMO_SEED)
    result = {}
    for spec in generated.vehicles:
        user = _user(session, _courier_name(spec), Role.COURIER, hashes["courier"])
        courier = session.scalar(select(Courier).where(Courier.user_id == user.id))
        if courier is None:
            courier = Courier(
                user_id=user.id,
                name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                phone=f"+372 5{int(rng.integers(100_000, 999_999))}",
                depot_id=depots[spec.depot_ref].id,
            )
            session.add(courier)
        result[spec.ref] = courier
    session.flush()
    return result


def _shifts(
    session: Session,
    generated: CityDay,
    vehicles: dict[str, Vehicle],
    couriers: dict[str, Courier],
    *,
    day: date,
    zone: ZoneInfo,
) -> None:
    clock = DayClock(day, zone)
    for spec in generated.vehicles:
        courier = couriers[spec.ref]
        taken = select(Shift.id).where(Shift.courier_id == courier.id, Shift.day == day)
        if session.scalar(taken) is not None:
            continue
        session.add(
            Shift(
                courier_id=courier.id,
                vehicle_id=vehicles[spec.ref].id,
                day=day,
                starts_at=clock.instant(spec.shift_start_s),
                ends_at=clock.instant(spec.shift_end_s),
            )
        )


def _orders(
    session: Session,
    generated: CityDay,
    depots: dict[str, Depot],
    *,
    day: date,
    zone: ZoneInfo,
    seed: int,
) -> None:
    clock = DayClock(day, zone)
    rng = np.random.default_rng(seed + 1)
    # Taken in the evening before, after the cut-off: every order is in before the day starts.
    received = datetime.combine(day - timedelta(days=1), time(19, 0), tzinfo=zone).astimezone(UTC)
    depot_list = list(depots.values())
    for order in generated.orders:
        nearest = min(depot_list, key=lambda d: (d.lat - order.lat) ** 2 + (d.lng - order.lng) ** 2)
        street = rng.choice(_STREETS.get(order.district, ("Narva mnt",)))
        note = _NOTES[int(rng.integers(len(_NOTES)))]
        session.add(
            Order(
                tracking_code=new_tracking_code(),
                reference=f"{REFERENCE_PREFIX}{day:%Y%m%d}-{order.ref}",
                kind=OrderKind.DELIVERY,
                status=OrderStatus.PLANNABLE,
                service_date=day,
                received_at=received + timedelta(seconds=int(rng.integers(0, 3 * 3600))),
                depot_id=nearest.id,
                recipient_name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                recipient_phone=f"+372 5{int(rng.integers(100_000, 999_999))}",
                address=f"{street} {int(rng.integers(1, 120))}, {order.district}, {generated.city}",
                lat=order.lat,
                lng=order.lng,
                location_source=LocationSource.GIVEN,
                service_s=order.service_s,
                priority=0,
                handling=[CHILLED] if order.chilled else [],
                notes=note,
                parcels=[
                    Parcel(weight_g=p.weight_g, volume_cm3=p.volume_cm3, count=1)
                    for p in order.parcels
                ],
                windows=[
                    OrderWindow(
                        starts_at=clock.instant(order.window_start_s),
                        ends_at=clock.instant(order.window_end_s),
                    )
                ],
            )
        )
    session.flush()
    for taken in session.scalars(select(Order).where(_demo_orders(day))):
        timeline.record(
            session,
            taken.id,
            timeline.RECEIVED,
            {"reference": taken.reference, "source": "demo"},
            at=taken.received_at,
        )


def _wall(seconds: int) -> time:
    seconds = min(seconds, 24 * 3600 - 1)
    return time(seconds // 3600, seconds % 3600 // 60)
