"""A courier's day as their own page shows it: the route in order with each stop's state and ETA,
and their vehicle's checklist with the day's latest inspection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dispatch import publishing
from dispatch.errors import NoRouteAssigned
from infra.models import Inspection, RouteStatus
from infra.settings import TrackingSettings
from tracking.etas import StopEta, route_etas
from tracking.stop_events import StopProgress, progress_of
from warehouse import inspections
from warehouse.rules import ChecklistItem


@dataclass(frozen=True, slots=True)
class CourierDay:
    day: date
    # None: no route of the courier in a published plan of the day (yet).
    manifest: publishing.Manifest | None
    # By stop id, every stop of the route.
    progress: Mapping[int, StopProgress]
    # By stop id, the remaining stops of a route under way; empty before departure and after.
    etas: Mapping[int, StopEta]
    checklist: tuple[ChecklistItem, ...]
    # The vehicle's log that counts for the day (the most recent), if any.
    inspection: Inspection | None


def courier_day(
    session: Session,
    courier_id: int,
    *,
    day: date,
    now: datetime,
    settings: TrackingSettings,
) -> CourierDay:
    """The courier's route of the published plan of `day`, its progress, ETAs and inspection.

    A courier without a route that day gets an empty day rather than an error: their page
    says so and keeps asking.
    """
    try:
        manifest = publishing.courier_manifest(session, courier_id, day=day)
    except NoRouteAssigned:
        return CourierDay(day, None, {}, {}, (), None)
    route = manifest.route
    etas: dict[int, StopEta] = {}
    if route.status is RouteStatus.DEPARTED:
        projected = route_etas(session, route.id, as_courier=courier_id, now=now, settings=settings)
        progress: Mapping[int, StopProgress] = projected.progress
        etas = {s.stop.id: s for s in projected.stops}
    else:
        progress = progress_of(session, [item.stop.id for item in manifest.stops])
    _template, checklist = inspections.checklist_for(session, manifest.vehicle)
    latest = inspections.latest_inspection(session, manifest.vehicle.id, day)
    return CourierDay(day, manifest, progress, etas, checklist, latest)
