"""What the dispatcher page shows next to the plan: holds on stock and the fleet's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dispatch import fleet
from infra.models import HoldStatus, VehicleStatus
from warehouse import holds, inspections, stock


@dataclass(frozen=True, slots=True)
class HoldRow:
    hold_id: int
    lot_number: str
    sku: str
    reason: str
    note: str | None
    since: datetime
    # Orders the hold took out of planning (and off undeparted routes).
    held_orders: int


@dataclass(frozen=True, slots=True)
class VehicleRow:
    vehicle_id: int
    code: str
    in_service: bool
    # The day's latest inspection: "passed", "defect", "critical failure", or None (none yet).
    inspection: str | None


def active_holds(session: Session) -> list[HoldRow]:
    rows = []
    for hold in holds.list_holds(session, status=HoldStatus.ACTIVE):
        batch = stock.get_batch(session, hold.batch_id)
        rows.append(
            HoldRow(
                hold_id=hold.id,
                lot_number=batch.lot_number,
                sku=batch.sku,
                reason=hold.reason.value,
                note=hold.note,
                since=hold.placed_at,
                held_orders=len(holds.held_orders_of(session, hold.id)),
            )
        )
    return rows


def fleet_status(session: Session, day: date) -> list[VehicleRow]:
    rows = []
    for vehicle in fleet.list_vehicles(session):
        latest = inspections.latest_inspection(session, vehicle.id, day)
        if latest is None:
            verdict = None
        elif latest.critical_failed:
            verdict = "critical failure"
        else:
            verdict = "passed" if latest.passed else "defect"
        rows.append(
            VehicleRow(
                vehicle_id=vehicle.id,
                code=vehicle.code,
                in_service=vehicle.status is VehicleStatus.IN_SERVICE,
                inspection=verdict,
            )
        )
    return rows
