"""The courier's own view: today's manifest."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.auth import CourierActor
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.plans import ManifestOut
from dispatch import publishing

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
