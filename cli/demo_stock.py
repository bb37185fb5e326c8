"""The demo's warehouse side: chilled stock for its orders, a vehicle that failed its
inspection, and a batch held after a temperature excursion once the day is planned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import retiming
from infra.models import (
    Depot,
    Order,
    OrderLine,
    StockBatch,
    StorageMode,
    StorageZone,
    Vehicle,
    VehicleStatus,
)
from warehouse import inspections, readings, rules, stock, storage

MILK, SALAD = "MILK-1L", "SALAD-BOWL"
# The zone whose cooling fails in the demo, and how many orders carry goods from it.
FAILING_ZONE = "COLD-B"
SALAD_ORDERS_PER_DEPOT = 4
CHILLED = "chilled"


@dataclass(frozen=True, slots=True)
class HeldBatch:
    lot_number: str
    reason: str
    held_orders: int
    removed_stops: int


def seed_stock(session: Session, *, day: date, now: datetime) -> int:
    """Two cold zones per depot, a milk lot and a salad lot, chilled orders allocated FEFO.

    Returns the number of orders allocated. The caller commits.
    """
    received_at = now - timedelta(hours=3)
    allocated = 0
    for depot in session.scalars(select(Depot).order_by(Depot.id)):
        zones = {
            code: storage.add_zone(
                session,
                depot_id=depot.id,
                code=code,
                name=f"Cold room {code[-1]}",
                storage_mode=StorageMode.CHILLED,
            )
            for code in ("COLD-A", FAILING_ZONE)
        }
        for sku, code, quantity in ((MILK, "COLD-A", 2000), (SALAD, FAILING_ZONE, 40)):
            storage.receive_batch(
                session,
                storage.BatchSpec(
                    zone_id=zones[code].id,
                    sku=sku,
                    lot_number=f"{sku[:5]}-{depot.code}-{day:%m%d}",
                    supplier="Baltic Fresh OÜ",
                    quantity=quantity,
                    expires_on=day + timedelta(days=5),
                    storage_mode=StorageMode.CHILLED,
                    min_temp_c=2.0,
                    max_temp_c=6.0,
                ),
                already_placed=False,
                by_id=None,
                now=received_at,
            )
        chilled = [
            o
            for o in session.scalars(
                select(Order)
                .where(Order.service_date == day, Order.depot_id == depot.id)
                .order_by(Order.id)
            )
            if CHILLED in o.handling
        ]
        for k, order in enumerate(chilled):
            sku = SALAD if k < SALAD_ORDERS_PER_DEPOT else MILK
            order.lines.append(OrderLine(line_no=1, sku=sku, quantity=1 if sku == SALAD else 2))
            session.flush()
            stock.allocate_order(session, order.id, now=received_at)
            allocated += 1
    return allocated


def fail_an_inspection(session: Session, *, day: date, now: datetime) -> str:
    """The first van's pre-departure check fails on its brakes: out of service, not planned."""
    vehicle = session.scalars(select(Vehicle).order_by(Vehicle.id)).first()
    assert vehicle is not None  # the demo seeds its fleet first
    _, checklist = inspections.checklist_for(session, vehicle)
    failing = next(item.code for item in checklist if item.critical)
    inspections.submit_inspection(
        session,
        vehicle.id,
        day=day,
        performed_at=now,
        odometer_km=48_213,
        results=[
            rules.ItemResult(i.code, i.code != failing, "worn out" if i.code == failing else None)
            for i in checklist
        ],
        corrects_id=None,
        as_courier=None,
        by_id=None,
    )
    assert vehicle.status is VehicleStatus.OUT_OF_SERVICE
    return f"{vehicle.code} ({failing})"


def hold_after_excursion(
    session: Session, *, zone: ZoneInfo, now: datetime, grace_s: int
) -> list[HeldBatch]:
    """The failing zones read 9-11 °C for an hour: their salad lots are held, the orders come
    off the planned routes, which are re-timed."""
    held = []
    for cold in session.scalars(select(StorageZone).where(StorageZone.code == FAILING_ZONE)):
        series = [
            rules.Reading(now - timedelta(minutes=70 - 10 * k), 9.0 + 0.3 * k) for k in range(7)
        ]
        recorded = readings.record_readings(session, cold.id, series, grace_s=grace_s, now=now)
        for effects in recorded.holds:
            removed = [r.route_id for r in effects.removed_stops]
            retiming.retime_routes(session, removed, zone=zone, now=now)
            batch = session.get_one(StockBatch, effects.hold.batch_id)
            held.append(
                HeldBatch(
                    batch.lot_number,
                    effects.hold.reason.value,
                    len(effects.held_order_ids),
                    len(effects.removed_stops),
                )
            )
    return held
