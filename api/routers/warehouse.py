"""Storage zones, stock batches, readings, allocation and holds: dispatchers and admins."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import DispatchActor
from api.depot_scope import (
    BatchId,
    BatchIdQuery,
    DepotFilter,
    HoldId,
    OrderId,
    PlanIdQuery,
    RouteIdQuery,
    ZoneId,
    check_in_scope,
)
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.common import Sku
from api.schemas.warehouse import (
    AllocationOut,
    BatchIn,
    BatchOut,
    HoldClosedOut,
    HoldDetailOut,
    HoldEffectsOut,
    HoldIn,
    HoldOut,
    ReadingsIn,
    ReadingsOut,
    ReceivedOut,
    ReleaseIn,
    ReturnIn,
    StopRemovalOut,
    ZoneIn,
    ZoneOut,
)
from dispatch import retiming
from dispatch.depot_scope import Kind
from infra.models import HoldStatus
from warehouse import holds, readings, stock, storage

router = APIRouter(tags=["warehouse"])


@router.post("/storage-zones", status_code=201)
def add_zone(payload: ZoneIn, session: SessionDep, actor: DispatchActor) -> ZoneOut:
    check_in_scope(session, actor, Kind.DEPOT, payload.depot_id)
    zone = storage.add_zone(
        session,
        depot_id=payload.depot_id,
        code=payload.code,
        name=payload.name,
        storage_mode=payload.storage_mode,
    )
    return ZoneOut.of(zone)


@router.get("/storage-zones")
def list_zones(session: SessionDep, _actor: DispatchActor, depot_id: DepotFilter) -> list[ZoneOut]:
    return [ZoneOut.of(z) for z in storage.list_zones(session, depot_id=depot_id)]


@router.post("/storage-zones/{zone_id}/readings")
def record_readings(
    zone_id: ZoneId,
    payload: ReadingsIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    _actor: DispatchActor,
) -> ReadingsOut:
    """Temperature readings, batched; an excursion past the grace period holds the goods."""
    recorded = readings.record_readings(
        session,
        zone_id,
        payload.to_readings(),
        grace_s=settings.warehouse.excursion_grace_s,
        now=now,
    )
    removed = [r.route_id for h in recorded.holds for r in h.removed_stops]
    retimed = retiming.retime_routes(session, removed, zone=settings.operation.zone, now=now)
    return ReadingsOut.of(recorded, retimed)


@router.post("/batches", status_code=201)
def receive_batch(
    payload: BatchIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> ReceivedOut:
    check_in_scope(session, actor, Kind.ZONE, payload.zone_id)
    received = storage.receive_batch(
        session,
        payload.to_spec(),
        already_placed=payload.already_placed,
        by_id=actor.user_id,
        now=now,
    )
    return ReceivedOut.of(received, storage.batch_state(session, received.batch.id))


@router.get("/batches")
def list_batches(
    session: SessionDep, _actor: DispatchActor, depot_id: DepotFilter, sku: Sku | None = None
) -> list[BatchOut]:
    return [BatchOut.of(s) for s in storage.list_batches(session, depot_id=depot_id, sku=sku)]


@router.get("/batches/{batch_id}")
def get_batch(batch_id: BatchId, session: SessionDep, _actor: DispatchActor) -> BatchOut:
    return BatchOut.of(storage.batch_state(session, batch_id))


@router.post("/orders/{order_id}/allocation")
def allocate_order(
    order_id: OrderId, session: SessionDep, now: NowDep, _actor: DispatchActor
) -> list[AllocationOut]:
    """Reserves stock for the order's lines, first-expiry-first-out, all or nothing."""
    return [AllocationOut.of(a) for a in stock.allocate_order(session, order_id, now=now)]


@router.post("/batches/{batch_id}/holds", status_code=201)
def place_hold(
    batch_id: BatchId,
    payload: HoldIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: DispatchActor,
) -> HoldEffectsOut:
    """Holds the batch; routes that lose stops are re-timed in the same transaction."""
    effects = holds.place_hold(
        session,
        batch_id=batch_id,
        reason=payload.reason,
        note=payload.note,
        by_id=actor.user_id,
        now=now,
    )
    removed = [r.route_id for r in effects.removed_stops]
    retimed = retiming.retime_routes(session, removed, zone=settings.operation.zone, now=now)
    return HoldEffectsOut.of(effects, retimed)


@router.get("/holds")
def list_holds(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    status: HoldStatus | None = None,
    batch_id: BatchIdQuery = None,
) -> list[HoldOut]:
    found = holds.list_holds(session, status=status, batch_id=batch_id, depot_id=depot_id)
    return [HoldOut.of(h) for h in found]


@router.get("/holds/{hold_id}")
def get_hold(hold_id: HoldId, session: SessionDep, _actor: DispatchActor) -> HoldDetailOut:
    hold = holds.get_hold(session, hold_id)
    return HoldDetailOut.detail(
        hold, holds.hold_history(session, hold_id), holds.held_orders_of(session, hold_id)
    )


@router.post("/holds/{hold_id}/release")
def release_hold(
    hold_id: HoldId, payload: ReleaseIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> HoldClosedOut:
    closed = holds.release_hold(session, hold_id, note=payload.note, by_id=actor.user_id, now=now)
    return HoldClosedOut.of(closed)


@router.post("/holds/{hold_id}/return")
def return_to_supplier(
    hold_id: HoldId, payload: ReturnIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> HoldClosedOut:
    """Closes the hold as a return to the supplier; the batch is written off."""
    closed = holds.return_to_supplier(
        session,
        hold_id,
        quantity=payload.quantity,
        reason=payload.reason,
        by_id=actor.user_id,
        now=now,
    )
    return HoldClosedOut.of(closed)


@router.get("/stop-removals")
def list_stop_removals(
    session: SessionDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    plan_id: PlanIdQuery = None,
    route_id: RouteIdQuery = None,
) -> list[StopRemovalOut]:
    """Stops holds took off routes, and why; `retimed_at` is empty until the route is re-timed."""
    removals = holds.list_stop_removals(
        session, plan_id=plan_id, route_id=route_id, depot_id=depot_id
    )
    return [StopRemovalOut.of(r) for r in removals]
