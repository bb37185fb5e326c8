"""What the dispatcher page shows next to the plan: holds on stock, the fleet's status and the
latest customer notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dispatch import fleet
from infra.models import HoldStatus, VehicleStatus
from tracking import notifications
from warehouse import holds, inspections, stock

# Notifications listed on the dispatcher page; the rest are a query away (GET /notifications).
RECENT_NOTIFICATIONS = 15


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


@dataclass(frozen=True, slots=True)
class NotificationRow:
    notification_id: int
    order_id: int | None
    template_code: str
    channel: str
    recipient: str
    status: str
    attempts: int
    created_at: datetime
    last_error: str | None


def recent_notifications(session: Session, *, depot_id: int | None = None) -> list[NotificationRow]:
    """The latest notifications, of depot `depot_id`'s orders only unless it is None."""
    return [
        NotificationRow(
            notification_id=row.id,
            order_id=row.order_id,
            template_code=row.template_code,
            channel=row.channel,
            recipient=row.recipient,
            status=row.status.value,
            attempts=row.attempts,
            created_at=row.created_at,
            last_error=row.last_error,
        )
        for row in notifications.list_notifications(
            session, depot_id=depot_id, limit=RECENT_NOTIFICATIONS
        )
    ]


def active_holds(session: Session, *, depot_id: int | None = None) -> list[HoldRow]:
    """Holds not yet closed, on depot `depot_id`'s stock only unless it is None."""
    rows = []
    for hold in holds.list_holds(session, status=HoldStatus.ACTIVE, depot_id=depot_id):
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


def fleet_status(session: Session, day: date, *, depot_id: int | None = None) -> list[VehicleRow]:
    """Each vehicle (of depot `depot_id` only unless it is None) with its inspection of `day`."""
    rows = []
    for vehicle in fleet.list_vehicles(session, depot_id=depot_id):
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
