"""Storage zones, stock batches, readings, holds and what a hold changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from api.schemas.common import Code, Id, Name, Notes, RequestModel, ResponseModel, Sku
from dispatch.retiming import RetimedRoute
from infra.models import (
    BatchAllocation,
    Hold,
    HoldEvent,
    HoldEventKind,
    HoldReason,
    HoldStatus,
    OrderHold,
    OrderStatus,
    StopRemoval,
    StorageMode,
    StorageZone,
    SupplierReturn,
)
from warehouse.holds import HoldClosed, HoldEffects
from warehouse.readings import ReadingsRecorded
from warehouse.rules import Reading
from warehouse.storage import BatchSpec, BatchState, Received

Celsius = Annotated[float, Field(ge=-100, le=100)]
Quantity = Annotated[int, Field(ge=1, le=10_000_000)]
Group = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class ZoneIn(RequestModel):
    depot_id: Id
    code: Code
    name: Name
    storage_mode: StorageMode


class ZoneOut(ResponseModel):
    id: int
    depot_id: int
    code: str
    name: str
    storage_mode: StorageMode

    @classmethod
    def of(cls, zone: StorageZone) -> ZoneOut:
        return cls.model_validate(zone)


class BatchIn(RequestModel):
    zone_id: Id
    sku: Sku
    lot_number: Code
    supplier: Name
    quantity: Quantity
    expires_on: date
    storage_mode: StorageMode
    min_temp_c: Celsius | None = None
    max_temp_c: Celsius | None = None
    compatibility_group: Group | None = None
    # The goods already sit in the zone: record them, holding what breaks a storage rule.
    already_placed: bool = False

    def to_spec(self) -> BatchSpec:
        return BatchSpec(
            zone_id=self.zone_id,
            sku=self.sku,
            lot_number=self.lot_number,
            supplier=self.supplier,
            quantity=self.quantity,
            expires_on=self.expires_on,
            storage_mode=self.storage_mode,
            min_temp_c=self.min_temp_c,
            max_temp_c=self.max_temp_c,
            compatibility_group=self.compatibility_group,
        )


class BatchOut(ResponseModel):
    id: int
    depot_id: int
    zone_id: int
    sku: str
    lot_number: str
    supplier: str
    quantity: int
    written_off_quantity: int
    available: int
    on_hold: bool
    expires_on: date
    storage_mode: StorageMode
    min_temp_c: float | None
    max_temp_c: float | None
    compatibility_group: str | None
    received_at: datetime

    @classmethod
    def of(cls, state: BatchState) -> BatchOut:
        b = state.batch
        return cls(
            id=b.id,
            depot_id=b.depot_id,
            zone_id=b.zone_id,
            sku=b.sku,
            lot_number=b.lot_number,
            supplier=b.supplier,
            quantity=b.quantity,
            written_off_quantity=b.written_off_quantity,
            available=state.available,
            on_hold=state.on_hold,
            expires_on=b.expires_on,
            storage_mode=b.storage_mode,
            min_temp_c=b.min_temp_c,
            max_temp_c=b.max_temp_c,
            compatibility_group=b.compatibility_group,
            received_at=b.received_at,
        )


class AllocationOut(ResponseModel):
    id: int
    order_line_id: int
    batch_id: int
    quantity: int
    allocated_at: datetime

    @classmethod
    def of(cls, allocation: BatchAllocation) -> AllocationOut:
        return cls.model_validate(allocation)


class ReadingIn(RequestModel):
    measured_at: AwareDatetime
    temperature_c: Celsius


class ReadingsIn(RequestModel):
    readings: Annotated[list[ReadingIn], Field(min_length=1, max_length=1000)]

    def to_readings(self) -> list[Reading]:
        return [Reading(r.measured_at, r.temperature_c) for r in self.readings]


class HoldIn(RequestModel):
    reason: HoldReason
    note: Notes | None = None


class ReleaseIn(RequestModel):
    note: Notes | None = None


class ReturnIn(RequestModel):
    reason: Notes
    quantity: Quantity | None = None


class HoldOut(ResponseModel):
    id: int
    batch_id: int
    reason: HoldReason
    status: HoldStatus
    note: str | None
    placed_by_id: int | None
    placed_at: datetime
    closed_by_id: int | None
    closed_at: datetime | None

    @classmethod
    def of(cls, hold: Hold) -> HoldOut:
        return cls.model_validate(hold)


class HoldEventOut(ResponseModel):
    kind: HoldEventKind
    by_id: int | None
    happened_at: datetime
    note: str | None


class OrderHoldOut(ResponseModel):
    order_id: int
    previous_status: OrderStatus
    held_at: datetime
    lifted_at: datetime | None


class HoldDetailOut(HoldOut):
    events: list[HoldEventOut]
    orders: list[OrderHoldOut]

    @classmethod
    def detail(cls, hold: Hold, events: list[HoldEvent], orders: list[OrderHold]) -> HoldDetailOut:
        return cls.model_validate(
            HoldOut.of(hold).model_dump()
            | {
                "events": [HoldEventOut.model_validate(e) for e in events],
                "orders": [OrderHoldOut.model_validate(o) for o in orders],
            }
        )


class StopRemovalOut(ResponseModel):
    id: int
    route_id: int
    plan_id: int
    order_id: int
    hold_id: int
    sequence: int
    reason_text: str
    removed_at: datetime
    retimed_at: datetime | None

    @classmethod
    def of(cls, removal: StopRemoval) -> StopRemovalOut:
        return cls.model_validate(removal)


class RetimedRouteOut(ResponseModel):
    """A route that lost stops, re-timed in the same request (or why its times stayed)."""

    route_id: int
    plan_id: int
    stops: int
    retimed: bool
    why: str | None

    @classmethod
    def of(cls, retimed: RetimedRoute) -> RetimedRouteOut:
        return cls(
            route_id=retimed.route_id,
            plan_id=retimed.plan_id,
            stops=retimed.stops,
            retimed=retimed.retimed,
            why=retimed.why,
        )


class HoldEffectsOut(ResponseModel):
    hold: HoldOut
    reallocated_order_ids: list[int]
    held_order_ids: list[int]
    departed_order_ids: list[int]
    removed_stops: list[StopRemovalOut]
    # Routes that lost stops to this hold (empty when listed with the readings instead).
    retimed_routes: list[RetimedRouteOut]

    @classmethod
    def of(cls, effects: HoldEffects, retimed: Sequence[RetimedRoute] = ()) -> HoldEffectsOut:
        return cls(
            hold=HoldOut.of(effects.hold),
            reallocated_order_ids=list(effects.reallocated_order_ids),
            held_order_ids=list(effects.held_order_ids),
            departed_order_ids=list(effects.departed_order_ids),
            removed_stops=[StopRemovalOut.of(r) for r in effects.removed_stops],
            retimed_routes=[RetimedRouteOut.of(r) for r in retimed],
        )


class ReceivedOut(ResponseModel):
    batch: BatchOut
    holds: list[HoldEffectsOut]

    @classmethod
    def of(cls, received: Received, state: BatchState) -> ReceivedOut:
        return cls(batch=BatchOut.of(state), holds=[HoldEffectsOut.of(h) for h in received.holds])


class ReadingsOut(ResponseModel):
    stored: int
    duplicates: int
    holds: list[HoldEffectsOut]
    # Every route that lost stops to these holds, re-timed once.
    retimed_routes: list[RetimedRouteOut]

    @classmethod
    def of(cls, recorded: ReadingsRecorded, retimed: Sequence[RetimedRoute]) -> ReadingsOut:
        return cls(
            stored=recorded.stored,
            duplicates=recorded.duplicates,
            holds=[HoldEffectsOut.of(h) for h in recorded.holds],
            retimed_routes=[RetimedRouteOut.of(r) for r in retimed],
        )


class SupplierReturnOut(ResponseModel):
    id: int
    batch_id: int
    supplier: str
    quantity: int
    reason: str
    returned_at: datetime


class HoldClosedOut(ResponseModel):
    hold: HoldOut
    plannable_order_ids: list[int]
    held_order_ids: list[int]
    supplier_return: SupplierReturnOut | None

    @classmethod
    def of(cls, closed: HoldClosed) -> HoldClosedOut:
        returned: SupplierReturn | None = closed.supplier_return
        return cls(
            hold=HoldOut.of(closed.hold),
            plannable_order_ids=list(closed.plannable_order_ids),
            held_order_ids=list(closed.held_order_ids),
            supplier_return=SupplierReturnOut.model_validate(returned) if returned else None,
        )
