"""Plain factory functions for test data: sensible defaults, keyword overrides, flushed rows."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.auth import issue_token
from infra.accounts import hash_password
from infra.geocoding import GeoPoint
from infra.models import (
    Courier,
    Depot,
    LocationSource,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    OrderWindow,
    Parcel,
    Plan,
    PlanStatus,
    Role,
    Route,
    Shift,
    StockBatch,
    Stop,
    StorageMode,
    StorageZone,
    User,
    Vehicle,
    VehicleType,
)
from infra.settings import Settings

ZONE = ZoneInfo("Europe/Berlin")
DAY = date(2025, 3, 4)
PASSWORD = "correct horse battery"
_serial = itertools.count(1)


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def _next(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


def make_user(session: Session, *, role: Role = Role.DISPATCHER, **overrides: Any) -> User:
    values: dict[str, Any] = {
        "username": _next(role.value),
        "password_hash": _password_hash(),
        "role": role,
    }
    user = User(**(values | overrides))
    session.add(user)
    session.flush()
    return user


def auth_headers(settings: Settings, user: User, *, now: datetime | None = None) -> dict[str, str]:
    token, _ = issue_token(settings, user, now=now or datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


def make_depot(session: Session, **overrides: Any) -> Depot:
    values: dict[str, Any] = {"code": _next("D"), "name": "Central", "lat": 52.52, "lng": 13.405}
    depot = Depot(**(values | overrides))
    session.add(depot)
    session.flush()
    return depot


def make_vehicle(session: Session, **overrides: Any) -> Vehicle:
    values: dict[str, Any] = {
        "code": _next("V-"),
        "type": VehicleType.VAN,
        "max_weight_g": 800_000,
        "max_volume_cm3": 6_000_000,
        "max_parcels": 120,
        "skills": [],
        "shift_start": time(8),
        "shift_end": time(18),
    }
    vehicle = Vehicle(**(values | overrides))
    session.add(vehicle)
    session.flush()
    return vehicle


def make_courier(session: Session, *, user: User | None = None, **overrides: Any) -> Courier:
    user = user or make_user(session, role=Role.COURIER)
    values: dict[str, Any] = {"user_id": user.id, "name": f"Courier {user.username}"}
    courier = Courier(**(values | overrides))
    session.add(courier)
    session.flush()
    return courier


def make_shift(
    session: Session,
    courier: Courier,
    *,
    day: date = DAY,
    hours: tuple[int, int] = (8, 17),
    vehicle: Vehicle | None = None,
) -> Shift:
    shift = Shift(
        courier_id=courier.id,
        vehicle_id=vehicle.id if vehicle else None,
        day=day,
        starts_at=datetime.combine(day, time(hours[0]), tzinfo=ZONE),
        ends_at=datetime.combine(day, time(hours[1]), tzinfo=ZONE),
    )
    session.add(shift)
    session.flush()
    return shift


def make_order(
    session: Session,
    *,
    window: tuple[int, int] | None = (9, 12),
    day: date = DAY,
    **overrides: Any,
) -> Order:
    values: dict[str, Any] = {
        "tracking_code": _next("trk"),
        "kind": OrderKind.DELIVERY,
        "status": OrderStatus.PLANNABLE,
        "service_date": day,
        "received_at": datetime.combine(day, time(8), tzinfo=ZONE),
        "recipient_name": "Ada Lovelace",
        "lat": 52.5,
        "lng": 13.4,
        "location_source": LocationSource.GIVEN,
        "service_s": 300,
        "parcels": [Parcel(weight_g=2000, volume_cm3=5000, count=1)],
    }
    if window is not None:
        values["windows"] = [
            OrderWindow(
                starts_at=datetime.combine(day, time(window[0]), tzinfo=ZONE),
                ends_at=datetime.combine(day, time(window[1]), tzinfo=ZONE),
            )
        ]
    order = Order(**(values | overrides))
    session.add(order)
    session.flush()
    return order


def make_route(
    session: Session, *, vehicle: Vehicle, courier: Courier | None = None, day: date = DAY
) -> Route:
    plan = Plan(service_date=day)
    start = datetime.combine(day, time(8), tzinfo=ZONE)
    route = Route(
        plan=plan,
        vehicle_id=vehicle.id,
        courier_id=courier.id if courier else None,
        sequence=1,
        planned_start_at=start,
        planned_end_at=start + timedelta(hours=6),
        distance_m=42_000,
        duration_s=6 * 3600,
    )
    session.add(route)
    session.flush()
    return route


def order_payload(**overrides: Any) -> dict[str, Any]:
    """A valid body for POST /orders."""
    payload: dict[str, Any] = {
        "reference": _next("SHOP-"),
        "recipient": {
            "name": "Ada Lovelace",
            "phone": "+49 30 1234567",
            "email": "ada@example.org",
        },
        "lat": 52.5,
        "lng": 13.4,
        "parcels": [{"weight_kg": 2.5, "volume_l": 10, "count": 1}],
        "lines": [{"sku": "SKU-1", "quantity": 2}],
        "windows": [{"start": "14:00", "end": "16:00"}],
    }
    return payload | overrides


CSV_HEADER = "reference,recipient_name,recipient_phone,address,lat,lng,weight_kg,windows,lines\n"


def csv_row(reference: str, **cells: str) -> str:
    values = {
        "reference": reference,
        "recipient_name": "Grace Hopper",
        "recipient_phone": "+49 30 555",
        "address": "",
        "lat": "52.51",
        "lng": "13.39",
        "weight_kg": "1.5",
        "windows": "14:00-16:00",
        "lines": "SKU-9:1",
    } | cells
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        values[name] for name in CSV_HEADER.strip().split(",")
    )
    return out.getvalue()


class FakeGeocoder:
    """Knows a fixed set of addresses; anything else is not found."""

    def __init__(self, places: dict[str, GeoPoint] | None = None) -> None:
        self.places = places or {"Alexanderplatz 1, Berlin": GeoPoint(52.5219, 13.4132)}
        self.asked: list[str] = []

    def locate(self, address: str) -> GeoPoint | None:
        self.asked.append(address)
        return self.places.get(address)


def make_zone(session: Session, depot: Depot | None = None, **overrides: Any) -> StorageZone:
    depot = depot or make_depot(session)
    values: dict[str, Any] = {
        "depot_id": depot.id,
        "code": _next("Z"),
        "name": "Cold room",
        "storage_mode": StorageMode.CHILLED,
    }
    zone = StorageZone(**(values | overrides))
    session.add(zone)
    session.flush()
    return zone


def make_batch(session: Session, zone: StorageZone, **overrides: Any) -> StockBatch:
    values: dict[str, Any] = {
        "depot_id": zone.depot_id,
        "zone_id": zone.id,
        "sku": "MILK-1L",
        "lot_number": _next("LOT-"),
        "supplier": "Dairy Co",
        "quantity": 10,
        "expires_on": DAY + timedelta(days=7),
        "storage_mode": zone.storage_mode,
        "min_temp_c": 2.0,
        "max_temp_c": 8.0,
        "received_at": datetime.combine(DAY, time(6), tzinfo=ZONE) - timedelta(days=1),
    }
    batch = StockBatch(**(values | overrides))
    session.add(batch)
    session.flush()
    return batch


def make_stock_order(
    session: Session, *, depot: Depot, sku: str = "MILK-1L", quantity: int = 2, **overrides: Any
) -> Order:
    """A plannable order of one line for `sku`, from `depot`."""
    return make_order(
        session,
        depot_id=depot.id,
        recipient_email="ada@example.org",
        lines=[OrderLine(line_no=1, sku=sku, quantity=quantity)],
        **overrides,
    )


def make_published_route(
    session: Session,
    *,
    vehicle: Vehicle,
    courier: Courier | None,
    orders: list[Order],
    day: date = DAY,
) -> Route:
    """A route of a published plan visiting `orders` in turn, each of them `planned`."""
    route = make_route(session, vehicle=vehicle, courier=courier, day=day)
    route.plan.status = PlanStatus.PUBLISHED
    start = route.planned_start_at
    for k, order in enumerate(orders, start=1):
        at = start + timedelta(minutes=20 * k)
        route.stops.append(
            Stop(
                order_id=order.id,
                sequence=k,
                planned_arrival_at=at,
                planned_service_start_at=at,
                planned_departure_at=at + timedelta(minutes=5),
                load_weight_g_after=2000 * (len(orders) - k),
                load_volume_cm3_after=5000 * (len(orders) - k),
                load_parcels_after=len(orders) - k,
            )
        )
        order.status = OrderStatus.PLANNED
    route.plan.orders_planned = len(orders)
    session.flush()
    return route
