"""Storage readings: zone temperatures arrive in batches; a long excursion holds the goods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.errors import FieldProblem
from infra.models import Hold, HoldReason, HoldStatus, StockBatch, StorageReading
from warehouse import holds, rules, storage
from warehouse.errors import InvalidReadings

# A sensor clock may run a little ahead of ours; readings further in the future are refused.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ReadingsRecorded:
    stored: int
    # Already known (the same zone and instant): sent again by a retrying sensor.
    duplicates: int
    holds: tuple[holds.HoldEffects, ...]


def record_readings(
    session: Session,
    zone_id: int,
    readings: Sequence[rules.Reading],
    *,
    grace_s: int,
    now: datetime,
) -> ReadingsRecorded:
    """Stores a zone's readings (late and repeated ones too) and holds every batch in the zone
    whose temperature range was left for at least `grace_s`.

    Raises ZoneNotFound, InvalidReadings.
    """
    zone = storage.get_zone(session, zone_id)
    problems = [
        FieldProblem(f"readings[{k}].measured_at", "lies in the future")
        for k, r in enumerate(readings)
        if r.measured_at > now + CLOCK_SKEW
    ]
    if problems:
        raise InvalidReadings(f"zone {zone.code}: readings from the future", problems)
    if not readings:
        return ReadingsRecorded(0, 0, ())
    instants = sorted({r.measured_at for r in readings})
    known = set(
        session.scalars(
            select(StorageReading.measured_at).where(
                StorageReading.zone_id == zone.id, StorageReading.measured_at.in_(instants)
            )
        )
    )
    fresh = {r.measured_at: r for r in readings if r.measured_at not in known}
    for reading in fresh.values():
        session.add(
            StorageReading(
                zone_id=zone.id,
                measured_at=reading.measured_at,
                temperature_c=reading.temperature_c,
                received_at=now,
            )
        )
    session.flush()
    placed: list[holds.HoldEffects] = []
    if fresh:
        placed = _hold_breached(session, zone.id, zone.code, sorted(fresh), grace_s, now)
    return ReadingsRecorded(len(fresh), len(readings) - len(fresh), tuple(placed))


def _hold_breached(
    session: Session,
    zone_id: int,
    zone_code: str,
    instants: list[datetime],
    grace_s: int,
    now: datetime,
) -> list[holds.HoldEffects]:
    # Any excursion that includes a new reading and lasts the grace period lies in this span.
    margin = timedelta(seconds=grace_s) + timedelta(hours=1)
    series = [
        rules.Reading(r.measured_at, r.temperature_c)
        for r in session.scalars(
            select(StorageReading).where(
                StorageReading.zone_id == zone_id,
                StorageReading.measured_at >= instants[0] - margin,
                StorageReading.measured_at <= instants[-1] + margin,
            )
        )
    ]
    already = set(
        session.scalars(
            select(Hold.batch_id).where(
                Hold.status == HoldStatus.ACTIVE, Hold.reason == HoldReason.TEMPERATURE_EXCURSION
            )
        )
    )
    batches = session.scalars(
        select(StockBatch)
        .where(
            StockBatch.zone_id == zone_id,
            StockBatch.quantity > StockBatch.written_off_quantity,
            (StockBatch.min_temp_c.is_not(None)) | (StockBatch.max_temp_c.is_not(None)),
        )
        .order_by(StockBatch.id)
    )
    placed = []
    for batch in batches:
        if batch.id in already:
            continue
        # Only what the zone read while the batch was in it counts against the batch.
        own = [r for r in series if r.measured_at >= batch.received_at]
        started = rules.excursion_started_at(
            own, min_c=batch.min_temp_c, max_c=batch.max_temp_c, grace_s=grace_s
        )
        if started is None:
            continue
        note = (
            f"zone {zone_code} outside {_range(batch)} since {started.isoformat()} "
            f"for at least {grace_s // 60} min"
        )
        placed.append(
            holds.place_hold(
                session,
                batch_id=batch.id,
                reason=HoldReason.TEMPERATURE_EXCURSION,
                note=note,
                by_id=None,
                now=now,
            )
        )
    return placed


def _range(batch: StockBatch) -> str:
    low = "-inf" if batch.min_temp_c is None else f"{batch.min_temp_c:g}"
    high = "+inf" if batch.max_temp_c is None else f"{batch.max_temp_c:g}"
    return f"{low}..{high} °C"
