"""The same-day cut-off: which local operating day an order received at a given instant is for."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Deferral(enum.StrEnum):
    AFTER_CUTOFF = "after_cutoff"  # received at or after the cut-off on an operating day
    CLOSED_DAY = "closed_day"  # received on a day couriers do not drive


@dataclass(frozen=True, slots=True)
class ServiceDay:
    service_date: date
    # Why the order is not for the day it was received on; None when it is.
    deferral: Deferral | None
    # The cut-off on the local day of receipt, as an instant.
    cutoff_at: datetime


def service_day_for(
    received_at: datetime, *, cutoff: time, zone: ZoneInfo, operating_weekdays: Collection[int]
) -> ServiceDay:
    """Same day before the cut-off on an operating day; otherwise the next operating day."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry a time zone")
    local = received_at.astimezone(zone)
    today = local.date()
    cutoff_at = datetime.combine(today, cutoff, tzinfo=zone)
    if today.isoweekday() in operating_weekdays:
        if local < cutoff_at:
            return ServiceDay(today, None, cutoff_at)
        deferral = Deferral.AFTER_CUTOFF
    else:
        deferral = Deferral.CLOSED_DAY
    day = today + timedelta(days=1)
    while day.isoweekday() not in operating_weekdays:
        day += timedelta(days=1)
    return ServiceDay(day, deferral, cutoff_at)
