"""The courier's own view: today's manifest, and the day as the courier page shows it."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.auth import CourierActor
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.courier import CourierDayOut
from api.schemas.plans import ManifestOut
from dispatch import publishing
from tracking import courier_day

router = APIRouter(prefix="/courier", tags=["courier"])


@router.get("/me/route")
def my_route(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: CourierActor,
    day: date | None = None,
) -> ManifestOut:
    """Couriers: their route of the published plan of `day` (default today), stop by stop."""
    service_day = day or now.astimezone(settings.operation.zone).date()
    manifest = publishing.courier_manifest(session, actor.courier_id or 0, day=service_day)
    return ManifestOut.of(manifest)


@router.get("/me/day")
def my_day(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: CourierActor,
    day: date | None = None,
) -> CourierDayOut:
    """Couriers: their route of `day` (default today) with each stop's id, state and ETA, the
    vehicle's checklist and the day's inspection; `route` is null while none is published.

    `transitions` lists, per kind of order and stop state, the events allowed and the state
    each leads to (the rules of `POST /courier/me/stops/{stop_id}/events`).
    """
    service_day = day or now.astimezone(settings.operation.zone).date()
    found = courier_day.courier_day(
        session, actor.courier_id or 0, day=service_day, now=now, settings=settings.tracking
    )
    return CourierDayOut.of(found, timezone=settings.operation.zone.key)
