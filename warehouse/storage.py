"""Storage zones and the batches placed in them: storage mode and neighbour rules on placement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.depots import get_depot
from infra.errors import FieldProblem
from infra.models import HoldReason, StockBatch, StorageMode, StorageZone
from warehouse import holds, rules, stock
from warehouse.errors import (
    IncompatibleNeighbour,
    InvalidBatch,
    LotAlreadyReceived,
    WrongStorageMode,
    ZoneCodeTaken,
    ZoneNotFound,
)


def add_zone(
    session: Session, *, depot_id: int, code: str, name: str, storage_mode: StorageMode
) -> StorageZone:
    """Raises DepotNotFound, ZoneCodeTaken."""
    get_depot(session, depot_id)
    taken = select(StorageZone.id).where(StorageZone.depot_id == depot_id, StorageZone.code == code)
    if session.scalar(taken) is not None:
        raise ZoneCodeTaken(
            f"depot {depot_id} already has a zone {code!r}", depot_id=depot_id, code=code
        )
    zone = StorageZone(depot_id=depot_id, code=code, name=name, storage_mode=storage_mode)
    session.add(zone)
    session.flush()
    return zone


def get_zone(session: Session, zone_id: int) -> StorageZone:
    """Raises ZoneNotFound."""
    zone = session.get(StorageZone, zone_id)
    if zone is None:
        raise ZoneNotFound(f"storage zone {zone_id} does not exist", zone_id=zone_id)
    return zone


def list_zones(session: Session, *, depot_id: int | None = None) -> list[StorageZone]:
    query = select(StorageZone).order_by(StorageZone.id)
    if depot_id is not None:
        query = query.where(StorageZone.depot_id == depot_id)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class BatchSpec:
    zone_id: int
    sku: str
    lot_number: str
    supplier: str
    quantity: int
    expires_on: date
    storage_mode: StorageMode
    min_temp_c: float | None = None
    max_temp_c: float | None = None
    compatibility_group: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    batch: StockBatch
    # Holds placed because the batch was recorded where it must not be.
    holds: tuple[holds.HoldEffects, ...] = ()


def receive_batch(
    session: Session,
    spec: BatchSpec,
    *,
    already_placed: bool,
    by_id: int | None,
    now: datetime,
) -> Received:
    """Records a batch in its zone.

    A zone of another storage mode, or goods of a conflicting compatibility group in the zone,
    refuse the placement; when `already_placed` (the goods are physically there) the batch is
    recorded and held instead, and so are the conflicting neighbours.
    Raises ZoneNotFound, InvalidBatch, LotAlreadyReceived, WrongStorageMode,
    IncompatibleNeighbour.
    """
    zone = get_zone(session, spec.zone_id)
    if (
        spec.min_temp_c is not None
        and spec.max_temp_c is not None
        and spec.min_temp_c > spec.max_temp_c
    ):
        raise InvalidBatch(
            f"lot {spec.lot_number}: the temperature range is empty",
            [FieldProblem("max_temp_c", "must not be below min_temp_c")],
        )
    duplicate = select(StockBatch.id).where(
        StockBatch.depot_id == zone.depot_id,
        StockBatch.sku == spec.sku,
        StockBatch.lot_number == spec.lot_number,
    )
    if (existing := session.scalar(duplicate)) is not None:
        raise LotAlreadyReceived(
            f"lot {spec.lot_number} of {spec.sku} is already batch {existing}",
            batch_id=existing,
        )
    mode_ok = rules.mode_fits_zone(spec.storage_mode, zone.storage_mode)
    neighbours = _conflicting_neighbours(session, zone.id, spec.compatibility_group)
    if not already_placed:
        _refuse_placement(zone, spec, mode_ok=mode_ok, neighbours=neighbours)
    batch = StockBatch(
        depot_id=zone.depot_id,
        zone_id=zone.id,
        sku=spec.sku,
        lot_number=spec.lot_number,
        supplier=spec.supplier,
        quantity=spec.quantity,
        expires_on=spec.expires_on,
        storage_mode=spec.storage_mode,
        min_temp_c=spec.min_temp_c,
        max_temp_c=spec.max_temp_c,
        compatibility_group=spec.compatibility_group,
        received_at=now,
        created_by_id=by_id,
    )
    session.add(batch)
    session.flush()
    placed: list[holds.HoldEffects] = []
    if not mode_ok:
        placed.append(
            holds.place_hold(
                session,
                batch_id=batch.id,
                reason=HoldReason.WRONG_STORAGE_MODE,
                note=f"{spec.storage_mode.value} goods found in {zone.storage_mode.value} "
                f"zone {zone.code}",
                by_id=by_id,
                now=now,
            )
        )
    if neighbours:
        note = (
            f"{spec.compatibility_group} goods (batch {batch.id}) share zone {zone.code} with "
            + ", ".join(f"{n.compatibility_group} (batch {n.id})" for n in neighbours)
        )
        for held in (batch, *neighbours):
            placed.append(
                holds.place_hold(
                    session,
                    batch_id=held.id,
                    reason=HoldReason.INCOMPATIBLE_NEIGHBOUR,
                    note=note,
                    by_id=by_id,
                    now=now,
                )
            )
    return Received(batch, tuple(placed))


def _refuse_placement(
    zone: StorageZone, spec: BatchSpec, *, mode_ok: bool, neighbours: list[StockBatch]
) -> None:
    if not mode_ok:
        raise WrongStorageMode(
            f"lot {spec.lot_number} needs {spec.storage_mode.value} storage; zone {zone.code} "
            f"is {zone.storage_mode.value}",
            zone_id=zone.id,
            field="storage_mode",
        )
    if neighbours:
        groups = ", ".join(sorted({str(n.compatibility_group) for n in neighbours}))
        raise IncompatibleNeighbour(
            f"lot {spec.lot_number} ({spec.compatibility_group}) may not sit next to {groups} "
            f"goods in zone {zone.code}",
            zone_id=zone.id,
            batch_id=neighbours[0].id,
            field="compatibility_group",
        )


def _conflicting_neighbours(session: Session, zone_id: int, group: str | None) -> list[StockBatch]:
    """Batches still in the zone (stock left) whose group conflicts with `group`."""
    if group is None:
        return []
    present = session.scalars(
        select(StockBatch)
        .where(StockBatch.zone_id == zone_id, StockBatch.quantity > StockBatch.written_off_quantity)
        .order_by(StockBatch.id)
    )
    return [b for b in present if rules.groups_conflict(group, b.compatibility_group)]


@dataclass(frozen=True, slots=True)
class BatchState:
    batch: StockBatch
    available: int
    on_hold: bool


def batch_state(session: Session, batch_id: int) -> BatchState:
    """Raises BatchNotFound."""
    batch = stock.get_batch(session, batch_id)
    allocated = stock.allocated_quantities(session, [batch.id])
    on_hold = bool(stock.held_batch_ids(session, [batch.id]))
    return BatchState(batch, stock.available_quantity(batch, allocated), on_hold)


def list_batches(
    session: Session, *, depot_id: int | None = None, sku: str | None = None
) -> list[BatchState]:
    query = select(StockBatch).order_by(StockBatch.expires_on, StockBatch.id)
    if depot_id is not None:
        query = query.where(StockBatch.depot_id == depot_id)
    if sku is not None:
        query = query.where(StockBatch.sku == sku)
    batches = list(session.scalars(query))
    ids = [b.id for b in batches]
    allocated = stock.allocated_quantities(session, ids)
    held = stock.held_batch_ids(session, ids)
    return [BatchState(b, stock.available_quantity(b, allocated), b.id in held) for b in batches]
